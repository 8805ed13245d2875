import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { Reading } from "../../modules/kostal2mqtt/src/reading/reading.js";
import { ReadingGuard } from "../../modules/kostal2mqtt/src/runtime/readingGuard.js";

const HOUR = 3600_000;

function reading(
  at: number,
  total: number,
  today: number,
  status: Reading["status"] = "feeding_mpp",
): Reading {
  return {
    schema_version: 1,
    inverter: "dach",
    model: "PIKO 8.3",
    name: "piko",
    rs485_address: 255,
    ts: new Date(at).toISOString(),
    ts_ms: at,
    status,
    status_code: 3,
    status_text: "",
    ac_power_w: 100,
    energy_total_kwh: total,
    energy_today_kwh: today,
  };
}

function guard(dataDir: string | null = null, warnings: string[] = []) {
  return new ReadingGuard({ replacedAfter: 3, dataDir, warn: (m) => warnings.push(m) });
}

test("a lower total is a glitch: published as null with a warning; the next good one passes", () => {
  const g = guard();
  assert.equal(g.check(reading(0, 1000, 1)).reading.energy_total_kwh, 1000);
  const glitch = g.check(reading(10, 0, 1));
  assert.equal(glitch.reading.energy_total_kwh, null);
  assert.match(glitch.warnings[0] ?? "", /0 is below the last total 1000: not published/);
  assert.equal(g.check(reading(20, 1001, 1.2)).reading.energy_total_kwh, 1001);
  assert.equal(g.lastTotal("dach"), 1001);
});

test("a lower total that holds for 3 readings in a row is a replaced device", () => {
  const g = guard();
  g.check(reading(0, 40000, 1));
  assert.equal(g.check(reading(1, 5, 1)).reading.energy_total_kwh, null);
  assert.equal(g.check(reading(2, 5, 1)).reading.energy_total_kwh, null);
  const third = g.check(reading(3, 5, 1));
  assert.equal(third.reading.energy_total_kwh, 5);
  assert.match(third.warnings[0] ?? "", /replaced or reset device/);
  assert.equal(g.check(reading(4, 6, 1)).reading.energy_total_kwh, 6);
});

test("the last good total survives a restart (atomic file in the data folder)", () => {
  const dir = mkdtempSync(join(tmpdir(), "k2m-guard-"));
  guard(dir).check(reading(0, 39116, 3));
  assert.deepEqual(JSON.parse(readFileSync(join(dir, "totals.json"), "utf8")), {
    dach: { total: 39116, at: 0 },
  });
  const restarted = guard(dir);
  assert.equal(restarted.lastTotal("dach"), 39116);
  assert.equal(
    restarted.check(reading(10, 0, 0)).reading.energy_total_kwh,
    null,
    "a 0 at night after a restart",
  );
});

test("an unwritable data folder: one warning, the guard works in memory", () => {
  const warnings: string[] = [];
  // A folder below a plain file can never be created.
  const file = join(mkdtempSync(join(tmpdir(), "k2m-guard-")), "plain-file");
  writeFileSync(file, "");
  const g = guard(join(file, "data"), warnings);
  g.check(reading(0, 10, 1));
  g.check(reading(1, 11, 1));
  assert.equal(warnings.length, 1);
  assert.equal(g.lastTotal("dach"), 11);
});

test("energy_today resets only at the inverter's own new day", () => {
  const g = guard();
  g.check(reading(0, 100, 12.5));
  const drop = g.check(reading(10_000, 100, 0));
  assert.equal(drop.reading.energy_today_kwh, null, "a drop within the day is a glitch");
  g.notePoweredDown("dach");
  assert.equal(
    g.check(reading(10 * HOUR, 100, 0)).reading.energy_today_kwh,
    0,
    "after powering down: new day",
  );
  g.check(reading(11 * HOUR, 101, 2));
  assert.equal(
    g.check(reading(18 * HOUR, 101, 0.1)).reading.energy_today_kwh,
    0.1,
    "after a long gap: new day",
  );
  g.check(reading(19 * HOUR, 101, 3, "off"));
  assert.equal(g.check(reading(19 * HOUR + 60_000, 101, 0)).reading.energy_today_kwh, 0, "after showing off");
});
