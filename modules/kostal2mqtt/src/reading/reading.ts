import {
  DEVICE_FIELDS,
  INVERTER_ID_PATTERN,
  MEASUREMENT_FIELDS,
  SCHEMA_VERSION,
  type MeasurementKey,
  type ReadingHeader,
} from "./fields.js";
import { classifyStatus, STATUS_CODES } from "./status.js";

export { HEADER_KEYS, SCHEMA_VERSION, type ReadingHeader } from "./fields.js";

/**
 * A normalised reading: the header plus one key per measurement the model has. A slot the model lacks is absent;
 * a value the page showed but that could not be read is null.
 */
export type Reading = ReadingHeader & Partial<Record<MeasurementKey, number | null>>;

/** What the page says, before it is tied to an inverter id and a measurement time. */
export interface PageContent {
  model: string;
  name: string;
  rs485Address: number;
  statusText: string;
  /** Measurement values by field key; only the keys of slots the model has. */
  values: Map<MeasurementKey, number | null>;
  /** One line for each cell that could not be read (the field is null). */
  warnings: string[];
}

const INVERTER_ID = new RegExp(INVERTER_ID_PATTERN);

/** Makes an inverter id of any text: lower case, `[a-z0-9_-]`, at most 64 characters. */
export function sanitiseInverterId(text: string): string {
  const id = text
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 64);
  return id === "" ? "piko" : id;
}

export function isInverterId(text: string): boolean {
  return INVERTER_ID.test(text);
}

const DEVICE_KEYS = new Set<MeasurementKey>(DEVICE_FIELDS.map((field) => field.key));

/**
 * The reading of one page, answer or document. A slot the model (or the interface read) lacks is absent; the
 * whole-device values (AC power, energy today, lifetime total) every inverter has are always there, null when this
 * answer did not give them (a partial dxs.json answer, an MP plus document of events only): consumers see one shape.
 */
export function toReading(page: PageContent, inverter: string, measuredAtMs: number): Reading {
  if (!isInverterId(inverter)) throw new TypeError(`inverter id must match ${String(INVERTER_ID)}`);
  const status = classifyStatus(page.statusText);
  const reading: Reading = {
    schema_version: SCHEMA_VERSION,
    inverter,
    model: page.model,
    name: page.name,
    rs485_address: page.rs485Address,
    ts: new Date(measuredAtMs).toISOString(),
    ts_ms: measuredAtMs,
    status,
    status_code: STATUS_CODES[status],
    status_text: page.statusText,
  };
  for (const field of MEASUREMENT_FIELDS) {
    if (page.values.has(field.key)) reading[field.key] = page.values.get(field.key) ?? null;
    else if (DEVICE_KEYS.has(field.key)) reading[field.key] = null;
  }
  return reading;
}
