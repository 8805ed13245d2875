import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DemoTally,
  demoReading,
  readingLine,
  summaryLines,
} from "../../modules/piko-simulator/src/demoReport.js";

/** What `npm run demo` prints, from what it saw (issue 13): pure, so each rule is checked without a process. */

const AT_0914 = Date.parse("2026-06-21T09:14:00+01:00");

test("a reading is one line: site time, inverter, status, W with thousands, kWh today", () => {
  const reading = demoReading(
    '{"inverter":"demo","status":"feeding_mpp","ac_power_w":4213.0,"energy_today_kwh":3.42,"energy_total_kwh":1.0}',
  );
  assert.ok(reading);
  assert.equal(readingLine(reading, AT_0914), "09:14 demo  feeding_mpp       4,213 W    3.42 kWh today");
  const unreadable = demoReading('{"inverter":"demo","status":"feeding_mpp","ac_power_w":null}');
  assert.ok(unreadable);
  assert.match(readingLine(unreadable, AT_0914), /^09:14 demo  feeding_mpp +- W +- kWh today$/);
});

test("what is not a reading is not shown, and never throws", () => {
  for (const payload of ["online", "", "null", "[1]", '{"inverter":3}', "{"]) {
    assert.equal(demoReading(payload), null, payload);
  }
});

test("the energy simulated adds up the daily counter's rises, across its restart in the morning", () => {
  const tally = new DemoTally();
  const at = (today: number | null) => ({
    inverter: "demo",
    status: "feeding_mpp",
    acPowerW: 1,
    energyTodayKwh: today,
  });
  for (const [i, today] of [40.5, 41.25, null, 42.0, 0.0, 0.5].entries())
    tally.add(at(today), AT_0914 + i * 60_000);
  assert.equal(tally.readings, 6);
  assert.equal(tally.energyKwh.toFixed(2), "2.00");
  const [first, second] = summaryLines({
    tally,
    uptimeMs: 12_400,
    outputs: { mqtt: "connected" },
    bridgeExit: "exit code 0",
    bridgeState: "offline",
  });
  assert.equal(first, "summary: 6 readings, 2.00 kWh simulated (09:14-09:19 site time), uptime 12 s");
  assert.equal(
    second,
    "  outputs: mqtt connected; bridge stopped (exit code 0), its last word on the broker: offline",
  );
});
