import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import mqtt, { type MqttClient } from "mqtt";
import { PikoSimulator } from "../../modules/piko-simulator/src/index.js";
import { ModuleProcess } from "../support/moduleProcess.js";
import { Mosquitto, mosquittoTestOptions } from "../support/mosquitto.js";
import { assertValidReading } from "../support/readingSchema.js";
import { daytimeClock } from "../support/simulatedTime.js";
import { until } from "../support/until.js";

/**
 * Issue 9: a malformed persisted queue entry (`[{"enqueuedAt": <now>}]`) crashed the bridge with exit 70 at every
 * start for up to a day. The real process, with a real broker: it moves the file aside, says so once, and goes on
 * publishing.
 */

describe("a corrupt state file never stops the bridge", mosquittoTestOptions, () => {
  let broker: Mosquitto;
  let simulator: PikoSimulator;
  let watcher: MqttClient;
  const states: string[] = [];

  before(async () => {
    broker = await Mosquitto.start({ bridge: "bridge-pw", tester: "tester-pw" });
    simulator = new PikoSimulator({ model: "8.3", clock: daytimeClock() });
    watcher = await mqtt.connectAsync(broker.url, { username: "tester", password: "tester-pw" });
    watcher.on("message", (_topic, payload) => states.push(payload.toString("utf8")));
    await watcher.subscribeAsync("KOSTAL/dach/state", { qos: 1 });
  });

  after(async () => {
    await watcher?.endAsync();
    await simulator?.stop();
    await broker?.stop();
  });

  test("a queue entry without a message and a totals file of the wrong shape: moved aside, bridge goes on", async () => {
    const host = new URL(await simulator.start()).host;
    const dataDir = mkdtempSync(join(tmpdir(), "k2m-data-"));
    writeFileSync(join(dataDir, "queue-mqtt.json"), JSON.stringify([{ enqueuedAt: Date.now() }]));
    writeFileSync(join(dataDir, "totals.json"), '{"dach": {"total": "many"}}');
    const bridge = new ModuleProcess(["run"], {
      KOSTAL_HOST: host,
      KOSTAL_ID: "dach",
      SCRAPE_INTERVAL: "2",
      MQTT_HOST: "127.0.0.1",
      MQTT_PORT: String(broker.port),
      MQTT_USERNAME: "bridge",
      MQTT_PASSWORD: "bridge-pw",
      KOSTAL_DATA_DIR: dataDir,
    });
    try {
      await until(() => (states.length >= 2 ? true : undefined), 20_000, `two readings\n${bridge.output()}`);
      assertValidReading(states.at(-1)!, "the reading after a corrupt state");
      const reading = JSON.parse(states.at(-1)!) as { energy_total_kwh: unknown };
      assert.equal(typeof reading.energy_total_kwh, "number");
      assert.equal(bridge.stderr.filter((l) => /queue-mqtt\.json.*moved aside/.test(l)).length, 1);
      assert.equal(bridge.stderr.filter((l) => /totals\.json.*moved aside/.test(l)).length, 1);
      assert.doesNotMatch(bridge.output(), /internal error/);
      const names = readdirSync(dataDir);
      assert.ok(
        names.some((n) => /^queue-mqtt\.json\.corrupt-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z$/.test(n)),
      );
      assert.ok(names.some((n) => n.startsWith("totals.json.corrupt-")));
    } finally {
      assert.equal(await bridge.stop(), 0, bridge.output());
    }
  });
});
