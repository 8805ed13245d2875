import { INVERTER_STATUSES, STATUS_CODES } from "./status.js";

/**
 * The header of the normalised reading: the fields every reading carries, whatever the model, each with its JSON
 * Schema (from which its TypeScript type is derived) and its DTDL schema. Part of the field table (fields.ts
 * re-exports it): the serialiser, the JSON Schema, the DTDL model and the README's header table are made from it.
 */

export const SCHEMA_VERSION = 1;

export const INVERTER_ID_PATTERN = "^[a-z0-9_-]{1,64}$";

/**
 * The header fields in the order they are written. `schema` is the value's JSON Schema, from which its TypeScript
 * type is derived too; `dtdl` its DTDL schema (a string with an enum becomes a DTDL Enum).
 */
export const HEADER_FIELDS = [
  {
    key: "schema_version",
    description: `Version of the reading's layout: \`${SCHEMA_VERSION}\``,
    schema: { type: "integer", const: SCHEMA_VERSION },
    dtdl: "integer",
  },
  {
    key: "inverter",
    description: "Inverter id, `[a-z0-9_-]`",
    schema: { type: "string", pattern: INVERTER_ID_PATTERN },
    dtdl: "string",
  },
  {
    key: "model",
    description: 'Model as the inverter names itself, e.g. `"PIKO 5.5"`',
    schema: { type: "string" },
    dtdl: "string",
  },
  { key: "name", description: "Device name set on the inverter", schema: { type: "string" }, dtdl: "string" },
  {
    key: "rs485_address",
    description: "RS485 bus address",
    schema: { type: "integer", minimum: 0, maximum: 255 },
    dtdl: "integer",
  },
  {
    key: "ts",
    description: "Measurement time, ISO-8601 UTC with milliseconds",
    schema: { type: "string", format: "date-time" },
    dtdl: "dateTime",
  },
  {
    key: "ts_ms",
    description: "Measurement time, epoch milliseconds",
    schema: { type: "integer" },
    dtdl: "long",
  },
  {
    key: "status",
    description: "Operating status",
    schema: { type: "string", enum: INVERTER_STATUSES },
    dtdl: "string",
  },
  {
    key: "status_code",
    description: "Operating status in the dxs numbering (0 off .. 8 waiting), -1 unknown",
    schema: { type: "integer", enum: Object.values(STATUS_CODES) },
    dtdl: "integer",
  },
  {
    key: "status_text",
    description: 'Status as the inverter showed it, e.g. `"Einspeisen MPP"`',
    schema: { type: "string" },
    dtdl: "string",
  },
] as const;

type HeaderField = (typeof HEADER_FIELDS)[number];
type JsonValue<Schema> = Schema extends { readonly const: infer Value }
  ? Value
  : Schema extends { readonly type: "string"; readonly enum: ReadonlyArray<infer Value> }
    ? Value
    : Schema extends { readonly type: "integer" }
      ? number
      : string;

/** The fields every reading carries, whatever the model. */
export type ReadingHeader = { -readonly [F in HeaderField as F["key"]]: JsonValue<F["schema"]> };

export const HEADER_KEYS: ReadonlyArray<HeaderField["key"]> = HEADER_FIELDS.map((f) => f.key);
