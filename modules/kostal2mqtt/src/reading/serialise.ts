import { HEADER_KEYS, MEASUREMENT_FIELDS } from "./fields.js";
import type { Reading } from "./reading.js";

/**
 * A measurement is always written with a decimal point (`39116.0`, `0.7`), so that consumers that infer int vs
 * float from the JSON text (InfluxDB via node-influx, Python's json) never see the type flip (consumers.md).
 */
export function formatMeasurement(value: number | null): string {
  if (value === null || !Number.isFinite(value)) return "null";
  if (Number.isInteger(value) && Math.abs(value) < 1e21) return value.toFixed(1);
  return String(value);
}

/** The reading as one line of JSON: header fields first, then measurements in field-table order. */
export function serialiseReading(reading: Reading): string {
  const parts: string[] = [];
  for (const key of HEADER_KEYS) parts.push(`${JSON.stringify(key)}:${JSON.stringify(reading[key])}`);
  for (const field of MEASUREMENT_FIELDS) {
    const value = reading[field.key];
    if (value === undefined) continue;
    parts.push(`"${field.key}":${formatMeasurement(value)}`);
  }
  return `{${parts.join(",")}}`;
}
