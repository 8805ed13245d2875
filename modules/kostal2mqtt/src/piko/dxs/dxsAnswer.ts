import { excerpt, PageFormat } from "../errors.js";

/**
 * The shape of one `/api/dxs.json` answer (piko.md):
 * `{"dxsEntries":[{"dxsId":N,"value":V}...],"session":{...},"status":{"code":0}}`. Only the shape is checked
 * here; what an id means is dxsReader's business. Entries are kept by id, never by position: the device leaves
 * unknown ids out, so positions shift.
 */

/** A value as the device sent it; `NaN` stands for a non-finite number (`nan`, `inf`) in the answer. */
export type DxsValue = number | string | boolean | null | { readonly unsupported: string };

export interface DxsAnswer {
  readonly entries: ReadonlyMap<number, DxsValue>;
  /** `status.code`: 0 all ids known, 1 some asked id unknown to the device; null when the answer has none. */
  readonly statusCode: number | null;
  /** One line per entry that could not be used as it stands. */
  readonly warnings: readonly string[];
}

/**
 * Firmware printing floats with C's `%f` writes `nan`, `-nan` or `inf`, which JSON has no word for. Such a value
 * is a bad measurement, not a broken answer: it is turned into a marker string before JSON.parse and read as a
 * non-finite number. Only a bare word right after an unescaped `"value":` and before `,` or `}` is touched.
 */
const NON_FINITE_VALUE = /(?<!\\)("value"\s*:\s*)[-+]?(?:nan|inf(?:inity)?)(?=\s*[,}])/gi;
/** JSON.parse turns the escaped `\u0000` into a NUL, which no real device string holds. */
const NON_FINITE_MARK = "\u0000non-finite";
const NON_FINITE_JSON = '"\\u0000non-finite"';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function entryValue(value: unknown): DxsValue {
  if (value === NON_FINITE_MARK) return Number.NaN;
  if (
    value === null ||
    typeof value === "number" ||
    typeof value === "string" ||
    typeof value === "boolean"
  ) {
    return value;
  }
  return { unsupported: Array.isArray(value) ? "an array" : "an object" };
}

/** Parses the body of one answer; throws PageFormat when it is not a dxs.json answer at all. */
export function parseDxsAnswer(text: string): DxsAnswer {
  let json: unknown;
  try {
    json = JSON.parse(text.replace(NON_FINITE_VALUE, `$1${NON_FINITE_JSON}`));
  } catch (error) {
    const found = text.trim() === "" ? "an empty body" : `'${excerpt(text)}'`;
    throw new PageFormat(`expected a dxs.json answer (JSON), found ${found}`, { cause: error });
  }
  if (!isRecord(json) || !Array.isArray(json["dxsEntries"])) {
    throw new PageFormat(`expected a dxs.json answer with a 'dxsEntries' list, found '${excerpt(text)}'`);
  }
  const entries = new Map<number, DxsValue>();
  const warnings: string[] = [];
  for (const [position, entry] of (json["dxsEntries"] as unknown[]).entries()) {
    const id = isRecord(entry) ? entry["dxsId"] : undefined;
    if (!isRecord(entry) || typeof id !== "number" || !Number.isSafeInteger(id) || id < 0) {
      warnings.push(`dxs entry ${position}: no integer dxsId, ignored`);
      continue;
    }
    if (!("value" in entry)) {
      warnings.push(`dxs id ${id}: no value, ignored`);
      continue;
    }
    if (entries.has(id)) {
      // Two answers for one id cannot both be right; the first is kept, as the device sent it first.
      warnings.push(`dxs id ${id}: answered twice, the second ignored`);
      continue;
    }
    entries.set(id, entryValue(entry["value"]));
  }
  const status = json["status"];
  const code = isRecord(status) ? status["code"] : undefined;
  return { entries, statusCode: typeof code === "number" && Number.isInteger(code) ? code : null, warnings };
}
