import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { ConfiguredMosquitto, FakeBroker, Mqtt311Front } from "../support/brokerConfigs.js";
import { mosquittoTestOptions } from "../support/mosquitto.js";
import {
  arrival,
  eventually,
  mqttConfig,
  mqttHarness,
  reading,
  subscriber,
  timed,
} from "../support/mqttHarness.js";
import { until } from "../support/until.js";

/**
 * Messages the broker refuses for good (too large, not authorised, a reason code nobody knows) are dropped, counted
 * and named once; every later message still flows, no send waits forever, the stop keeps its deadline (issue 9).
 */

const DISCOVERY = "homeassistant/device/kostal2mqtt_dach/config";
const STATE = "KOSTAL/dach/state";
const T0 = Date.UTC(2026, 5, 1, 10, 0, 0);
/** Anyone may read everything and write the bridge's and Home Assistant's topics, not the inverter's. */
const DENY_INVERTER = [
  "topic readwrite KOSTAL/bridge/#",
  "topic readwrite homeassistant/#",
  "topic read #",
  "",
];

function linesNaming(lines: string[], topic: string): string[] {
  return lines.filter((line) => /\[(WRN|ERR)\]/.test(line) && line.includes(topic));
}

/** Each test has its own broker and bridge, and mostly waits (for a broker's answer): they run at once. */
const AT_ONCE = { ...mosquittoTestOptions, concurrency: true };

describe("a broker that refuses some messages", AT_ONCE, () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  /** Two readings through a size-limited broker: discovery is refused, both states arrive, one line says why. */
  async function sizeLimited(port: number, brokerUrl: string, reason: RegExp, clientId: string) {
    const { client, messages } = await subscriber(brokerUrl, ["KOSTAL/#", "homeassistant/#"]);
    cleanups.push(() => client.endAsync());
    const bridge = mqttHarness(mqttConfig(port, { clientId }));
    await bridge.output.start();
    cleanups.push(() => bridge.output.stop(1000));
    await bridge.waitConnected();
    bridge.output.publishReading(reading(T0));
    await arrival(messages, STATE, `"ts_ms":${T0}`);
    bridge.output.publishReading(reading(T0 + 10_000));
    bridge.output.publishEvent({ type: "output_state", at: new Date(T0).toISOString(), message: "later" });
    await arrival(messages, STATE, `"ts_ms":${T0 + 10_000}`);
    await arrival(messages, "KOSTAL/bridge/event", "later");
    const named = await eventually(
      () =>
        linesNaming(bridge.lines, DISCOVERY).length > 0 ? linesNaming(bridge.lines, DISCOVERY) : undefined,
      10_000,
      () => `a line naming ${DISCOVERY}; log:\n${bridge.lines.join("\n")}`,
    );
    assert.equal(named.length, 1, named.join("\n"));
    assert.match(named[0]!, reason);
    assert.equal(messages.filter((m) => m.topic === DISCOVERY).length, 0);
    assert.deepEqual(
      bridge.problems().filter((line) => /unreachable/.test(line)),
      [],
      "a refused message does not make the broker unreachable",
    );
    const health = bridge.output.health();
    assert.equal(health.rejected, 1, bridge.lines.join("\n"));
    assert.match(health.lastRejection ?? "", /homeassistant\/device\/kostal2mqtt_dach\/config/);
    assert.equal(health.queued, 0);
    assert.ok((await timed(() => bridge.output.stop(3000))) < 1500, "the stop does not wait on the refusal");
    return bridge;
  }

  test("MQTT 5, message_size_limit: PUBACK 0x95 drops discovery with one line; later readings flow", async () => {
    const broker = await ConfiguredMosquitto.start(["message_size_limit 3000"]);
    cleanups.push(() => broker.stop());
    await sizeLimited(broker.port, broker.url, /too large/i, "k2m-size-v5");
  });

  test("MQTT 5, max_packet_size: the announced maximum is honoured, discovery is never sent", async () => {
    const broker = await ConfiguredMosquitto.start(["max_packet_size 3000"]);
    cleanups.push(() => broker.stop());
    await sizeLimited(broker.port, broker.url, /3000/, "k2m-max-v5");
    assert.equal(broker.count(/disconnected due to oversize packet/), 0);
  });

  test("MQTT 3.1.1, max_packet_size: the message the broker hangs up on is found and dropped", async () => {
    const broker = await ConfiguredMosquitto.start(["max_packet_size 3000"]);
    cleanups.push(() => broker.stop());
    const front = await Mqtt311Front.start(broker.port);
    cleanups.push(() => front.stop());
    await sizeLimited(front.port, broker.url, /closed the connection/i, "k2m-max-v4");
    assert.ok(broker.count(/disconnected due to oversize packet/) <= 2, "two hang-ups at most, then dropped");
  });

  test("MQTT 3.1.1, message_size_limit: acknowledged but not kept; read back, found missing, said once", async () => {
    const broker = await ConfiguredMosquitto.start(["message_size_limit 3000"]);
    cleanups.push(() => broker.stop());
    const front = await Mqtt311Front.start(broker.port);
    cleanups.push(() => front.stop());
    await sizeLimited(front.port, broker.url, /drops it silently/, "k2m-size-v4");
  });

  test("MQTT 3.1.1, an ACL denies the inverter's state: read back, found missing, said once", async () => {
    const broker = await ConfiguredMosquitto.start([], DENY_INVERTER.join("\n"));
    cleanups.push(() => broker.stop());
    const front = await Mqtt311Front.start(broker.port);
    cleanups.push(() => front.stop());
    const { client, messages } = await subscriber(broker.url, ["KOSTAL/#", "homeassistant/#"]);
    cleanups.push(() => client.endAsync());
    const bridge = mqttHarness(mqttConfig(front.port, { clientId: "k2m-acl-v4" }));
    await bridge.output.start();
    cleanups.push(() => bridge.output.stop(1000));
    await bridge.waitConnected();
    bridge.output.publishReading(reading(T0));
    await arrival(messages, DISCOVERY);
    const named = await eventually(
      () => (linesNaming(bridge.lines, STATE).length > 0 ? linesNaming(bridge.lines, STATE) : undefined),
      10_000,
      () => `a line naming ${STATE}; log:\n${bridge.lines.join("\n")}`,
    );
    assert.match(named[0]!, /drops it silently/);
    bridge.output.publishReading(reading(T0 + 10_000));
    bridge.output.publishEvent({ type: "output_state", at: new Date(T0).toISOString(), message: "after" });
    await arrival(messages, "KOSTAL/bridge/event", "after");
    assert.equal(linesNaming(bridge.lines, STATE).length, 1, bridge.lines.join("\n"));
    assert.equal(linesNaming(bridge.lines, DISCOVERY).length, 0, "what the broker kept is not reported");
    assert.equal(bridge.output.health().rejected, 1);
    assert.equal(messages.filter((m) => m.topic === STATE).length, 0);
  });

  test("MQTT 5, an ACL denies the inverter topics: said once per topic, counted, the rest flows", async () => {
    const broker = await ConfiguredMosquitto.start([], DENY_INVERTER.join("\n"));
    cleanups.push(() => broker.stop());
    const { client, messages } = await subscriber(broker.url, ["KOSTAL/#", "homeassistant/#"]);
    cleanups.push(() => client.endAsync());
    const bridge = mqttHarness(mqttConfig(broker.port, { clientId: "k2m-acl-v5" }));
    await bridge.output.start();
    cleanups.push(() => bridge.output.stop(1000));
    await bridge.waitConnected();
    for (let i = 0; i < 3; i++) bridge.output.publishReading(reading(T0 + i * 10_000));
    bridge.output.publishEvent({ type: "output_state", at: new Date(T0).toISOString(), message: "after" });
    await arrival(messages, DISCOVERY);
    await arrival(messages, "KOSTAL/bridge/event", "after");
    await until(() => (bridge.output.health().rejected === 3 ? true : undefined), 10_000, "3 rejections");
    const named = linesNaming(bridge.lines, STATE);
    assert.equal(named.length, 1, `once for the topic:\n${bridge.lines.join("\n")}`);
    assert.match(named[0]!, /not authori[sz]ed/i);
    assert.equal(bridge.output.health().queued, 0, "the queue does not grow");
    assert.ok((await timed(() => bridge.output.stop(3000))) < 1500);
  });

  test("a PUBACK reason code nobody knows (0xA5) is final for that message, never a hang", async () => {
    const broker = await FakeBroker.start(0xa5, (topic) => topic === DISCOVERY);
    cleanups.push(() => broker.stop());
    const bridge = mqttHarness(mqttConfig(broker.port, { clientId: "k2m-unknown" }));
    await bridge.output.start();
    cleanups.push(() => bridge.output.stop(1000));
    await bridge.waitConnected();
    bridge.output.publishReading(reading(T0));
    bridge.output.publishReading(reading(T0 + 10_000));
    await eventually(
      () => (bridge.output.health().delivered >= 2 && bridge.output.health().queued === 0 ? true : undefined),
      10_000,
      () => `both states delivered; log:\n${bridge.lines.join("\n")}`,
    );
    assert.equal(bridge.output.health().rejected, 1);
    const named = linesNaming(bridge.lines, DISCOVERY);
    assert.equal(named.length, 1, bridge.lines.join("\n"));
    assert.match(named[0]!, /0xa5/i);
  });

  test("a broker that never acknowledges: the stop keeps its deadline", async () => {
    const broker = await FakeBroker.start("never");
    cleanups.push(() => broker.stop());
    const bridge = mqttHarness(mqttConfig(broker.port, { clientId: "k2m-silent" }));
    await bridge.output.start();
    await bridge.waitConnected();
    bridge.output.publishReading(reading(T0));
    await until(() => (broker.publishes.includes(DISCOVERY) ? true : undefined), 10_000, "discovery sent");
    const elapsed = await timed(() => bridge.output.stop(1000));
    assert.ok(elapsed < 1300, `stop(1000) took ${Math.round(elapsed)} ms`);
  });
});
