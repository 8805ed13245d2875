import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import mqtt from "mqtt";
import { ManualClock, PikoSimulator } from "../../modules/piko-simulator/src/index.js";
import { ModuleProcess } from "../support/moduleProcess.js";
import { Mosquitto, mosquittoTestOptions } from "../support/mosquitto.js";
import { NOON } from "../support/simulatedTime.js";
import { until } from "../support/until.js";

/**
 * History backfill end to end: the product's `run` process, whose data folder says its last reading is hours old,
 * downloads the simulator's LogDaten.dat and publishes the rows of the gap to a real mosquitto on
 * `<base>/<id>/history`, each once, across a restart that brings a new gap.
 */

const HOUR = 3600_000;
let broker: Mosquitto;
let simulator: PikoSimulator;
const clock = new ManualClock(NOON);
const dataDir = mkdtempSync(join(tmpdir(), "k2m-history-run-"));
const processes: ModuleProcess[] = [];

before(async () => {
  broker = await Mosquitto.start({ bridge: "bridge-pw", tester: "tester-pw" });
  simulator = new PikoSimulator({ model: "8.3", password: "canary-inverter-pw", clock });
});

after(async () => {
  for (const process of processes) await process.stop();
  await simulator?.stop();
  await broker?.stop();
});

function historyFile(): Record<string, { cursor: number | null; lastReadingMs: number | null }> {
  return JSON.parse(readFileSync(join(dataDir, "history.json"), "utf8")) as ReturnType<typeof historyFile>;
}

/** Says the last reading was published `agoMs` before now (real time: the process dates its readings so). */
function lastReadingAgo(agoMs: number): void {
  let stored: ReturnType<typeof historyFile> = {};
  try {
    stored = historyFile();
  } catch {
    // No file yet: the first run.
  }
  stored["dach"] = { cursor: stored["dach"]?.cursor ?? null, lastReadingMs: Date.now() - agoMs };
  writeFileSync(join(dataDir, "history.json"), JSON.stringify(stored));
}

function runBridge(url: string, extra: Record<string, string> = {}): ModuleProcess {
  const bridge = new ModuleProcess(["run"], {
    KOSTAL_HOST: new URL(url).host,
    KOSTAL_ID: "dach",
    KOSTAL_PASSWORD: "canary-inverter-pw",
    // An old PIKO, named so: no probe of the newer interfaces among the requests counted below.
    KOSTAL_PROTOCOL: "html",
    KOSTAL_DATA_DIR: dataDir,
    SCRAPE_INTERVAL: "2",
    MQTT_HOST: "127.0.0.1",
    MQTT_PORT: String(broker.port),
    MQTT_USERNAME: "bridge",
    MQTT_PASSWORD: "bridge-pw",
    ...extra,
  });
  processes.push(bridge);
  return bridge;
}

test(
  "rows of the gap reach <base>/<id>/history once, in order, with their times, across a restart",
  mosquittoTestOptions,
  async () => {
    const url = await simulator.start();
    const client = await mqtt.connectAsync(broker.url, { username: "tester", password: "tester-pw" });
    const received: Array<Record<string, unknown>> = [];
    client.on("message", (_topic, payload) =>
      received.push(JSON.parse(payload.toString("utf8")) as Record<string, unknown>),
    );
    await client.subscribeAsync("KOSTAL/dach/history", { qos: 1 });
    try {
      lastReadingAgo(3 * HOUR);
      const first = runBridge(url);
      await first.waitForLine(/history backfill published 12 entries/);
      await until(() => received.length >= 12 || undefined, 10_000, "12 history rows");
      assert.equal(first.output().includes("canary-inverter-pw"), false);
      assert.equal(await first.stop(), 0);
      const firstTimes = received.map((row) => Date.parse(row["time"] as string));
      assert.deepEqual(
        firstTimes,
        [...firstTimes].sort((a, b) => a - b),
      );
      assert.ok(received.every((row) => row["kind"] === "row" && row["inverter"] === "dach"));
      assert.ok(firstTimes[0]! > Date.now() - 3 * HOUR - 60_000);
      assert.equal(historyFile()["dach"]!.cursor, received.at(-1)!["device_seconds"]);

      // An hour passes at the site while the gateway is down; it comes back with a gap of two hours on its clock.
      clock.advance(HOUR);
      lastReadingAgo(2 * HOUR);
      const second = runBridge(url);
      await second.waitForLine(/history backfill published 4 entries/);
      await until(() => received.length >= 16 || undefined, 10_000, "4 more history rows");
      assert.equal(await second.stop(), 0);
      const counters = received.map((row) => row["device_seconds"] as number);
      assert.equal(new Set(counters).size, counters.length, "no row twice");
      assert.deepEqual(
        counters,
        [...counters].sort((a, b) => a - b),
      );
      assert.equal(received.length, 16);

      // Switched off: the same gap again, and no download.
      clock.advance(HOUR);
      lastReadingAgo(2 * HOUR);
      const off = runBridge(url, { HISTORY_BACKFILL: "false" });
      await off.waitForLine(/starting -> producing/);
      await off.waitForLine(/connected to MQTT broker/);
      assert.equal(await off.stop(), 0);
      assert.doesNotMatch(off.output(), /backfill/);
      assert.equal(
        simulator.stats.requests,
        simulator.stats.pages + 2,
        "no request but status pages and two files",
      );
      assert.equal(received.length, 16);
    } finally {
      await client.endAsync();
    }
  },
);
