import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { startEdgeHubEmulator, type EdgeHubEmulator } from "../../modules/edgehub-emulator/src/index.js";
import { PikoSimulator } from "../../modules/piko-simulator/src/index.js";
import { ModuleProcess } from "../support/moduleProcess.js";
import { daytimeClock } from "../support/simulatedTime.js";
import { firstArrivals, readingTs } from "../support/edgeMessages.js";

/**
 * edgeHub away for five real minutes, longer than the SDK's own 240 s: the module must not crash, must keep
 * polling, and must deliver every reading made during the outage, oldest first, once edgeHub is back.
 */

const MODULE = "kostal2mqtt";
const OUTAGE_MS = 5 * 60_000 + 5_000;
let emulator: EdgeHubEmulator;
let simulator: PikoSimulator;
let module: ModuleProcess;

before(async () => {
  // Real speed from midsummer noon: the inverter feeds all through the outage, whatever the time of day.
  simulator = new PikoSimulator({ model: "10.1", clock: daytimeClock() });
  const host = new URL(await simulator.start()).host;
  emulator = await startEdgeHubEmulator({
    modules: [{ moduleId: MODULE, desired: { pollIntervalSeconds: 10 } }],
  });
  module = new ModuleProcess(["run"], { ...emulator.connectionStringEnvironment(MODULE), KOSTAL_HOST: host });
  await emulator.waitForMessages(1, (m) => m.output === "telemetry", 30_000);
});

after(async () => {
  const code = await module?.stop();
  await emulator?.stop();
  await simulator?.stop();
  assert.equal(code, 0);
});

test(
  "a five-minute edgeHub outage: no crash, every reading made meanwhile delivered after, in order",
  { timeout: 8 * 60_000 },
  async () => {
    const cutAt = Date.now();
    await emulator.pause();
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    assert.equal(
      module.stderr.some((line) => /internal error/.test(line)),
      false,
      "no crash during the outage",
    );
    const resumedAt = Date.now();
    await emulator.resume();
    const during = await emulator.waitUntil(() => {
      const made = firstArrivals(emulator.messages, (m) => readingTs(m) > cutAt && readingTs(m) < resumedAt);
      return made.length >= 28 ? made : undefined;
    }, 120_000);
    const times = during.map(readingTs);
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
      "oldest first",
    );
    for (let i = 1; i < times.length; i++)
      assert.ok(times[i]! - times[i - 1]! < 15_000, "no reading lost in between");
    const telemetry = emulator.messages.filter((m) => m.output === "telemetry");
    const duplicates = telemetry.length - new Set(telemetry.map((m) => m.messageId)).size;
    console.log(
      `five-minute outage: ${during.length} readings delivered after it, ${duplicates} duplicate(s)`,
    );
  },
);
