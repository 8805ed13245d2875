import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import { ConfiguredMosquitto, Mqtt311Front } from "../support/brokerConfigs.js";
import { mosquittoTestOptions } from "../support/mosquitto.js";
import {
  arrival,
  eventually,
  mqttConfig,
  mqttHarness,
  reading,
  subscriber,
  type Harness,
} from "../support/mqttHarness.js";
import { until } from "../support/until.js";

/**
 * Brokers that offer less than the bridge asks for (no QoS 1, no retained messages) and a client id that two
 * bridges share: the bridge reads the broker's answer, says what it lacks or who takes its place, and adapts (issue 9).
 */

const T0 = Date.UTC(2026, 5, 1, 10, 0, 0);
const NO_QOS1_NO_RETAIN = ["max_qos 0", "retain_available false"];

/** Each test has its own broker and bridges, and mostly waits (for a backoff): they run at once. */
const AT_ONCE = { ...mosquittoTestOptions, concurrency: true };

describe("a broker with less to offer, a client id used twice", AT_ONCE, () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  async function degraded(port: number, brokerUrl: string, clientId: string): Promise<Harness> {
    const { client, messages } = await subscriber(brokerUrl, ["KOSTAL/#"]);
    cleanups.push(() => client.endAsync());
    const bridge = mqttHarness(mqttConfig(port, { clientId }));
    await bridge.output.start();
    cleanups.push(() => bridge.output.stop(1000));
    await bridge.waitConnected(15_000);
    bridge.output.publishReading(reading(T0));
    const state = await arrival(messages, "KOSTAL/dach/state", `"ts_ms":${T0}`);
    assert.equal(state.retain, false);
    bridge.output.publishReading(reading(T0 + 10_000));
    await arrival(messages, "KOSTAL/dach/state", `"ts_ms":${T0 + 10_000}`);
    const lost = bridge.problems().filter((line) => /retain/i.test(line));
    assert.equal(lost.length, 1, `what is lost is said once:\n${bridge.lines.join("\n")}`);
    assert.match(lost[0]!, /Home Assistant/);
    assert.deepEqual(
      bridge.problems().filter((line) => /unreachable/.test(line)),
      [],
      "a broker that refused the will is not unreachable",
    );
    return bridge;
  }

  test("MQTT 5, max_qos 0 and retain_available false: connects with QoS 0, no retain, says what is lost", async () => {
    const broker = await ConfiguredMosquitto.start(NO_QOS1_NO_RETAIN);
    cleanups.push(() => broker.stop());
    const bridge = await degraded(broker.port, broker.url, "k2m-qos0-v5");
    assert.ok(
      bridge.problems().some((line) => /QoS 1/.test(line)),
      `the missing QoS 1 is named:\n${bridge.lines.join("\n")}`,
    );
  });

  test("MQTT 3.1.1, max_qos 0 and retain_available false: the will without QoS 1 and retain gets in", async () => {
    const broker = await ConfiguredMosquitto.start(NO_QOS1_NO_RETAIN);
    cleanups.push(() => broker.stop());
    const front = await Mqtt311Front.start(broker.port);
    cleanups.push(() => front.stop());
    await degraded(front.port, broker.url, "k2m-qos0-v4");
  });

  test("two bridges with one client id: the take-over is diagnosed, reconnects back off", async () => {
    const broker = await ConfiguredMosquitto.start([]);
    cleanups.push(() => broker.stop());
    const config = mqttConfig(broker.port, { clientId: "k2m-twin" });
    const bridges = [mqttHarness(config), mqttHarness(config)];
    for (const bridge of bridges) {
      await bridge.output.start();
      cleanups.push(() => bridge.output.stop(1000));
    }
    const diagnosis = await eventually(
      () => bridges.flatMap((b) => b.problems()).find((line) => /another client/i.test(line)),
      15_000,
      () => `the diagnosis; logs:\n${bridges.map((b) => b.lines.join("\n")).join("\n---\n")}`,
    );
    assert.match(diagnosis, /k2m-twin/);
    const connects = () => broker.count(/New client connected .* as k2m-twin/);
    assert.ok(connects() <= 5, `diagnosed after the second kick, not after ${connects()} connections`);
    // Backing off: once a bridge has diagnosed the take-over, it waits at least the second step of the backoff
    // (2 s, jittered by +-20%: 1.6 s at the least) before it takes the id back; without the backoff it would be back
    // within 1.2 s (1 s, jittered). Timed per bridge on the monotonic clock, from its diagnosis to its next
    // connection; the steps beyond are counted in mqttConnectionWatch.test.ts, over a fake clock.
    const backAfter = (bridge: Harness): number | undefined => {
      const diagnosed = bridge.lines.findIndex((line) => /another client/i.test(line));
      if (diagnosed < 0) return undefined;
      const back = bridge.lines.findIndex(
        (line, i) => i > diagnosed && /connected to MQTT broker/.test(line),
      );
      return back < 0 ? undefined : bridge.lineTimes[back]! - bridge.lineTimes[diagnosed]!;
    };
    const waits = await until(
      () => {
        const each = bridges.map(backAfter);
        return each.every((ms) => ms !== undefined) ? each : undefined;
      },
      60_000,
      "each bridge back after its diagnosis",
    );
    for (const ms of waits)
      assert.ok(
        ms >= 1500,
        `back ${Math.round(ms)} ms after the diagnosis:\n${bridges.map((b) => b.lines.join("\n")).join("\n---\n")}`,
      );
    for (const bridge of bridges) {
      const kicks = bridge.lines.filter((line) => /taken over|lost/i.test(line));
      const perKick = kicks.filter((line) => /\[(WRN|ERR|INF)\]/.test(line));
      assert.ok(perKick.length <= 3, `a few lines, not two per kick:\n${bridge.lines.join("\n")}`);
    }
  });

  test("the default client id is this instance's: two bridges on one host, each with its data folder", async () => {
    const broker = await ConfiguredMosquitto.start([]);
    cleanups.push(() => broker.stop());
    const { client, messages } = await subscriber(broker.url, ["KOSTAL/#"]);
    cleanups.push(() => client.endAsync());
    const bridges = [mqttHarness(mqttConfig(broker.port)), mqttHarness(mqttConfig(broker.port))];
    for (const bridge of bridges) {
      await bridge.output.start();
      cleanups.push(() => bridge.output.stop(1000));
      await bridge.waitConnected();
    }
    bridges[0]!.output.publishReading(reading(T0, "one"));
    bridges[1]!.output.publishReading(reading(T0, "two"));
    await arrival(messages, "KOSTAL/one/state");
    await arrival(messages, "KOSTAL/two/state");
    assert.equal(broker.count(/New client connected/), 3, "one connection each, nobody kicked");
    const ids = broker.log
      .join("")
      .split("\n")
      .flatMap((line) => /New client connected .* as (kostal2mqtt-\S+) /.exec(line)?.[1] ?? []);
    assert.equal(ids.length, 2);
    assert.notEqual(ids[0], ids[1]);
    for (const id of ids) assert.match(id, /^kostal2mqtt-.+-[0-9a-f]{6}$/);
    // Stable: the same data folder gives the same id after a restart.
    await bridges[0]!.output.stop(1000);
    const again = mqttHarness(mqttConfig(broker.port), bridges[0]!.dataDir);
    await again.output.start();
    cleanups.push(() => again.output.stop(1000));
    await again.waitConnected();
    await until(() => (broker.count(/New client connected/) === 4 ? true : undefined), 5000, "the restart");
    const last = /New client connected .* as (\S+) /.exec(
      broker.log
        .join("")
        .split("\n")
        .filter((line) => /New client connected/.test(line))
        .at(-1) ?? "",
    )?.[1];
    assert.ok(ids.includes(last ?? ""), `${last} is one of ${ids.join(", ")}`);
  });
});
