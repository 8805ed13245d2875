import type { Reading } from "../../reading/reading.js";
import { DXS_IDENTITY_IDS, DXS_STATUS_ID, FIELD_BY_ID } from "./dxsIds.js";
import { MAX_IDS_PER_REQUEST } from "./dxsRequests.js";

/**
 * Writes a reading back as a `/api/dxs.json` answer, the inverse of dxsReader (used to serve the last reading to
 * tools that would otherwise poll the device). Pure: no I/O. The answer has the device's shape and manner
 * (piko.md; captures in `piko-dxs/`): entries in the order asked, each id once, floats with 6 decimals as the
 * device prints them, the status as an integer, `session` zeroes, and `status.code` 1 when an asked id is left out.
 *
 * What is left out and what is null follows the reading: a field the reading lacks (a slot the model does not
 * have, a value its interface never gave) is left out like an id the device does not know, so that reading the
 * answer gives back exactly the keys the reading had; a field the reading holds as null is written `null`, as the
 * device writes it for a value it has no measurement of (the L2/L3 voltage of a 1-phase PIKO 3.0). Ids of no field
 * (home consumption, battery), the identity facts a reading does not carry (serial, firmware, UI version) and an
 * unknown status are left out. Nothing beyond the reading is ever made up.
 */

export interface DxsQuery {
  /** The ids to answer, in the order asked, each once, at most MAX_IDS_PER_REQUEST. */
  readonly ids: readonly number[];
  /** Some `dxsEntries` were not an id the device could know, or beyond the 25 it answers: status.code 1. */
  readonly incomplete: boolean;
}

const ID = /^\d{1,10}$/;

/**
 * The ids of a request's query (`dxsEntries=ID&dxsEntries=ID...`). Other parameters are ignored like the device
 * ignores them; an entry that is not a number, and every entry after the 25th, counts as an unknown id
 * (inferred: no capture shows the device's answer to more than 25 ids, and answering the first 25 and saying
 * some were left out is never more than it would give).
 */
export function parseDxsQuery(search: URLSearchParams): DxsQuery {
  const asked = search.getAll("dxsEntries");
  const ids: number[] = [];
  let incomplete = asked.length > MAX_IDS_PER_REQUEST;
  for (const text of asked.slice(0, MAX_IDS_PER_REQUEST)) {
    const id = ID.test(text) ? Number(text) : Number.NaN;
    if (Number.isNaN(id)) incomplete = true;
    else if (!ids.includes(id)) ids.push(id);
  }
  return { ids, incomplete };
}

/** One entry's value as JSON text, or undefined when the id is left out. */
function entryJson(reading: Reading, id: number): string | undefined {
  const field = FIELD_BY_ID.get(id);
  if (field !== undefined) {
    const value = reading[field.key];
    if (value === undefined) return undefined;
    return value === null ? "null" : deviceFloat(value * field.divisor);
  }
  if (id === DXS_STATUS_ID) return reading.status_code < 0 ? undefined : String(reading.status_code);
  if (id === DXS_IDENTITY_IDS.name) return reading.name === "" ? undefined : JSON.stringify(reading.name);
  if (id === DXS_IDENTITY_IDS.type) return JSON.stringify(reading.model);
  return undefined;
}

/**
 * A float as the device's `%f` prints it: 6 decimals. Multiplied back by a divisor (kWh to Wh), a value may carry
 * a binary rounding error in its last bits, which the 6 decimals drop, so the reader divides back to the same value.
 * A reading's numbers are finite (its readers and guard see to that), so this is always a JSON number.
 */
function deviceFloat(value: number): string {
  return value.toFixed(6);
}

/** The answer body for a query, from a reading. */
export function writeDxsAnswer(reading: Reading, query: DxsQuery): string {
  const entries: string[] = [];
  let leftOut = query.incomplete;
  for (const id of query.ids) {
    const value = entryJson(reading, id);
    if (value === undefined) leftOut = true;
    else entries.push(`{"dxsId":${id},"value":${value}}`);
  }
  return (
    `{"dxsEntries":[${entries.join(",")}],"session":{"sessionId":0,"roleId":0},` +
    `"status":{"code":${leftOut ? 1 : 0}}}`
  );
}
