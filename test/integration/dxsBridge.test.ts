import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { PikoSimulator } from "../../modules/piko-simulator/src/index.js";
import type { Reading } from "../../modules/kostal2mqtt/src/reading/reading.js";
import { ModuleProcess } from "../support/moduleProcess.js";
import { daytimeClock } from "../support/simulatedTime.js";

/** The real `run` process against the simulator as a dxs.json PIKO (protocol auto), readings on the console. */

test(
  "run finds a dxs device by itself and publishes readings with its new fields",
  { timeout: 30_000 },
  async () => {
    const simulator = new PikoSimulator({
      model: "10.1",
      protocol: "dxs",
      homeLoadW: 650,
      clock: daytimeClock(),
    });
    const host = new URL(await simulator.start()).host;
    const bridge = new ModuleProcess(["run"], { KOSTAL_HOST: host, KOSTAL_ID: "dach", SCRAPE_INTERVAL: "2" });
    try {
      await bridge.waitForLine(/inverter dach: speaks dxs/);
      const line = await bridge.waitForLine(/^\{"schema_version":1,"inverter":"dach"/);
      const reading = JSON.parse(line) as Reading;
      assert.equal(reading.model, "PIKO 10.1");
      assert.equal(reading.status, "feeding_mpp");
      assert.ok((reading.ac_power_w ?? 0) > 0);
      assert.equal(typeof reading.energy_total_kwh, "number");
      assert.equal(reading.home_consumption_w, 650);
      assert.equal(reading.home_from_pv_w, 650);
      assert.equal(typeof reading.dc3_power_w, "number", "string powers only the dxs API gives");
      assert.equal(reading.grid_frequency_hz, 50);
      assert.ok(!("battery_soc_pct" in reading), "no battery: absent, not null");
      assert.equal(simulator.stats.unauthorized, 0, "dxs is probed first: no login was asked for");
      assert.equal(await bridge.stop(), 0);
    } finally {
      await bridge.stop();
      await simulator.stop();
    }
  },
);

test(
  "without KOSTAL_ID a dxs device is named after its serial at the first start, and keeps that name asleep",
  { timeout: 30_000 },
  async () => {
    const simulator = new PikoSimulator({
      model: "5.5",
      protocol: "dxs",
      serial: "90812ABC",
      clock: daytimeClock(),
    });
    const host = new URL(await simulator.start()).host;
    const dataDir = mkdtempSync(join(tmpdir(), "k2m-naming-"));
    const env = { KOSTAL_HOST: host, SCRAPE_INTERVAL: "2", KOSTAL_DATA_DIR: dataDir };
    const first = new ModuleProcess(["run"], env);
    try {
      await first.waitForLine(/inverter at .*: named 90812abc after its serial/);
      const line = await first.waitForLine(/^\{"schema_version":1,/);
      assert.equal((JSON.parse(line) as Reading).inverter, "90812abc");
      assert.equal(await first.stop(), 0);
      assert.deepEqual(JSON.parse(readFileSync(join(dataDir, "inverter-name.json"), "utf8")), {
        host,
        id: "90812abc",
      });
      // Night: the device does not answer; the name stays the one chosen, not one made from the address.
      simulator.setFault({ kind: "silent" });
      const second = new ModuleProcess(["run"], { ...env, KOSTAL_TIMEOUT: "1" });
      try {
        await second.waitForLine(/inverter 90812abc: polling /);
        assert.equal(second.output().includes("no answer at the first start"), false);
      } finally {
        assert.equal(await second.stop(), 0);
      }
    } finally {
      await first.stop();
      await simulator.stop();
    }
  },
);
