import assert from "node:assert/strict";
import { test } from "node:test";
import { createLogger } from "../../modules/kostal2mqtt/src/log/logger.js";
import type { Output } from "../../modules/kostal2mqtt/src/ports/output.js";
import { PageFormat } from "../../modules/kostal2mqtt/src/piko/errors.js";
import { parseStatusPage } from "../../modules/kostal2mqtt/src/piko/statusPage.js";
import type { MeasurementKey } from "../../modules/kostal2mqtt/src/reading/fields.js";
import { toReading } from "../../modules/kostal2mqtt/src/reading/reading.js";
import { ReadingGuard } from "../../modules/kostal2mqtt/src/runtime/readingGuard.js";
import { ReadingPublisher } from "../../modules/kostal2mqtt/src/runtime/readingPublisher.js";
import { renderStatusPage } from "../../modules/piko-simulator/src/index.js";
import { capturesTestOptions, readCapture } from "../support/fixtures.js";

/**
 * Issue 9, unreadable numbers: a page with no readable measurement is a format error, not a reading of nulls
 * under "producing"; each cell has the format the PIKO writes (whole numbers, or up to 2 decimals for currents
 * and the daily energy), so a thousands separator (`1.000`) is unreadable rather than 1.0; and a cell that stays
 * unreadable is logged once per change, not on every poll.
 */

const RUNNING_DE = "piko8.3-2string-3phase-de-running-lowpower.html";
const OFF_DE = "piko8.3-2string-3phase-de-off.html";
const fixtureOptions = capturesTestOptions();

const USED_VALUE_CELL = /(<td[^>]*bgcolor="#FFFFFF"[^>]*>)([^<]*)(<\/td>)/g;

/** Every used value cell's text replaced by `text(n)` (cells in document order, piko.md). */
function setValueCells(html: string, text: (n: number) => string | null): string {
  let seen = -1;
  return html.replace(USED_VALUE_CELL, (whole, open: string, old: string, close: string) => {
    const replacement = text(++seen);
    return replacement === null ? whole : `${open}${old.replace(/\S.*$/s, "")}${replacement}${close}`;
  });
}

/** A simulated PIKO 8.3 at noon, rendered as the device sends it. */
function simulatedPage(): string {
  return renderStatusPage({
    model: "8.3",
    language: "de",
    name: "dach",
    rs485Address: 255,
    state: "feeding",
    acPowerW: 5433,
    energyTotalKwh: 39116,
    energyTodayKwh: 18.03,
    strings: [
      { voltageV: 410, currentA: 6.62 },
      { voltageV: 421, currentA: 6.5 },
    ],
    phases: [
      { voltageV: 230, powerW: 1811 },
      { voltageV: 231, powerW: 1811 },
      { voltageV: 229, powerW: 1811 },
    ],
  }).toString("latin1");
}

test("a page whose every number is unreadable is a PageFormat error, not a reading of nulls", () => {
  const page = simulatedPage();
  for (const junk of ["NaN", "1e400", "\u0663\u0664\u0665", "Infinity"]) {
    assert.throws(
      () => parseStatusPage(setValueCells(page, () => junk)),
      (error: unknown) =>
        error instanceof PageFormat && /no value cell holds a readable number/.test(error.message),
      junk,
    );
  }
  const mixed = ["NaN", "1e400", "\u0663\u0664\u0665"];
  assert.throws(() => parseStatusPage(setValueCells(page, (n) => mixed[n % 3]!)), PageFormat);
});

test("one readable cell is enough: the reading survives with the rest null", () => {
  const page = parseStatusPage(setValueCells(simulatedPage(), (n) => (n === 1 ? null : "NaN")));
  assert.equal(page.values.get("energy_total_kwh"), 39116);
  assert.equal(page.values.get("ac_power_w"), null);
});

test("the off page reads as before: totals shown, instantaneous values 0.0", fixtureOptions, () => {
  const page = parseStatusPage(readCapture(OFF_DE));
  assert.equal(page.values.get("energy_total_kwh"), 69425);
  assert.equal(page.values.get("ac_power_w"), 0);
  assert.deepEqual(page.warnings, []);
});

test("blank value cells are not 'unreadable text': no format error", () => {
  const page = parseStatusPage(setValueCells(simulatedPage(), () => "   "));
  assert.equal(page.values.get("energy_total_kwh"), null);
});

test(
  "each cell takes the format the PIKO writes; a thousands separator is unreadable, not 1.0",
  fixtureOptions,
  () => {
    const page = readCapture(RUNNING_DE);
    // Cells (piko.md): 0 AC power W, 1 total kWh, 2 daily kWh, 3 String 1 U, 4 L1 U, 5 String 1 I, 6 L1 P.
    const cases: Array<[number, MeasurementKey, string, number | null]> = [
      [1, "energy_total_kwh", "1.000", null],
      [1, "energy_total_kwh", "69.424", null],
      [1, "energy_total_kwh", "69424.0", null],
      [0, "ac_power_w", "1.000", null],
      [0, "ac_power_w", "-5", null],
      [6, "l1_power_w", "2.336", null],
      [4, "l1_voltage_v", "230.5", null],
      [5, "dc1_current_a", "1.000", null],
      [5, "dc1_current_a", "0.53", 0.53],
      [5, "dc1_current_a", "3.9", 3.9],
      [5, "dc1_current_a", "4", 4],
      [2, "energy_today_kwh", "0", 0],
      [2, "energy_today_kwh", "14.68", 14.68],
      [2, "energy_today_kwh", "1.000", null],
      [1, "energy_total_kwh", "0069424", 69424],
    ];
    for (const [cell, key, text, expected] of cases) {
      const read = parseStatusPage(setValueCells(page, (n) => (n === cell ? text : null)));
      assert.equal(read.values.get(key), expected, `${key} '${text}'`);
      if (expected === null) {
        assert.equal(read.warnings.length, 1, `${key} '${text}': one warning`);
        assert.match(read.warnings[0]!, new RegExp(`^${key}: cannot read '${text.replace(".", "\\.")}'`));
      } else {
        assert.deepEqual(read.warnings, [], `${key} '${text}'`);
      }
    }
  },
);

function publisherWithLog() {
  const lines: string[] = [];
  const output: Output = {
    name: "test",
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    publishReading: () => undefined,
    publishInverterStatus: () => undefined,
    publishEvent: () => undefined,
    health: () => ({ state: "connected", queued: 0, dropped: 0, delivered: 0, message: "" }),
  };
  const log = createLogger({ level: "debug", write: (line) => lines.push(line) });
  const guard = new ReadingGuard({ replacedAfter: 3, dataDir: null, warn: (m) => lines.push(m) });
  return { lines, publisher: new ReadingPublisher(output, guard, log, true) };
}

test("a cell that stays unreadable is logged once per change, not on every poll", () => {
  const { lines, publisher } = publisherWithLog();
  const base = simulatedPage();
  let at = Date.parse("2026-06-21T10:00:00Z");
  const poll = (dc1Current: string) => {
    const page = parseStatusPage(setValueCells(base, (n) => (n === 5 ? dc1Current : null)));
    at += 10_000;
    publisher.publish(toReading(page, "dach", at), page.warnings);
  };
  const warned = () => lines.filter((l) => /dc1_current_a: cannot read/.test(l)).length;
  for (let i = 0; i < 5; i++) poll("abc");
  assert.equal(warned(), 1, "five polls, one line");
  poll("abd");
  assert.equal(warned(), 2, "the cell shows something else: said again");
  poll("abd");
  poll("6.62");
  poll("abd");
  assert.equal(warned(), 3, "readable in between: said again");
});
