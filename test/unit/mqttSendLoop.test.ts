import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { MqttClient } from "mqtt";
import { createLogger } from "../../modules/kostal2mqtt/src/log/logger.js";
import { DeliveryQueue } from "../../modules/kostal2mqtt/src/outputs/deliveryQueue.js";
import { FULL_OFFER } from "../../modules/kostal2mqtt/src/outputs/mqtt/brokerAnswers.js";
import {
  clientIdFor,
  defaultClientId,
  instanceSuffix,
} from "../../modules/kostal2mqtt/src/outputs/mqtt/clientId.js";
import type {
  MqttMessage,
  Publisher,
  SendOutcome,
} from "../../modules/kostal2mqtt/src/outputs/mqtt/publisher.js";
import { mqttSendLoop, Rejections } from "../../modules/kostal2mqtt/src/outputs/mqtt/sendLoop.js";
import { OutputUnavailable, PublishRejected } from "../../modules/kostal2mqtt/src/outputs/outputErrors.js";

/** The send loop's verdicts over a scripted broker, the refusal log, the default client id (issue 9). */

function logged(): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, log: createLogger({ level: "debug", write: (line) => lines.push(line) }) };
}

function message(topic: string, payload = topic): MqttMessage {
  return { topic, payload, retain: true, expires: false };
}

/**
 * A broker scripted per topic: `hangUp` topics end the connection with everything in flight (as mosquitto does with
 * an MQTT 3.1.1 PUBLISH over max_packet_size), `refuse` topics get a PUBACK failure code, others are acknowledged.
 */
function scriptedBroker(script: { hangUp?: string[]; refuse?: Record<string, number> }) {
  const sent: string[][] = [];
  const batch: string[] = [];
  let connected = true;
  const inFlight: Array<(outcome: SendOutcome) => void> = [];
  const publisher = {
    offer: { ...FULL_OFFER },
    // The send loop's form of `send`: the outcome thrown, as Publisher.publish does.
    publish: async (client: MqttClient, item: MqttMessage): Promise<void> => {
      const outcome = await publisher.send(client, item);
      if (outcome !== null) throw outcome;
    },
    send: (_client: MqttClient, item: MqttMessage): Promise<SendOutcome> => {
      if (!connected) return Promise.resolve(new OutputUnavailable("not connected", false));
      if (batch.length === 0) queueMicrotask(() => void sent.push(batch.splice(0)));
      batch.push(item.topic);
      return new Promise<SendOutcome>((resolve) => {
        inFlight.push(resolve);
        queueMicrotask(() => {
          if (script.hangUp?.includes(item.topic)) {
            connected = false;
            for (const settle of inFlight.splice(0)) settle(new OutputUnavailable("connection closed", true));
          } else if (script.refuse?.[item.topic] !== undefined) {
            resolve(new PublishRejected(item.topic, script.refuse[item.topic]!, "refused"));
          } else {
            resolve(null);
          }
        });
      });
    },
  };
  return {
    publisher: publisher as unknown as Publisher,
    sent,
    isConnected: () => connected,
    reconnect: () => {
      inFlight.splice(0);
      connected = true;
    },
  };
}

function loopOver(broker: ReturnType<typeof scriptedBroker>, topics: string[]) {
  const { lines, log } = logged();
  const queue = new DeliveryQueue<MqttMessage>({ maxItems: 100, maxAgeMs: 3600_000 });
  for (const topic of topics) queue.push(message(topic));
  const rejections = new Rejections(log);
  const client = {} as MqttClient;
  const loop = mqttSendLoop({
    queue,
    publisher: broker.publisher,
    client: () => (broker.isConnected() ? client : null),
    rejections,
    log,
  });
  return { loop, queue, rejections, lines };
}

test("a message the broker hangs up on is found by sending suspects alone, and dropped; the others go", async () => {
  const broker = scriptedBroker({ hangUp: ["big"] });
  const { loop, queue, rejections, lines } = loopOver(broker, ["big", "a", "b"]);
  await loop.flush();
  assert.deepEqual(broker.sent, [["big", "a", "b"]]);
  assert.equal(queue.size, 3, "all three kept after the first hang-up");
  broker.reconnect();
  await loop.flush();
  assert.deepEqual(broker.sent.slice(1), [["big"]], "the first suspect alone ends the connection again");
  assert.equal(rejections.count, 1);
  assert.match(rejections.last ?? "", /^big: .*twice/);
  broker.reconnect();
  await loop.flush();
  assert.deepEqual(broker.sent.slice(2), [["a"], ["b"]], "the other suspects, alone, go through");
  assert.equal(queue.size, 0);
  assert.equal(loop.delivered, 2);
  assert.equal(lines.filter((line) => line.includes("[ERR]") && line.includes("big")).length, 1);
});

test("a refused message is dropped and counted; the batch and the ones after it go on", async () => {
  const broker = scriptedBroker({ refuse: { denied: 0x87 } });
  const { loop, queue, rejections } = loopOver(broker, ["a", "denied", "b"]);
  await loop.flush();
  assert.deepEqual(broker.sent, [["a", "denied", "b"]]);
  assert.equal(queue.size, 0);
  assert.equal(loop.delivered, 2);
  assert.equal(rejections.count, 1);
});

test("a batch is no larger than the broker's Receive Maximum", async () => {
  const broker = scriptedBroker({});
  const { loop, queue } = loopOver(broker, ["a", "b"]);
  broker.publisher.offer.receiveMaximum = 1;
  await loop.flush();
  assert.equal(queue.size, 0);
  assert.deepEqual(broker.sent, [["a"], ["b"]]);
});

test("refusals: one error line per topic and reason, counted every time; the same message is not offered again", () => {
  const { lines, log } = logged();
  const rejections = new Rejections(log);
  const denied = message("KOSTAL/dach/state", "{}");
  for (let i = 0; i < 3; i++)
    rejections.record(new PublishRejected(denied.topic, 0x87, "not authorised"), denied);
  rejections.record(new PublishRejected(denied.topic, 0x97, "quota exceeded"), denied);
  assert.equal(rejections.count, 4);
  assert.equal(lines.filter((line) => line.includes("[ERR]")).length, 2);
  assert.equal(lines.filter((line) => line.includes("[DBG]")).length, 2);
  assert.equal(rejections.last, "KOSTAL/dach/state: quota exceeded");
  assert.equal(rejections.refusedBefore(denied), true);
  assert.equal(rejections.refusedBefore(message(denied.topic, '{"new":1}')), false);
});

test("the default client id: host name and a suffix kept in the data folder, unique per folder", () => {
  assert.equal(defaultClientId("my.host", "abcdef"), "kostal2mqtt-my_host-abcdef");
  const long = defaultClientId("h".repeat(200), "abcdef");
  assert.equal(long.length, 64);
  assert.match(long, /-abcdef$/);
  const warnings: string[] = [];
  const warn = (line: string) => warnings.push(line);
  const one = mkdtempSync(join(tmpdir(), "k2m-id-"));
  const two = mkdtempSync(join(tmpdir(), "k2m-id-"));
  const suffix = instanceSuffix(one, warn);
  assert.match(suffix, /^[0-9a-f]{6}$/);
  assert.equal(instanceSuffix(one, warn), suffix, "stable across restarts");
  assert.deepEqual(JSON.parse(readFileSync(join(one, "mqtt-client-id.json"), "utf8")), { suffix });
  assert.notEqual(instanceSuffix(two, warn), suffix, "another instance, another id (1 in 16 million alike)");
  assert.deepEqual(warnings, []);
  writeFileSync(join(two, "mqtt-client-id.json"), '{"suffix":"../etc"}');
  assert.match(instanceSuffix(two, warn), /^[0-9a-f]{6}$/);
  assert.equal(warnings.length, 1, "a suffix that does not validate is replaced, and said");
  assert.match(instanceSuffix(null, warn), /^[0-9a-f]{6}$/);
  assert.equal(clientIdFor("mine", one, warn), "mine", "a configured id is used as it is");
  assert.match(clientIdFor("", one, warn), new RegExp(`-${suffix}$`));
});
