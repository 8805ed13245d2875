import { MEASUREMENT_FIELDS, type MeasurementKey } from "../../modules/kostal2mqtt/src/reading/fields.js";
import { toReading, type Reading } from "../../modules/kostal2mqtt/src/reading/reading.js";
import { assertValidReading } from "./readingSchema.js";

/**
 * A reading as the page reader builds it, for contract tests: every field of the table (distinct values), or only
 * the slots of a smaller model (`keep`).
 */
export function sampleReading(
  inverter = "dach",
  keep: (key: MeasurementKey) => boolean = () => true,
  at = Date.UTC(2026, 5, 21, 10, 0, 0, 123),
): Reading {
  const values = new Map<MeasurementKey, number | null>(
    MEASUREMENT_FIELDS.filter((field) => keep(field.key)).map((field, i) => [field.key, 10 * i + 0.5]),
  );
  const reading = toReading(
    {
      model: "PIKO 10.1",
      name: "Dach",
      rs485Address: 255,
      statusText: "Einspeisen MPP",
      values,
      warnings: [],
    },
    inverter,
    at,
  );
  assertValidReading(reading, "sampleReading()");
  return reading;
}
