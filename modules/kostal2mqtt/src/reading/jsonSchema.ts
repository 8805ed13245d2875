import { MEASUREMENT_FIELDS } from "./fields.js";
import { INVERTER_STATUSES, STATUS_CODES } from "./status.js";
import { HEADER_KEYS, SCHEMA_VERSION } from "./reading.js";

export const READING_SCHEMA_ID = "https://github.com/kostal2mqtt/kostal2mqtt/schema/reading.schema.json";

/** The JSON Schema (2020-12) of a schema_version 1 reading, generated from the field table. */
export function readingJsonSchema(): Record<string, unknown> {
  const measurements = Object.fromEntries(
    MEASUREMENT_FIELDS.map((field) => [
      field.key,
      {
        description: `${field.description} (${field.unit}); absent when the model has no such ${field.slot ? field.slot.group : "value"}, null when the page showed it unreadable`,
        type: ["number", "null"],
        "x-unit": field.unit,
      },
    ]),
  );
  return {
    $schema: "https://json-schema.org/draft/2020-12/schema",
    $id: READING_SCHEMA_ID,
    title: "kostal2mqtt reading",
    description:
      "One normalised reading of a KOSTAL PIKO inverter. Measurements are floats, always written with a decimal point.",
    type: "object",
    additionalProperties: false,
    required: [...HEADER_KEYS, "ac_power_w", "energy_today_kwh", "energy_total_kwh"],
    properties: {
      schema_version: { const: SCHEMA_VERSION },
      inverter: { description: "Inverter id", type: "string", pattern: "^[a-z0-9_-]{1,64}$" },
      model: { description: 'Model as the inverter names itself, e.g. "PIKO 5.5"', type: "string" },
      name: { description: "Device name set on the inverter", type: "string" },
      rs485_address: { description: "RS485 bus address", type: "integer", minimum: 0, maximum: 255 },
      ts: {
        description: "Measurement time, ISO-8601 UTC with milliseconds",
        type: "string",
        format: "date-time",
      },
      ts_ms: { description: "Measurement time, epoch milliseconds", type: "integer" },
      status: { description: "Operating status", enum: INVERTER_STATUSES },
      status_code: {
        description: "Operating status in the dxs numbering (0 off .. 8 waiting), -1 unknown",
        enum: Object.values(STATUS_CODES),
      },
      status_text: { description: "Status as the inverter showed it", type: "string" },
      ...measurements,
    },
  };
}
