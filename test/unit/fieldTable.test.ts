import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { discoveryPayload } from "../../modules/kostal2mqtt/src/outputs/mqtt/homeAssistant.js";
import { MqttTopics } from "../../modules/kostal2mqtt/src/outputs/mqtt/mqttTopics.js";
import { readCell } from "../../modules/kostal2mqtt/src/piko/cellValue.js";
import { dtdlModel } from "../../modules/kostal2mqtt/src/reading/dtdlModel.js";
import {
  DEVICE_FIELDS,
  HEADER_KEYS,
  LEGACY_FIELDS,
  MEASUREMENT_FIELDS,
  PAGE_FIELDS,
  slotFields,
  unitSuffix,
  type MeasurementKey,
} from "../../modules/kostal2mqtt/src/reading/fields.js";
import { readingJsonSchema } from "../../modules/kostal2mqtt/src/reading/jsonSchema.js";
import {
  fieldTableMarkdown,
  headerTableMarkdown,
} from "../../modules/kostal2mqtt/src/reading/readmeTables.js";
import { repoPath } from "../support/paths.js";
import { sampleReading } from "../support/sampleReading.js";

/**
 * reading/fields.ts is the one place of every fact about a field: these tests check that the table is consistent
 * and that each consumer (parser, JSON Schema, DTDL, Home Assistant, README) takes its facts from it.
 */

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Slot = 1 | 2 | 3;
/** The union as it was written by hand before it was derived from the table. */
type HandWritten =
  | "ac_power_w"
  | "energy_today_kwh"
  | "energy_total_kwh"
  | `dc${Slot}_voltage_v`
  | `dc${Slot}_current_a`
  | `l${Slot}_voltage_v`
  | `l${Slot}_power_w`
  | `dc${Slot}_power_w`
  | `l${Slot}_current_a`
  | "dc_power_w"
  | "grid_frequency_hz"
  | "cos_phi"
  | "power_limitation_pct"
  | "home_consumption_w"
  | "home_from_pv_w"
  | "home_from_battery_w"
  | "home_from_grid_w"
  | "self_consumption_w"
  | "home_consumption_today_kwh"
  | "home_consumption_total_kwh"
  | "self_consumption_today_kwh"
  | "self_consumption_total_kwh"
  | "battery_voltage_v"
  | "battery_current_a"
  | "battery_temperature_c"
  | "battery_soc_pct";

test("MeasurementKey is derived from the table and lists every field, in the order readings write them", () => {
  const derived: Equal<MeasurementKey, HandWritten> = true;
  assert.equal(derived, true);
  assert.deepEqual(
    MEASUREMENT_FIELDS.map((field) => field.key),
    [
      "ac_power_w",
      "energy_today_kwh",
      "energy_total_kwh",
      ...[1, 2, 3].flatMap((i) => [`dc${i}_voltage_v`, `dc${i}_current_a`, `dc${i}_power_w`]),
      ...[1, 2, 3].flatMap((i) => [`l${i}_voltage_v`, `l${i}_power_w`, `l${i}_current_a`]),
      "dc_power_w",
      "grid_frequency_hz",
      "cos_phi",
      "power_limitation_pct",
      "home_consumption_w",
      "home_from_pv_w",
      "home_from_battery_w",
      "home_from_grid_w",
      "self_consumption_w",
      "home_consumption_today_kwh",
      "home_consumption_total_kwh",
      "self_consumption_today_kwh",
      "self_consumption_total_kwh",
      "battery_voltage_v",
      "battery_current_a",
      "battery_temperature_c",
      "battery_soc_pct",
    ],
  );
  for (const field of MEASUREMENT_FIELDS) {
    assert.ok(field.key.endsWith(unitSuffix(field.unit)), `${field.key} ends in its unit ${field.unit}`);
  }
});

test("the table is consistent: one state value per slot, distinct page rows and legacy paths", () => {
  const paths = LEGACY_FIELDS.map((field) => field.legacy.path.join("."));
  assert.equal(new Set(paths).size, paths.length, "legacy paths");
  const rows = DEVICE_FIELDS.map((field) => field.page.row);
  assert.equal(new Set(rows).size, rows.length, "energy rows");
  for (const group of ["dc", "phase"] as const) {
    for (const index of [1, 2, 3]) {
      const fields = slotFields(group, index);
      assert.equal(fields.length, 2, `${group}${index}`);
      assert.equal(fields.filter((field) => field.legacy?.state).length, 1, `${group}${index} legacy state`);
      assert.equal(new Set(fields.map((field) => field.page.row)).size, 2, `${group}${index} page rows`);
    }
  }
  for (const field of MEASUREMENT_FIELDS) {
    assert.equal(field.homeAssistant.stateClass === "total_increasing", !field.instantaneous, field.key);
  }
  for (const field of PAGE_FIELDS) {
    assert.ok(field.page.labels.length >= 3, `${field.key}: a label in each UI language (de, en, nl)`);
  }
  // The original script's document keeps its shape: only fields of the old page are in it.
  assert.deepEqual(
    LEGACY_FIELDS.map((field) => field.key),
    PAGE_FIELDS.map((field) => field.key),
  );
});

test("the page reader takes each field's number format from the table", () => {
  for (const field of PAGE_FIELDS) {
    const { decimals } = field.page;
    const allowed = decimals === 0 ? "12" : `12.${"3".repeat(decimals)}`;
    assert.equal(readCell(field, allowed).value, Number(allowed), `${field.key} '${allowed}'`);
    const tooFine = `12.${"3".repeat(decimals + 1)}`;
    assert.equal(readCell(field, tooFine).value, null, `${field.key} '${tooFine}'`);
    assert.equal(readCell(field, "x x x").value, field.instantaneous ? 0 : null, `${field.key} off`);
  }
});

test("the JSON Schema, the DTDL model and Home Assistant discovery take their facts from the table", () => {
  const schema = readingJsonSchema();
  assert.deepEqual(
    schema.required,
    [...HEADER_KEYS, ...DEVICE_FIELDS.map((field) => field.key)],
    "the header and the whole-device values (null where an answer lacks them) are in every reading",
  );
  assert.deepEqual(Object.keys(schema.properties as object), [
    ...HEADER_KEYS,
    ...MEASUREMENT_FIELDS.map((field) => field.key),
  ]);

  const telemetry = (dtdlModel().contents as Array<Record<string, unknown>>).filter((content) =>
    [content["@type"]].flat().includes("Telemetry"),
  );
  assert.deepEqual(
    telemetry.map((content) => content.name),
    [...HEADER_KEYS, ...MEASUREMENT_FIELDS.map((field) => field.key)],
  );
  for (const field of MEASUREMENT_FIELDS) {
    const content = telemetry.find((c) => c.name === field.key);
    assert.deepEqual(
      content?.["@type"],
      field.dtdl ? ["Telemetry", field.dtdl.semantic] : "Telemetry",
      field.key,
    );
    assert.equal(content?.unit, field.dtdl?.unit, field.key);
  }

  const discovery = JSON.parse(
    discoveryPayload(new MqttTopics("KOSTAL", "homeassistant", ""), sampleReading()),
  ) as {
    cmps: Record<string, Record<string, unknown>>;
  };
  for (const field of MEASUREMENT_FIELDS) {
    const sensor = discovery.cmps[`dach_${field.key}`];
    assert.deepEqual(
      sensor && [
        sensor.name,
        sensor.unit_of_measurement,
        sensor.device_class,
        sensor.state_class,
        sensor.suggested_display_precision,
      ],
      [
        field.description,
        field.homeAssistant.unit,
        field.homeAssistant.deviceClass,
        field.homeAssistant.stateClass,
        field.homeAssistant.displayPrecision,
      ],
      field.key,
    );
  }
});

const readme = () => readFileSync(repoPath("README.md"), "utf8");

test("README.md's measurement table is the one generated from the field table", () => {
  const table = fieldTableMarkdown();
  assert.ok(
    readme().includes(`\n${table}\n`),
    `README.md's measurement table differs; replace it with:\n\n${table}\n`,
  );
});

test("README.md's header table is the one generated from the field table", () => {
  const table = headerTableMarkdown();
  assert.ok(
    readme().includes(`\n${table}\n`),
    `README.md's header table differs; replace it with:\n\n${table}\n`,
  );
});
