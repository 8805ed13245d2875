import { DEVICE_FIELDS, HEADER_FIELDS, HEADER_KEYS, MEASUREMENT_FIELDS } from "./fields.js";

export const READING_SCHEMA_ID = "https://github.com/kostal2mqtt/kostal2mqtt/schema/reading.schema.json";

/** The JSON Schema (2020-12) of a schema_version 1 reading, generated from the field table. */
export function readingJsonSchema(): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const field of HEADER_FIELDS)
    properties[field.key] = { description: field.description, ...field.schema };
  for (const field of MEASUREMENT_FIELDS) {
    const unit = field.unit === "" ? "" : ` (${field.unit})`;
    properties[field.key] = {
      description: `${field.description}${unit}; absent when the model (or the interface read) has no such ${field.slot ? field.slot.group : "value"}, null when the page showed it unreadable`,
      type: ["number", "null"],
      ...(field.unit !== "" && { "x-unit": field.unit }),
    };
  }
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: READING_SCHEMA_ID,
    title: "kostal2mqtt reading",
    description:
      "One normalised reading of a KOSTAL PIKO inverter. Measurements are floats, always written with a decimal point.",
    type: "object",
    additionalProperties: false,
    // Every reading has the header and the whole-device values (null when the answer read did not give them, as a
    // day-statistics dxs.json answer gives no power); slots the model or the interface lacks are absent.
    required: [...HEADER_KEYS, ...DEVICE_FIELDS.map((field) => field.key)],
    properties,
  };
}
