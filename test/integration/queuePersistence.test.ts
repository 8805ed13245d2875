import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import mqtt, { type MqttClient } from "mqtt";
import { DeliveryQueue } from "../../modules/kostal2mqtt/src/outputs/deliveryQueue.js";
import { StateFile } from "../../modules/kostal2mqtt/src/lib/stateFile.js";
import { PikoSimulator } from "../../modules/piko-simulator/src/index.js";
import { ModuleProcess } from "../support/moduleProcess.js";
import { Mosquitto, mosquittoTestOptions } from "../support/mosquitto.js";
import { daytimeClock } from "../support/simulatedTime.js";
import { until } from "../support/until.js";

test("a queue keeps waiting and in-flight messages across a restart, oldest first, and forgets acknowledged ones", () => {
  const dir = mkdtempSync(join(tmpdir(), "k2m-queue-"));
  const persistence = () => ({
    file: new StateFile<Array<{ item: string; enqueuedAt: number }>>(dir, "q.json", assert.fail),
    everyMs: 60_000,
  });
  const first = new DeliveryQueue<string>({ maxItems: 10, maxAgeMs: 3600_000 }, () => 1000, persistence());
  for (const item of ["a", "b", "c", "d"]) first.push(item);
  const sent = first.take(2);
  first.ack(sent.slice(0, 1));
  first.close();
  const second = new DeliveryQueue<string>({ maxItems: 10, maxAgeMs: 3600_000 }, () => 2000, persistence());
  assert.deepEqual(
    second.take(10).map((e) => e.item),
    ["b", "c", "d"],
    "'a' was delivered; 'b' was in flight",
  );
  second.close();
});

describe("a restart during a broker outage loses nothing", mosquittoTestOptions, () => {
  let broker: Mosquitto;
  let simulator: PikoSimulator;
  let watcher: MqttClient;
  const times: number[] = [];

  before(async () => {
    broker = await Mosquitto.start({ bridge: "bridge-pw", tester: "tester-pw" });
    simulator = new PikoSimulator({ model: "4.2", clock: daytimeClock() });
    watcher = await mqtt.connectAsync(broker.url, {
      username: "tester",
      password: "tester-pw",
      clientId: "watcher",
      clean: false,
    });
    await watcher.subscribeAsync("KOSTAL/dach/state", { qos: 1 });
    await watcher.endAsync();
  });

  after(async () => {
    await watcher?.endAsync();
    await simulator?.stop();
    await broker?.stop();
  });

  test("readings queued by a process stopped during the outage are published by the next one", async () => {
    const host = new URL(await simulator.start()).host;
    const dataDir = mkdtempSync(join(tmpdir(), "k2m-data-"));
    const env = {
      KOSTAL_HOST: host,
      KOSTAL_ID: "dach",
      SCRAPE_INTERVAL: "2",
      MQTT_HOST: "127.0.0.1",
      MQTT_PORT: String(broker.port),
      MQTT_USERNAME: "bridge",
      MQTT_PASSWORD: "bridge-pw",
      KOSTAL_DATA_DIR: dataDir,
    };
    const first = new ModuleProcess(["run"], env);
    await first.waitForLine(/connected to MQTT broker/);
    await broker.pause();
    const cutAt = Date.now();
    // Three polls while the broker is away (the last may still be on its way when the process is stopped).
    const polled = simulator.stats.pages;
    await until(
      () => (simulator.stats.pages >= polled + 3 ? true : undefined),
      20_000,
      "polls in the outage",
    );
    assert.equal(await first.stop(), 0);
    const stoppedAt = Date.now();
    await broker.resume();
    const second = new ModuleProcess(["run"], env);
    try {
      await second.waitForLine(/connected to MQTT broker/);
      // The handler is attached before connecting: a persistent session's queued messages come right after CONNACK.
      watcher = mqtt.connect(broker.url, {
        username: "tester",
        password: "tester-pw",
        clientId: "watcher",
        clean: false,
      });
      watcher.on("message", (_topic, payload) =>
        times.push((JSON.parse(payload.toString()) as { ts_ms: number }).ts_ms),
      );
      await new Promise<void>((resolve) => watcher.once("connect", () => resolve()));
      await until(
        () => (times.filter((t) => t > cutAt && t < stoppedAt).length >= 2 ? true : undefined),
        15_000,
        "two readings made during the outage by the first process, published by the second",
      );
    } finally {
      await second.stop();
    }
  });
});
