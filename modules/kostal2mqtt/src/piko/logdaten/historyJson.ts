import { formatMeasurement } from "../../reading/serialise.js";
import { HISTORY_FIELDS, type HistoryEntry } from "./historyFields.js";

/**
 * A history entry as one line of JSON, snake_case on the wire: `kind` ("row" or "event"), the inverter id when
 * given, `time` (ISO 8601 UTC), `device_seconds`, then a row's fields in HISTORY_FIELDS order (measurements always
 * with a decimal point, as in readings; codes as integers; null where unknown) or an event's `event`.
 */
export function serialiseHistoryEntry(entry: HistoryEntry, inverter?: string): string {
  const parts = [`"kind":${JSON.stringify(entry.kind)}`];
  if (inverter !== undefined) parts.push(`"inverter":${JSON.stringify(inverter)}`);
  parts.push(`"time":${JSON.stringify(entry.time)}`, `"device_seconds":${entry.deviceSeconds}`);
  if (entry.kind === "event") {
    parts.push(`"event":${JSON.stringify(entry.event)}`);
  } else {
    for (const field of HISTORY_FIELDS) {
      const value = entry.values[field.key] ?? null;
      parts.push(`"${field.key}":${field.unit === null ? JSON.stringify(value) : formatMeasurement(value)}`);
    }
  }
  return `{${parts.join(",")}}`;
}
