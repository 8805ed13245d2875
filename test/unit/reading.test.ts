import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { MEASUREMENT_FIELDS, type MeasurementKey } from "../../modules/kostal2mqtt/src/reading/fields.js";
import { readingJsonSchema } from "../../modules/kostal2mqtt/src/reading/jsonSchema.js";
import {
  sanitiseInverterId,
  toReading,
  type PageContent,
} from "../../modules/kostal2mqtt/src/reading/reading.js";
import { formatMeasurement, serialiseReading } from "../../modules/kostal2mqtt/src/reading/serialise.js";
import { classifyStatus } from "../../modules/kostal2mqtt/src/reading/status.js";
import { repoPath } from "../support/paths.js";
import { readingValidator } from "../support/readingSchema.js";

function page(values: Record<string, number | null>, statusText = "Einspeisen MPP"): PageContent {
  return {
    model: "PIKO 5.5",
    name: "Dach",
    rs485Address: 255,
    statusText,
    values: new Map(Object.entries(values) as Array<[MeasurementKey, number | null]>),
    warnings: [],
  };
}

const ONE_STRING_ONE_PHASE = {
  ac_power_w: 2336,
  energy_total_kwh: 39116,
  energy_today_kwh: 0.7,
  dc1_voltage_v: 338,
  dc1_current_a: 3.88,
  l1_voltage_v: 236,
  l1_power_w: 2336,
};

test("measurements are always written with a decimal point, never as NaN or Infinity", () => {
  assert.equal(formatMeasurement(39116), "39116.0");
  assert.equal(formatMeasurement(0), "0.0");
  assert.equal(formatMeasurement(-0), "0.0");
  assert.equal(formatMeasurement(0.7), "0.7");
  assert.equal(formatMeasurement(11.71), "11.71");
  assert.equal(formatMeasurement(null), "null");
  assert.equal(formatMeasurement(Number.NaN), "null");
  assert.equal(formatMeasurement(Number.POSITIVE_INFINITY), "null");
  assert.equal(formatMeasurement(1e21), "1e+21");
});

test("a reading serialises flat, in field-table order, with absent slots absent and nulls kept", () => {
  const reading = toReading(
    page({ ...ONE_STRING_ONE_PHASE, dc1_current_a: null }),
    "dach",
    Date.UTC(2026, 5, 1, 12, 0, 0, 5),
  );
  const json = serialiseReading(reading);
  assert.equal(
    json,
    '{"schema_version":1,"inverter":"dach","model":"PIKO 5.5","name":"Dach","rs485_address":255,' +
      '"ts":"2026-06-01T12:00:00.005Z","ts_ms":1780315200005,"status":"feeding_mpp","status_code":3,' +
      '"status_text":"Einspeisen MPP","ac_power_w":2336.0,"energy_today_kwh":0.7,"energy_total_kwh":39116.0,' +
      '"dc1_voltage_v":338.0,"dc1_current_a":null,"l1_voltage_v":236.0,"l1_power_w":2336.0}',
  );
  const parsed = JSON.parse(json) as Record<string, unknown>;
  assert.equal("dc2_voltage_v" in parsed, false);
  assert.equal("l2_power_w" in parsed, false);
});

test("status texts of the three UI languages map to the dxs numbering; anything else is unknown", () => {
  const cases: Array<[string, string]> = [
    ["Aus", "off"],
    ["off", "off"],
    ["uit", "off"],
    ["Leerlauf", "idle"],
    ["Einspeisen MPP", "feeding_mpp"],
    ["supply MPP", "feeding_mpp"],
    ["toevoer MPP", "feeding_mpp"],
    ["Einspeisen (MPP)", "feeding_mpp"],
    ["  Einspeisen   MPP ", "feeding_mpp"],
    ["Einspeisen abgeregelt", "feeding_limited"],
    ["Einspeisen", "feeding"],
    ["Anfahren", "starting"],
    ["Isolationsmessung", "insulation_measurement"],
    ["Fehler 3107", "unknown"],
    ["", "unknown"],
  ];
  for (const [text, status] of cases) assert.equal(classifyStatus(text), status, text);
  const reading = toReading(page(ONE_STRING_ONE_PHASE, "Fehler"), "x", 0);
  assert.equal(reading.status, "unknown");
  assert.equal(reading.status_code, -1);
  assert.equal(toReading(page(ONE_STRING_ONE_PHASE, "Aus"), "x", 0).status_code, 0);
});

test("inverter ids are sanitised to [a-z0-9_-] and validated", () => {
  assert.equal(sanitiseInverterId("192.168.0.40"), "192_168_0_40");
  assert.equal(sanitiseInverterId("Dach Süd/#+"), "dach_s_d");
  assert.equal(sanitiseInverterId("+#"), "piko");
  assert.equal(sanitiseInverterId("x".repeat(100)).length, 64);
  assert.throws(() => toReading(page(ONE_STRING_ONE_PHASE), "bad/id", 0), TypeError);
});

test("the committed JSON Schema is the one generated from the field table, and readings validate against it", () => {
  const committed = JSON.parse(readFileSync(repoPath("schema/reading.schema.json"), "utf8")) as unknown;
  assert.deepEqual(
    committed,
    readingJsonSchema(),
    "regenerate with: node bin/kostal2mqtt.js schema > schema/reading.schema.json",
  );
  const validate = readingValidator();
  const reading = JSON.parse(serialiseReading(toReading(page(ONE_STRING_ONE_PHASE), "dach", 0))) as unknown;
  assert.equal(validate(reading), true, JSON.stringify(validate.errors));
  assert.equal(validate({ ...(reading as object), l4_power_w: 1.0 }), false, "unknown fields are rejected");
  assert.equal(
    validate({ ...(reading as object), ac_power_w: "230 W" }),
    false,
    "strings are not measurements",
  );
  const schemaFields = Object.keys((readingJsonSchema().properties as object) ?? {});
  for (const field of MEASUREMENT_FIELDS) assert.ok(schemaFields.includes(field.key), field.key);
});
