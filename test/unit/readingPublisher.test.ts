import assert from "node:assert/strict";
import { test } from "node:test";
import { createLogger } from "../../modules/kostal2mqtt/src/log/logger.js";
import type { Output } from "../../modules/kostal2mqtt/src/ports/output.js";
import type { Reading } from "../../modules/kostal2mqtt/src/reading/reading.js";
import { sunNightOracle } from "../../modules/kostal2mqtt/src/runtime/nightOracle.js";
import { ReadingGuard } from "../../modules/kostal2mqtt/src/runtime/readingGuard.js";
import { ReadingPublisher } from "../../modules/kostal2mqtt/src/runtime/readingPublisher.js";

function collector(): { output: Output; readings: Reading[] } {
  const readings: Reading[] = [];
  const output: Output = {
    name: "test",
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    publishReading: (reading) => readings.push(reading),
    publishInverterStatus: () => undefined,
    publishEvent: () => undefined,
    health: () => ({ state: "connected", queued: 0, dropped: 0, delivered: 0, message: "" }),
  };
  return { output, readings };
}

const evening: Reading = {
  schema_version: 1,
  inverter: "dach",
  model: "PIKO 8.3",
  name: "piko",
  rs485_address: 255,
  ts: "2026-06-01T19:00:00.000Z",
  ts_ms: Date.parse("2026-06-01T19:00:00.000Z"),
  status: "feeding_mpp",
  status_code: 3,
  status_text: "Einspeisen MPP",
  ac_power_w: 120,
  energy_today_kwh: 41.3,
  energy_total_kwh: 69424,
  dc1_voltage_v: 300,
  dc1_current_a: 0.4,
  l1_voltage_v: 231,
  l1_power_w: 120,
};

function publisher(zeroOnSleep = true) {
  const { output, readings } = collector();
  const lines: string[] = [];
  const log = createLogger({ level: "debug", write: (line) => lines.push(line) });
  const guard = new ReadingGuard({ replacedAfter: 3, dataDir: null, warn: (m) => lines.push(m) });
  return { readings, lines, publisher: new ReadingPublisher(output, guard, log, zeroOnSleep) };
}

test("going to sleep publishes one reading with instantaneous values 0.0 and the totals held", () => {
  const { readings, publisher: p } = publisher();
  p.publish(evening, []);
  const asleepAt = evening.ts_ms + 30 * 60_000;
  p.asleep("dach", asleepAt);
  assert.equal(readings.length, 2);
  const zero = readings[1]!;
  assert.equal(zero.ts_ms, asleepAt);
  assert.equal(zero.status, "off");
  for (const key of ["ac_power_w", "dc1_voltage_v", "dc1_current_a", "l1_voltage_v", "l1_power_w"] as const) {
    assert.equal(zero[key], 0, key);
  }
  assert.equal(zero.energy_total_kwh, 69424);
  assert.equal(zero.energy_today_kwh, 41.3);
  assert.equal("l2_power_w" in zero, false, "no slot is invented");
  p.asleep("dach", asleepAt + 1000);
  assert.equal(readings.length, 3, "a later sleep after the zero reading only repeats it with its own time");
});

test("going to sleep: the household and battery values are unknown (null), not 0.0; their counters held", () => {
  const { readings, publisher: p } = publisher();
  p.publish(
    {
      ...evening,
      home_consumption_w: 420,
      home_from_grid_w: 420,
      battery_soc_pct: 64,
      dc_power_w: 12,
      home_consumption_today_kwh: 7.5,
    },
    [],
  );
  p.asleep("dach", evening.ts_ms + 30 * 60_000);
  const zero = readings[1]!;
  assert.deepEqual(
    [
      zero.home_consumption_w,
      zero.home_from_grid_w,
      zero.battery_soc_pct,
      zero.dc_power_w,
      zero.home_consumption_today_kwh,
    ],
    [null, null, null, 0, 7.5],
  );
});

test("no zero reading when switched off, or before any reading", () => {
  const off = publisher(false);
  off.publisher.publish(evening, []);
  off.publisher.asleep("dach", evening.ts_ms + 1000);
  assert.equal(off.readings.length, 1);
  const fresh = publisher();
  fresh.publisher.asleep("dach", 1000);
  assert.equal(fresh.readings.length, 0);
});

test("a glitched total is published as null and logged", () => {
  const { readings, lines, publisher: p } = publisher();
  p.publish(evening, ["dc1_current_a: cannot read 'abc' as a number"]);
  p.publish({ ...evening, ts_ms: evening.ts_ms + 10_000, energy_total_kwh: 0 }, []);
  assert.equal(readings[1]?.energy_total_kwh, null);
  assert.ok(lines.some((l) => /\[WRN\] - inverter dach: dc1_current_a: cannot read/.test(l)));
  assert.ok(lines.some((l) => /energy_total_kwh 0 is below the last total 69424/.test(l)));
});

test("the sun decides night at the site (Berlin, June): midnight is night, noon is day", () => {
  const isNight = sunNightOracle(52.52, 13.4);
  assert.equal(isNight(Date.parse("2026-06-21T22:30:00Z")), true);
  assert.equal(isNight(Date.parse("2026-06-21T11:00:00Z")), false);
  assert.equal(isNight(Date.parse("2026-12-21T16:30:00Z")), true, "a December evening");
});
