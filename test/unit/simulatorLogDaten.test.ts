import assert from "node:assert/strict";
import { test } from "node:test";
import { parseLogDaten } from "../../modules/kostal2mqtt/src/piko/logdaten/logDatenParser.js";
import {
  COUNTER_AT_START_S,
  renderLogDaten,
  ROW_INTERVAL_S,
} from "../../modules/piko-simulator/src/logDaten.js";
import { SolarDay } from "../../modules/piko-simulator/src/solarDay.js";
import { NOON } from "../support/simulatedTime.js";

/** The simulator's LogDaten.dat, read back by the product's reader: the same day as the status page. */

const START = NOON - 3 * 3600_000; // 09:00 at the site, two days before the download
const day = new SolarDay({ model: "10.1", seed: 7, epochMs: START, startTotalKwh: 39116 });
const source = { day, startMs: START, rs485Address: 200, name: "piko" };

test("rows every 900 s of the counter while awake, a POR each morning, values from the same day curve", () => {
  const now = NOON + 2 * 86_400_000;
  const { header, entries, warnings } = parseLogDaten(renderLogDaten(source, now).toString("latin1"), now);
  assert.deepEqual(warnings, []);
  assert.deepEqual(header, {
    inverterNumber: 200,
    name: "piko",
    deviceSeconds: COUNTER_AT_START_S + (now - START) / 1000,
  });
  const events = entries.filter((e) => e.kind === "event");
  assert.equal(events.length, 3, "the first day's wake-up and two more mornings");
  for (const event of events) {
    assert.equal(event.kind === "event" && event.event, "POR");
    const wake = day.scheduleAt(Date.parse(event.time)).wakeMs;
    assert.ok(Math.abs(Date.parse(event.time) - wake) < 1000, `POR at ${event.time}`);
  }
  const rows = entries.filter((e) => e.kind === "row");
  assert.ok(rows.length > 3 * 40, `${rows.length} rows`);
  for (const row of rows) {
    assert.equal(row.deviceSeconds % ROW_INTERVAL_S, 0);
    const ms = Date.parse(row.time);
    const values = day.valuesAt(ms);
    assert.ok(values !== null, `row at ${row.time} while asleep`);
    assert.equal(row.values["dc1_voltage_v"], values.strings[0]!.voltageV);
    assert.equal(row.values["dc1_current_a"], values.strings[0]!.currentA);
    assert.equal(row.values["l2_power_w"], values.phases[1]!.powerW);
    if (values.state === "feeding") {
      assert.equal(row.values["energy_total_kwh"], Math.floor(day.totalEnergyKwh(ms)));
      assert.equal(row.values["grid_frequency_hz"], 50);
    } else {
      assert.equal(row.values["energy_total_kwh"], null);
      assert.equal(row.values["grid_frequency_hz"], null);
    }
  }
  const totals = rows.map((r) => r.values["energy_total_kwh"]).filter((v): v is number => v !== null);
  assert.deepEqual(
    totals,
    [...totals].sort((a, b) => a - b),
    "the total never falls",
  );
  assert.ok(totals.at(-1)! > totals[0]!);
});

test("the history starts at the first day's wake-up and grows with the clock", () => {
  const wake = day.scheduleAt(START).wakeMs;
  const early = parseLogDaten(renderLogDaten(source, START).toString("latin1"), START).entries;
  assert.equal(early[0]!.kind, "event");
  assert.ok(Math.abs(Date.parse(early[0]!.time) - wake) < 1000);
  const later = parseLogDaten(renderLogDaten(source, NOON).toString("latin1"), NOON).entries;
  assert.equal(later.length - early.length, (3 * 3600) / ROW_INTERVAL_S);
});
