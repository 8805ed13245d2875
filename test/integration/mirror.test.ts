import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, test } from "node:test";
import { PikoSimulator } from "../../modules/piko-simulator/src/index.js";
import { READING_IDS } from "../../modules/kostal2mqtt/src/piko/dxs/dxsIds.js";
import { readDxsAnswers } from "../../modules/kostal2mqtt/src/piko/dxs/dxsReader.js";
import { planDxsRequests } from "../../modules/kostal2mqtt/src/piko/dxs/dxsRequests.js";
import { InverterClient } from "../../modules/kostal2mqtt/src/piko/inverterClient.js";
import { MEASUREMENT_FIELDS } from "../../modules/kostal2mqtt/src/reading/fields.js";
import { toReading, type Reading } from "../../modules/kostal2mqtt/src/reading/reading.js";
import { ModuleProcess } from "../support/moduleProcess.js";
import { freePort } from "../support/mosquitto.js";
import { NOON } from "../support/simulatedTime.js";

/**
 * Issue 12, one poller for many consumers, end to end: the product's `run` command polls the simulator with the
 * mirror on; consumers read the served `/index.fhtml` (with the product's own InverterClient, as `read` does) and
 * `/api/dxs.json` (with the product's dxs reader) back into readings equal to those the product published, while
 * the simulator sees only the bridge's polls. Then SIGTERM ends the process at once, an idle consumer connection
 * notwithstanding.
 */

let simulator: PikoSimulator;
let bridge: ModuleProcess;
let mirrorPort: number;

/** The readings the bridge printed (ConsoleOutput: one JSON line each). */
function published(): Reading[] {
  return bridge.stdout.filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as Reading);
}

function withoutTime(reading: Reading): Partial<Reading> {
  return { ...reading, ts: undefined, ts_ms: undefined };
}

before(async () => {
  // A fixed noon: every page the simulator serves is the same, so each served reading has one to equal.
  simulator = new PikoSimulator({ model: "8.3", clock: { now: () => NOON } });
  const host = new URL(await simulator.start()).host;
  mirrorPort = await freePort();
  bridge = new ModuleProcess(["run"], {
    KOSTAL_HOST: host,
    KOSTAL_ID: "dach",
    SCRAPE_INTERVAL: "2",
    KOSTAL_MIRROR_PORT: String(mirrorPort),
  });
  await bridge.waitForLine(/mirror of dach on http:\/\/127\.0\.0\.1:\d+\/index\.fhtml/);
  await bridge.waitForLine(/^\{.*"inverter":"dach"/);
});

after(async () => {
  await bridge?.stop();
  await simulator?.stop();
});

test("consumers read the served page and dxs answers back into the published readings; one poller", async () => {
  const requestsBefore = simulator.stats.requests;
  const consumers = Array.from(
    { length: 3 },
    () =>
      new InverterClient({
        id: "dach",
        url: new URL(`http://127.0.0.1:${mirrorPort}/index.fhtml`),
        credentials: { username: "pvserver", password: "pvwr" },
      }),
  );
  const last = published().at(-1)!;
  for (let round = 0; round < 4; round++) {
    for (const consumer of consumers) {
      const { reading } = await consumer.read();
      assert.deepEqual(withoutTime(reading), withoutTime(last));
    }
    const answers = await Promise.all(
      planDxsRequests(READING_IDS).map(async (path) => {
        const response = await fetch(`http://127.0.0.1:${mirrorPort}${path}`);
        assert.equal(response.status, 200);
        return response.text();
      }),
    );
    const dxs = toReading(readDxsAnswers(answers, READING_IDS), "dach", last.ts_ms);
    for (const { key } of MEASUREMENT_FIELDS) assert.equal(dxs[key], last[key], key);
    assert.deepEqual([dxs.status_code, dxs.model, dxs.name], [last.status_code, last.model, last.name]);
  }
  for (const consumer of consumers) consumer.close();
  // 12 page reads and 8 dxs requests went to the mirror; the simulator saw only the bridge's own polls, one per
  // reading it published (a poll may be under way at the end).
  const polls = simulator.stats.requests - requestsBefore;
  assert.ok(polls <= 2, `the simulator saw ${polls} requests while consumers read the mirror`);
  // Every page the simulator served is a reading the bridge published (its first poll also asked the newer
  // interfaces, which an old PIKO refuses: requests, not pages).
  const pages = simulator.stats.pages;
  const readings = published().length;
  assert.ok(pages === readings || pages === readings + 1, `${pages} pages, ${readings} readings`);
});

test("SIGTERM with a consumer's connection open: the process closes the mirror and exits 0 at once", async () => {
  const idle = connect(mirrorPort, "127.0.0.1");
  await new Promise((resolve) => idle.once("connect", resolve));
  const started = performance.now();
  const code = await bridge.stop();
  const tookMs = performance.now() - started;
  idle.destroy();
  assert.equal(code, 0, bridge.output());
  assert.ok(tookMs < 500, `exit took ${Math.round(tookMs)} ms`);
});
