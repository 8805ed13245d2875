import { DEVICE_FIELDS, measurementField, type MeasurementKey } from "../../reading/fields.js";
import { sanitiseInverterId, type PageContent } from "../../reading/reading.js";
import { STATUS_CODES, type InverterStatus } from "../../reading/status.js";
import { PageFormat } from "../errors.js";
import { parseDxsAnswer, type DxsValue } from "./dxsAnswer.js";
import { plausibleValue } from "../plausibleValues.js";
import { DXS_FIELD_IDS, DXS_IDENTITY_IDS, DXS_STATUS_ID, FIELD_BY_ID, type IdentityFact } from "./dxsIds.js";

/**
 * Reads the answers of one poll of `/api/dxs.json` (one per planned request) into the content of a reading, the
 * same PageContent the old status page gives, so the same toReading, guard and outputs apply. Pure: no I/O.
 */

export interface DxsContent extends PageContent {
  /** What the device says about itself; a fact it did not answer is absent. */
  identity: Partial<Record<IdentityFact, string>>;
  /** Ids asked for that no answer carried (the device does not know them: `status.code` 1). */
  unanswered: number[];
}

/**
 * The API gives no RS485 bus address (the header field is required); 255 is the address every PIKO leaves the
 * factory with and the one the status page captures show.
 */
export const DXS_RS485_ADDRESS = 255;

/** Model when the device does not answer its type. */
export const DXS_DEFAULT_MODEL = "PIKO";

/**
 * The status code as a text that reading/status.ts classifies back into the same code. The reading's status is
 * derived from `statusText` for every device, so this keeps one path; a test checks the round trip for each code.
 */
const STATUS_WORDS: Readonly<Record<Exclude<InverterStatus, "unknown">, string>> = {
  off: "off",
  idle: "idle",
  starting: "starting",
  feeding_mpp: "feeding MPP",
  feeding_limited: "feeding limited",
  feeding: "feed-in",
  dc_voltage_low: "DC voltage low",
  insulation_measurement: "insulation measurement",
  waiting: "waiting",
};

const STATUS_BY_CODE = new Map<number, string>(
  Object.entries(STATUS_WORDS).map(([status, text]) => [STATUS_CODES[status as InverterStatus], text]),
);

function describe(value: DxsValue): string {
  if (typeof value === "object" && value !== null) return value.unsupported;
  return typeof value === "string" ? JSON.stringify(value.slice(0, 40)) : String(value);
}

function statusText(value: DxsValue | undefined, warnings: string[]): string {
  if (value === undefined || value === null) return "";
  const text = typeof value === "number" ? STATUS_BY_CODE.get(value) : undefined;
  if (text !== undefined) return text;
  warnings.push(`dxs id ${DXS_STATUS_ID} (status): ${describe(value)} is no known status code`);
  // Never the device's text itself: a word in it (e.g. "mpp") would be classified as a status it does not mean.
  return typeof value === "number" && Number.isSafeInteger(value)
    ? `unknown status code ${value}`
    : "unknown status";
}

function identityText(value: DxsValue): string | undefined {
  if (typeof value === "string") return value.trim() === "" ? undefined : value.trim();
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return undefined;
}

/** A field's value, or null with a warning when the device sent something no measurement can be. */
function fieldValue(
  key: MeasurementKey,
  raw: DxsValue,
  divisor: number,
  warnings: string[],
  id: number,
): number | null {
  if (raw === null) return null;
  const unit = measurementField(key)!.unit;
  if (typeof raw !== "number" || !Number.isFinite(raw)) {
    warnings.push(`${key} (dxs id ${id}): ${describe(raw)} is not a number`);
    return null;
  }
  return plausibleValue(raw / divisor, unit, `${key} (dxs id ${id})`, warnings);
}

const PHASE_FIELD_IDS = DXS_FIELD_IDS.filter((f) => /^l[23]_/.test(f.key));

/**
 * A single-phase device answers `null` for the voltage of a phase it lacks, and 0 for its current and power
 * (piko-dxs/...-1phase-null-L2L3-voltage.json): that phase is absent from the reading, as on the old page of a
 * single-phase model, not a phase at 0 W.
 */
function dropMissingPhases(
  entries: ReadonlyMap<number, DxsValue>,
  values: Map<MeasurementKey, number | null>,
): void {
  for (const phase of ["l2", "l3"]) {
    const voltage = PHASE_FIELD_IDS.find((f) => f.key === `${phase}_voltage_v`)!;
    if (entries.get(voltage.id) !== null) continue;
    for (const f of PHASE_FIELD_IDS) if (f.key.startsWith(`${phase}_`)) values.delete(f.key);
  }
}

/** The fields every reading carries (the JSON Schema requires them), by their dxs id. */
const REQUIRED_FIELD_IDS = DXS_FIELD_IDS.filter((f) => DEVICE_FIELDS.some((d) => d.key === f.key));

/**
 * A poll that asked for a required field and got no answer for it says so: the field is null with a warning
 * (never left out, never 0). When neither the status nor the power nor the total came, nothing essential did:
 * that is a format error, not a reading of nulls.
 */
function markMissingRequired(
  unanswered: readonly number[],
  entries: ReadonlyMap<number, DxsValue>,
  values: Map<MeasurementKey, number | null>,
  warnings: string[],
): void {
  const missing = REQUIRED_FIELD_IDS.filter((f) => unanswered.includes(f.id));
  if (missing.length === 0) return;
  const essential = [
    DXS_STATUS_ID,
    ...REQUIRED_FIELD_IDS.filter((f) => f.key !== "energy_today_kwh").map((f) => f.id),
  ];
  if (essential.every((id) => unanswered.includes(id) && !entries.has(id))) {
    throw new PageFormat(
      `expected the status, AC power or total yield in the dxs answers, found none of them (dxs ids ${essential.join(", ")})`,
    );
  }
  for (const f of missing) {
    values.set(f.key, null);
    warnings.push(`${f.key} (dxs id ${f.id}): asked for, not answered`);
  }
}

/**
 * The content of one poll's answers. `asked` (the ids the poll asked for) lets unanswered ids be named; without
 * it they are simply absent. Throws PageFormat when an answer is not dxs.json or no answer carries any id the
 * reader knows (then there is nothing to read, and a reading of nothing would hide the fault).
 */
export function readDxsAnswers(texts: readonly string[], asked: readonly number[] = []): DxsContent {
  const warnings: string[] = [];
  const entries = new Map<number, DxsValue>();
  let unknownToDevice = false;
  for (const text of texts) {
    const answer = parseDxsAnswer(text);
    warnings.push(...answer.warnings);
    if (answer.statusCode !== null && answer.statusCode !== 0) unknownToDevice = true;
    for (const [id, value] of answer.entries) if (!entries.has(id)) entries.set(id, value);
  }
  const values = new Map<MeasurementKey, number | null>();
  for (const [id, raw] of entries) {
    const field = FIELD_BY_ID.get(id);
    if (field) values.set(field.key, fieldValue(field.key, raw, field.divisor, warnings, id));
  }
  dropMissingPhases(entries, values);
  const identity: Partial<Record<IdentityFact, string>> = {};
  for (const [fact, id] of Object.entries(DXS_IDENTITY_IDS) as Array<[IdentityFact, number]>) {
    const raw = entries.get(id);
    const text = raw === undefined ? undefined : identityText(raw);
    if (text !== undefined) identity[fact] = text;
  }
  const known = values.size > 0 || entries.has(DXS_STATUS_ID) || Object.keys(identity).length > 0;
  if (!known) {
    throw new PageFormat(
      `expected dxs entries of a PIKO (status, identity or measurements), found ${entries.size} entries of ids the reader does not know`,
    );
  }
  const unanswered = [...new Set(asked)].filter((id) => !entries.has(id));
  if (unanswered.length > 0 && unknownToDevice) {
    warnings.push(`the device does not know dxs id(s) ${unanswered.join(", ")} (status code 1)`);
  }
  markMissingRequired(unanswered, entries, values, warnings);
  return {
    model: identity.type !== undefined && /[a-z]/i.test(identity.type) ? identity.type : DXS_DEFAULT_MODEL,
    name: identity.name ?? "",
    rs485Address: DXS_RS485_ADDRESS,
    statusText: statusText(entries.get(DXS_STATUS_ID), warnings),
    values,
    warnings,
    identity,
    unanswered,
  };
}

/** The inverter id a dxs device gets when none is configured: its serial, else its name, else `piko`. */
export function defaultDxsInverterId(identity: DxsContent["identity"]): string {
  return sanitiseInverterId(identity.serial ?? identity.name ?? "");
}
