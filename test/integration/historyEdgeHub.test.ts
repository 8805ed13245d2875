import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startEdgeHubEmulator, type EdgeHubEmulator } from "../../modules/edgehub-emulator/src/index.js";
import { ManualClock, PikoSimulator } from "../../modules/piko-simulator/src/index.js";
import { ModuleProcess } from "../support/moduleProcess.js";
import { NOON } from "../support/simulatedTime.js";

/**
 * The direct method `backfillHistory` on the real module process against the edgeHub emulator: the simulator's
 * LogDaten rows go to output `history`, each with its true time and a stable id, and a second call sends none twice.
 */

const MODULE = "kostal2mqtt";
let emulator: EdgeHubEmulator;
let simulator: PikoSimulator;
let module: ModuleProcess;

before(async () => {
  simulator = new PikoSimulator({
    model: "8.3",
    password: "canary-inverter-pw",
    clock: new ManualClock(NOON),
  });
  const simulatorHost = new URL(await simulator.start()).host;
  emulator = await startEdgeHubEmulator({ modules: [{ moduleId: MODULE }] });
  module = new ModuleProcess(["run"], {
    ...emulator.connectionStringEnvironment(MODULE),
    KOSTAL_HOST: simulatorHost,
    KOSTAL_ID: "dach",
    KOSTAL_PASSWORD: "canary-inverter-pw",
    SCRAPE_INTERVAL: "2",
  });
  await emulator.waitForConnection(MODULE, 0, 30_000);
});

after(async () => {
  const code = await module?.stop();
  await emulator?.stop();
  await simulator?.stop();
  assert.equal(code, 0);
});

test("backfillHistory sends the rows after `since` to output history once, dated and with stable ids", async () => {
  await emulator.waitForMessages(1, (m) => m.output === "telemetry", 20_000);
  const since = new Date(Date.now() - 2 * 3600_000).toISOString();
  const answer = await emulator.invokeMethod(MODULE, "backfillHistory", { inverter: "dach", since }, 30_000);
  assert.equal(answer.status, 200, JSON.stringify(answer.payload));
  const { count } = answer.payload as { count: number };
  assert.ok(count >= 7 && count <= 9, `${count} rows in two hours of 900 s rows`);
  const history = await emulator.waitForMessages(count, (m) => m.output === "history", 20_000);
  for (const message of history) {
    const row = JSON.parse(message.body.toString("utf8")) as Record<string, unknown>;
    assert.equal(row["kind"], "row");
    assert.equal(message.properties.message_type, "history");
    assert.equal(message.properties["iothub-creation-time-utc"], row["time"]);
    assert.equal(message.messageId, `dach-history-${String(row["device_seconds"])}`);
    assert.ok(Date.parse(row["time"] as string) > Date.parse(since));
  }
  const again = await emulator.invokeMethod(MODULE, "backfillHistory", {}, 30_000);
  assert.deepEqual(again.payload, { count: 0, inverters: [{ inverter: "dach", count: 0 }] });
  const bad = await emulator.invokeMethod(MODULE, "backfillHistory", { since: "soon" }, 15_000);
  assert.equal(bad.status, 400);
  assert.equal(emulator.messages.filter((m) => m.output === "history").length, count);
});
