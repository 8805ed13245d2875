import assert from "node:assert/strict";
import { test } from "node:test";
import { domGrid } from "../../modules/kostal2mqtt/src/piko/gridDom.js";
import { scanGrid } from "../../modules/kostal2mqtt/src/piko/gridScanner.js";
import { parseStatusPage } from "../../modules/kostal2mqtt/src/piko/statusPage.js";
import {
  MEASUREMENT_FIELDS,
  PAGE_FIELDS,
  type MeasurementKey,
} from "../../modules/kostal2mqtt/src/reading/fields.js";
import { toReading } from "../../modules/kostal2mqtt/src/reading/reading.js";
import { serialiseReading } from "../../modules/kostal2mqtt/src/reading/serialise.js";
import { capturesTestOptions, listCaptures, readCapture } from "../support/fixtures.js";
import { assertValidReading } from "../support/readingSchema.js";

/**
 * Every real capture in the shared `piko-html/` folder, with what a person reads on it, written out by hand from
 * the files (not from the parser's output): header, status, each value cell, and the slots the model lacks.
 * Counters are never 0 for `x x x`; instantaneous values read 0 for it.
 */

interface ExpectedCapture {
  model: string;
  name: string;
  rs485Address: number;
  statusText: string;
  /** The normalised status and its dxs code. */
  status: string;
  statusCode: number;
  /** Every field the page has, with its value. */
  values: Partial<Record<MeasurementKey, number>>;
  /** The fields of slots this model does not have: absent from the reading, not null, not 0. */
  absent: MeasurementKey[];
  /** The measurement part of the serialised reading, in field-table order, written out by hand. */
  json: string;
}

const TWO_STRINGS_THREE_PHASES_ABSENT: MeasurementKey[] = ["dc3_voltage_v", "dc3_current_a"];

const EXPECTED: Record<string, ExpectedCapture> = {
  "piko3.6-2string-1phase-en-running.html": {
    model: "PIKO 3.6",
    name: "VS7",
    rs485Address: 255,
    statusText: "supply MPP",
    status: "feeding_mpp",
    statusCode: 3,
    values: {
      ac_power_w: 2336,
      energy_total_kwh: 33523,
      energy_today_kwh: 11.71,
      dc1_voltage_v: 338,
      dc1_current_a: 3.88,
      dc2_voltage_v: 336,
      dc2_current_a: 3.97,
      l1_voltage_v: 236,
      l1_power_w: 2336,
    },
    absent: ["dc3_voltage_v", "dc3_current_a", "l2_voltage_v", "l2_power_w", "l3_voltage_v", "l3_power_w"],
    json:
      '"ac_power_w":2336.0,"energy_today_kwh":11.71,"energy_total_kwh":33523.0,' +
      '"dc1_voltage_v":338.0,"dc1_current_a":3.88,"dc2_voltage_v":336.0,"dc2_current_a":3.97,' +
      '"l1_voltage_v":236.0,"l1_power_w":2336.0',
  },
  "piko5.5-3string-3phase-de-running-lowpower.html": {
    model: "PIKO 5.5",
    name: "Namenlos",
    rs485Address: 255,
    statusText: "Einspeisen MPP",
    status: "feeding_mpp",
    statusCode: 3,
    values: {
      ac_power_w: 112,
      energy_total_kwh: 9290,
      energy_today_kwh: 19.83,
      dc1_voltage_v: 384,
      dc1_current_a: 0.2,
      dc2_voltage_v: 278,
      dc2_current_a: 0.21,
      dc3_voltage_v: 0,
      dc3_current_a: 0,
      l1_voltage_v: 230,
      l1_power_w: 0,
      l2_voltage_v: 232,
      l2_power_w: 112,
      l3_voltage_v: 230,
      l3_power_w: 0,
    },
    absent: [],
    json:
      '"ac_power_w":112.0,"energy_today_kwh":19.83,"energy_total_kwh":9290.0,' +
      '"dc1_voltage_v":384.0,"dc1_current_a":0.2,"dc2_voltage_v":278.0,"dc2_current_a":0.21,' +
      '"dc3_voltage_v":0.0,"dc3_current_a":0.0,' +
      '"l1_voltage_v":230.0,"l1_power_w":0.0,"l2_voltage_v":232.0,"l2_power_w":112.0,' +
      '"l3_voltage_v":230.0,"l3_power_w":0.0',
  },
  "piko5.5-3string-3phase-nl-running-clipboardcopy.html": {
    model: "PIKO 5.5",
    name: "PV",
    rs485Address: 255,
    statusText: "toevoer MPP",
    status: "feeding_mpp",
    statusCode: 3,
    values: {
      ac_power_w: 3126,
      energy_total_kwh: 41801,
      energy_today_kwh: 13.46,
      dc1_voltage_v: 275,
      dc1_current_a: 6.27,
      dc2_voltage_v: 247,
      dc2_current_a: 6.47,
      dc3_voltage_v: 0,
      dc3_current_a: 0,
      l1_voltage_v: 247,
      l1_power_w: 1032,
      l2_voltage_v: 241,
      l2_power_w: 1027,
      l3_voltage_v: 246,
      l3_power_w: 1069,
    },
    absent: [],
    json:
      '"ac_power_w":3126.0,"energy_today_kwh":13.46,"energy_total_kwh":41801.0,' +
      '"dc1_voltage_v":275.0,"dc1_current_a":6.27,"dc2_voltage_v":247.0,"dc2_current_a":6.47,' +
      '"dc3_voltage_v":0.0,"dc3_current_a":0.0,' +
      '"l1_voltage_v":247.0,"l1_power_w":1032.0,"l2_voltage_v":241.0,"l2_power_w":1027.0,' +
      '"l3_voltage_v":246.0,"l3_power_w":1069.0',
  },
  "piko8.3-2string-3phase-de-off-xxx-variant-likely-handedited.html": {
    model: "PIKO 8.3",
    name: "WittlerPV",
    rs485Address: 15,
    statusText: "Aus",
    status: "off",
    statusCode: 0,
    // `xxx` in every instantaneous cell; the total is still shown and the daily energy is a real `0`.
    values: {
      ac_power_w: 0,
      energy_total_kwh: 42906,
      energy_today_kwh: 0,
      dc1_voltage_v: 0,
      dc1_current_a: 0,
      dc2_voltage_v: 0,
      dc2_current_a: 0,
      l1_voltage_v: 0,
      l1_power_w: 0,
      l2_voltage_v: 0,
      l2_power_w: 0,
      l3_voltage_v: 0,
      l3_power_w: 0,
    },
    absent: TWO_STRINGS_THREE_PHASES_ABSENT,
    json:
      '"ac_power_w":0.0,"energy_today_kwh":0.0,"energy_total_kwh":42906.0,' +
      '"dc1_voltage_v":0.0,"dc1_current_a":0.0,"dc2_voltage_v":0.0,"dc2_current_a":0.0,' +
      '"l1_voltage_v":0.0,"l1_power_w":0.0,"l2_voltage_v":0.0,"l2_power_w":0.0,' +
      '"l3_voltage_v":0.0,"l3_power_w":0.0',
  },
  "piko8.3-2string-3phase-de-off.html": {
    model: "PIKO 8.3",
    name: "piko",
    rs485Address: 255,
    statusText: "Aus",
    status: "off",
    statusCode: 0,
    // `x x x&nbsp` in every instantaneous cell; both energies are still shown.
    values: {
      ac_power_w: 0,
      energy_total_kwh: 69425,
      energy_today_kwh: 15.19,
      dc1_voltage_v: 0,
      dc1_current_a: 0,
      dc2_voltage_v: 0,
      dc2_current_a: 0,
      l1_voltage_v: 0,
      l1_power_w: 0,
      l2_voltage_v: 0,
      l2_power_w: 0,
      l3_voltage_v: 0,
      l3_power_w: 0,
    },
    absent: TWO_STRINGS_THREE_PHASES_ABSENT,
    json:
      '"ac_power_w":0.0,"energy_today_kwh":15.19,"energy_total_kwh":69425.0,' +
      '"dc1_voltage_v":0.0,"dc1_current_a":0.0,"dc2_voltage_v":0.0,"dc2_current_a":0.0,' +
      '"l1_voltage_v":0.0,"l1_power_w":0.0,"l2_voltage_v":0.0,"l2_power_w":0.0,' +
      '"l3_voltage_v":0.0,"l3_power_w":0.0',
  },
  "piko8.3-2string-3phase-de-running-lowpower.html": {
    model: "PIKO 8.3",
    name: "piko",
    rs485Address: 255,
    statusText: "Einspeisen MPP",
    status: "feeding_mpp",
    statusCode: 3,
    values: {
      ac_power_w: 284,
      energy_total_kwh: 69424,
      energy_today_kwh: 14.68,
      dc1_voltage_v: 435,
      dc1_current_a: 0.38,
      dc2_voltage_v: 445,
      dc2_current_a: 0.42,
      l1_voltage_v: 220,
      l1_power_w: 0,
      l2_voltage_v: 221,
      l2_power_w: 0,
      l3_voltage_v: 222,
      l3_power_w: 284,
    },
    absent: TWO_STRINGS_THREE_PHASES_ABSENT,
    json:
      '"ac_power_w":284.0,"energy_today_kwh":14.68,"energy_total_kwh":69424.0,' +
      '"dc1_voltage_v":435.0,"dc1_current_a":0.38,"dc2_voltage_v":445.0,"dc2_current_a":0.42,' +
      '"l1_voltage_v":220.0,"l1_power_w":0.0,"l2_voltage_v":221.0,"l2_power_w":0.0,' +
      '"l3_voltage_v":222.0,"l3_power_w":284.0',
  },
  "piko8.3-2string-3phase-de-zero-power.html": {
    model: "PIKO 8.3",
    name: "piko",
    rs485Address: 255,
    statusText: "Leerlauf",
    status: "idle",
    statusCode: 1,
    // The daily energy is printed as a bare `0`, not `0.00`.
    values: {
      ac_power_w: 0,
      energy_total_kwh: 69425,
      energy_today_kwh: 0,
      dc1_voltage_v: 144,
      dc1_current_a: 0.02,
      dc2_voltage_v: 244,
      dc2_current_a: 0.01,
      l1_voltage_v: 223,
      l1_power_w: 0,
      l2_voltage_v: 223,
      l2_power_w: 0,
      l3_voltage_v: 223,
      l3_power_w: 0,
    },
    absent: TWO_STRINGS_THREE_PHASES_ABSENT,
    json:
      '"ac_power_w":0.0,"energy_today_kwh":0.0,"energy_total_kwh":69425.0,' +
      '"dc1_voltage_v":144.0,"dc1_current_a":0.02,"dc2_voltage_v":244.0,"dc2_current_a":0.01,' +
      '"l1_voltage_v":223.0,"l1_power_w":0.0,"l2_voltage_v":223.0,"l2_power_w":0.0,' +
      '"l3_voltage_v":223.0,"l3_power_w":0.0',
  },
};

const MEASURED_AT = Date.UTC(2026, 5, 1, 12, 0, 0, 5);
const fixtureOptions = capturesTestOptions();

test("every capture on disk has expectations, and every expectation has its capture", fixtureOptions, () => {
  assert.deepEqual(
    listCaptures(),
    Object.keys(EXPECTED).sort(),
    "a new capture in piko-html/ needs its hand-written expectations here",
  );
});

/** Fields only the newer interfaces give (dxs, MP plus): absent from every status page reading. */
const NOT_ON_THE_PAGE = MEASUREMENT_FIELDS.filter((field) => field.page === undefined).map((f) => f.key);

test("the expectations name every field of the old page, as present or as absent, once", () => {
  const all = PAGE_FIELDS.map((field) => field.key).sort();
  for (const [file, expected] of Object.entries(EXPECTED)) {
    assert.deepEqual([...Object.keys(expected.values), ...expected.absent].sort(), all, file);
  }
});

for (const [file, expected] of Object.entries(EXPECTED)) {
  test(`capture ${file}`, fixtureOptions, () => {
    const html = readCapture(file);
    const page = parseStatusPage(html);
    assert.equal(page.model, expected.model);
    assert.equal(page.name, expected.name);
    assert.equal(page.rs485Address, expected.rs485Address);
    assert.equal(page.statusText, expected.statusText);
    assert.deepEqual(page.warnings, []);
    assert.deepEqual(Object.fromEntries(page.values), expected.values);
    for (const key of [...expected.absent, ...NOT_ON_THE_PAGE])
      assert.equal(page.values.has(key), false, `${key} must be absent`);
    // Real captures take the fast path, and the fast and the reference reader agree on them.
    assert.equal(page.reader, "scanner");
    assert.deepEqual(scanGrid(html), domGrid(html));
  });

  test(`capture ${file}: reading and JSON`, fixtureOptions, () => {
    const reading = toReading(parseStatusPage(readCapture(file)), "piko_1", MEASURED_AT);
    const json = serialiseReading(reading);
    assertValidReading(reading, file);
    const header =
      `{"schema_version":1,"inverter":"piko_1","model":${JSON.stringify(expected.model)},` +
      `"name":${JSON.stringify(expected.name)},"rs485_address":${expected.rs485Address},` +
      `"ts":"2026-06-01T12:00:00.005Z","ts_ms":1780315200005,"status":"${expected.status}",` +
      `"status_code":${expected.statusCode},"status_text":${JSON.stringify(expected.statusText)},`;
    assert.equal(json, `${header}${expected.json}}`);

    const parsed = JSON.parse(json) as Record<string, unknown>;
    for (const [key, value] of Object.entries(expected.values)) assert.equal(parsed[key], value, key);
    for (const key of expected.absent) {
      assert.equal(key in parsed, false, `${key} must be absent from the JSON`);
      assert.equal(json.includes(`"${key}"`), false, `${key} must not be written at all`);
    }
    assert.deepEqual(parsed, { ...reading }, "JSON.parse gives the reading back");
    assert.equal(json.includes("null"), false, "a real capture has no unreadable cell");
  });
}
