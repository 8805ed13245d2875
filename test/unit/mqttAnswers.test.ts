import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";
import type * as MqttPacket from "mqtt-packet";
import { OutputUnavailable, PublishRejected } from "../../modules/kostal2mqtt/src/outputs/outputErrors.js";
import {
  FULL_OFFER,
  lackFromRefusal,
  offerFromConnack,
  publishPacketSize,
  reasonText,
  translatePublishError,
  verdict,
} from "../../modules/kostal2mqtt/src/outputs/mqtt/brokerAnswers.js";
import { acceptEveryPubackReasonCode } from "../../modules/kostal2mqtt/src/outputs/mqtt/pubackCodes.js";

/** The broker's answers as the MQTT output reads them: pure decisions, no broker (issue 9). */

// The mqtt-packet that MQTT.js itself loads, as the output patches it.
const fromMqtt = createRequire(createRequire(import.meta.url).resolve("mqtt"));
const mqttPacket = fromMqtt("mqtt-packet") as typeof MqttPacket;

const TOPIC = "homeassistant/device/kostal2mqtt_dach/config";

function withCode(message: string, code: number): Error {
  return Object.assign(new Error(message), { code });
}

test("reason codes in words: known ones by name, any other as unknown with its number", () => {
  assert.equal(reasonText(0x95), "packet too large (0x95)");
  assert.equal(reasonText(0x87), "not authorised (0x87)");
  assert.equal(reasonText(0xa5), "unknown reason code 0xa5");
});

test("a PUBACK failure code is final for that message, keeping the code, the topic and the cause", () => {
  for (const code of [0x80, 0x83, 0x87, 0x90, 0x95, 0x97, 0x99, 0xa5, 0xff]) {
    const cause = withCode("Publish error", code);
    const error = translatePublishError(cause, TOPIC);
    assert.ok(error instanceof PublishRejected, reasonText(code));
    assert.equal(error.reasonCode, code);
    assert.equal(error.topic, TOPIC);
    assert.equal(error.cause, cause);
    assert.ok(error.message.includes(TOPIC) && error.message.includes(reasonText(code)));
  }
});

test("a clashing packet id (0x91), a closed connection or no code at all are transient", () => {
  for (const cause of [withCode("Publish error", 0x91), new Error("Connection closed"), "odd"]) {
    const error = translatePublishError(cause, TOPIC);
    assert.ok(error instanceof OutputUnavailable);
    assert.equal(error.inFlight, true, "it was handed to the client: it may be the culprit");
    assert.equal(error.cause, cause);
  }
  const typed = new PublishRejected(TOPIC, 0x95, "too large");
  assert.equal(translatePublishError(typed, TOPIC), typed, "already translated: kept as it is");
});

test("the verdict: delivered, dropped when refused, suspected when in flight, dropped when failing alone twice", () => {
  const message = { topic: TOPIC, payload: "x".repeat(5600) };
  assert.deepEqual(verdict(null, message, 0, false), { kind: "delivered" });
  const refused = new PublishRejected(TOPIC, 0x87, "not authorised");
  assert.deepEqual(verdict(refused, message, 0, false), { kind: "drop", rejection: refused });
  const notSent = new OutputUnavailable("not connected", false);
  assert.deepEqual(
    verdict(notSent, message, 5, true),
    { kind: "retry", suspect: false },
    "never sent: no blame",
  );
  const closed = new OutputUnavailable("connection closed", true);
  assert.deepEqual(verdict(closed, message, 0, false), { kind: "retry", suspect: true });
  assert.deepEqual(verdict(closed, message, 0, true), { kind: "retry", suspect: true }, "once is no proof");
  assert.deepEqual(
    verdict(closed, message, 3, false),
    { kind: "retry", suspect: true },
    "in company: not proven",
  );
  const alone = verdict(closed, message, 1, true);
  assert.equal(alone.kind, "drop");
  if (alone.kind === "drop") {
    assert.equal(alone.rejection.topic, TOPIC);
    assert.equal(alone.rejection.reasonCode, null);
    assert.match(alone.rejection.reason, /5600 bytes/);
    assert.equal(alone.rejection.cause, closed);
  }
});

test("the size of a PUBLISH on the wire is what mqtt-packet writes", () => {
  for (const payload of ["online", "x".repeat(120), "x".repeat(5600), "ü".repeat(70_000)]) {
    for (const qos of [0, 1] as const) {
      for (const v5 of [false, true]) {
        for (const expiry of [false, true]) {
          const packet: MqttPacket.IPublishPacket = {
            cmd: "publish",
            topic: TOPIC,
            payload,
            qos,
            retain: true,
            dup: false,
            ...(qos > 0 ? { messageId: 42 } : {}),
            ...(v5 && expiry ? { properties: { messageExpiryInterval: 3600 } } : {}),
          };
          const written = mqttPacket.generate(packet, { protocolVersion: v5 ? 5 : 4 }).length;
          assert.equal(
            publishPacketSize(TOPIC, payload, qos, v5, expiry),
            written,
            `${payload.length} ${qos} ${v5}`,
          );
        }
      }
    }
  }
});

test("what the broker offers: CONNACK properties narrow it, refusals name what it lacks", () => {
  assert.deepEqual(offerFromConnack(FULL_OFFER, undefined), FULL_OFFER);
  assert.deepEqual(
    offerFromConnack(FULL_OFFER, {
      maximumQoS: 0,
      retainAvailable: false,
      maximumPacketSize: 3000,
      receiveMaximum: 20,
    }),
    { maxQos: 0, retain: false, maxPacketSize: 3000, receiveMaximum: 20 },
  );
  const degraded = { ...FULL_OFFER, maxQos: 0 as const, retain: false };
  assert.deepEqual(
    offerFromConnack(degraded, { maximumQoS: 1 }),
    degraded,
    "what a refusal taught stays learnt",
  );
  assert.equal(lackFromRefusal(0x9a), "retain");
  assert.equal(lackFromRefusal(0x9b), "qos");
  assert.equal(lackFromRefusal(0x87), null);
});

test("mosquitto's PUBACK 0x95 breaks mqtt-packet 9's parser; patched, MQTT.js gets the code", () => {
  const puback = Buffer.from([0x40, 0x03, 0x00, 0x07, 0x95]);
  const parse = () => {
    const parser = mqttPacket.parser({ protocolVersion: 5 });
    const seen: { packets: MqttPacket.Packet[]; errors: Error[] } = { packets: [], errors: [] };
    parser.on("packet", (packet) => seen.packets.push(packet));
    parser.on("error", (error: Error) => seen.errors.push(error));
    parser.parse(puback);
    return seen;
  };
  const before = parse();
  assert.equal(
    before.packets.length,
    0,
    "upstream still refuses 0x95 in a PUBACK (if this fails, drop the patch)",
  );
  assert.match(before.errors[0]?.message ?? "", /Invalid puback reason code/);
  assert.equal(acceptEveryPubackReasonCode(), null, "patched");
  const after = parse();
  assert.deepEqual(after.errors, []);
  assert.equal((after.packets[0] as MqttPacket.IPubackPacket).reasonCode, 0x95);
  assert.equal((after.packets[0] as MqttPacket.IPubackPacket).messageId, 7);
});
