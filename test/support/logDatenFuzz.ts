import assert from "node:assert/strict";
import { PageFormat } from "../../modules/kostal2mqtt/src/piko/errors.js";
import {
  HISTORY_FIELDS,
  type HistoryField,
} from "../../modules/kostal2mqtt/src/piko/logdaten/historyFields.js";
import { parseLogDaten } from "../../modules/kostal2mqtt/src/piko/logdaten/logDatenParser.js";
import { LOGDATEN_COLUMNS, renderLogDaten } from "../../modules/piko-simulator/src/logDaten.js";
import { SolarDay } from "../../modules/piko-simulator/src/solarDay.js";
import { Prng } from "./prng.js";
import { readFolder } from "./protocolCaptures.js";
import { NOON } from "./simulatedTime.js";

/**
 * Seeded fuzz of the LogDaten.dat reader, shared by the quick unit run and the 10,000 cases of test/long:
 * - differential: random well-formed files (columns in any order, rows shorter than the header, unreadable and
 *   implausible cells, events, rows after `akt. Zeit`, a cut-off end) against a small model of what each entry
 *   must read, built from how the case was made rather than by parsing it again;
 * - property: mutated files give entries or PageFormat, never another error, and never a non-finite value.
 */

interface ExpectedEntry {
  kind: "row" | "event";
  deviceSeconds: number;
  time: string;
  values?: Record<string, number | null>;
  event?: string;
}

interface Case {
  text: string;
  downloadedAtMs: number;
  expected: ExpectedEntry[];
}

const FIELD_BY_COLUMN = new Map(HISTORY_FIELDS.map((f) => [f.column, f]));
const GARBAGE = ["1a", "--", "1.2.3", "0x10", "+-", "5 5", "."];

/** A cell for a field and what it must read. */
function cellFor(prng: Prng, field: HistoryField): { text: string; value: number | null } {
  const choice = prng.int(10);
  if (choice === 0) return { text: "", value: null };
  if (choice === 1) return { text: prng.pick(GARBAGE), value: null };
  if (field.unit === null) {
    if (choice === 2) return { text: `-${prng.between(1, 9)}`, value: null };
    const code = prng.int(65536);
    return { text: String(code), value: code };
  }
  if (field.unit === "Hz") {
    if (choice === 2) return { text: "0.0", value: null };
    const tenths = prng.between(400, 700);
    return { text: (tenths / 10).toFixed(1), value: tenths / 10 };
  }
  if (choice === 2) return { text: String(100_000_000 * field.divisor), value: null }; // implausible
  const raw = prng.int(field.unit === "A" ? 20_000 : field.unit === "V" ? 1000 : 100_000);
  return { text: String(raw), value: raw / field.divisor };
}

function structuredCase(prng: Prng): Case {
  const akt = prng.between(1_000_000, 300_000_000);
  const downloadedAtMs = prng.between(1.5e12, 1.8e12);
  const columns = [...LOGDATEN_COLUMNS];
  if (prng.chance(0.3))
    for (let i = columns.length - 1; i > 0; i--) {
      const j = prng.int(i + 1);
      [columns[i], columns[j]] = [columns[j]!, columns[i]!];
    }
  const timeAt = columns.indexOf("Zeit");
  const eventAt = columns.indexOf("Ereignis");
  const lines: string[] = [];
  const expected: ExpectedEntry[] = [];
  let zeit = akt - prng.between(0, 40) * 900;
  const rows = prng.between(0, 25);
  for (let r = 0; r < rows; r++, zeit += prng.between(1, 1800)) {
    const time = new Date(downloadedAtMs + (zeit - akt) * 1000).toISOString();
    const kept = zeit <= akt;
    if (prng.chance(0.1)) {
      // An event: the time and the word, nothing else (in the event column or any other).
      const cells = Array<string>(columns.length).fill("");
      cells[timeAt] = String(zeit).padStart(10);
      const at = (timeAt + prng.between(1, columns.length - 1)) % columns.length;
      cells[at] = "POR";
      lines.push(cells.slice(0, Math.max(at, timeAt) + 1).join("\t"));
      if (kept) expected.push({ kind: "event", deviceSeconds: zeit, time, event: "POR" });
      continue;
    }
    // A row reaches at least past the time column, and stops before the event column.
    const length = prng.between(timeAt + 1, columns.length);
    const cells: string[] = [];
    const values: Record<string, number | null> = Object.fromEntries(
      HISTORY_FIELDS.map((f) => [f.key, null]),
    );
    for (let c = 0; c < length; c++) {
      const name = columns[c]!;
      const field = FIELD_BY_COLUMN.get(name);
      if (c === timeAt) cells.push(String(zeit).padStart(10));
      else if (c === eventAt) cells.push("");
      else if (field === undefined) cells.push(String(prng.int(70_000)).padStart(5));
      else {
        const { text, value } = cellFor(prng, field);
        cells.push(text.padStart(6));
        values[field.key] = value;
      }
    }
    lines.push(cells.join("\t"));
    if (kept) expected.push({ kind: "row", deviceSeconds: zeit, time, values });
  }
  const head = [
    prng.chance(0.5) ? "Wechselricher Logdaten" : "Wechselrichter Logdaten",
    "Wechselrichter Nr:\t255",
    "Name:\tpiko",
    `akt. Zeit:\t${String(akt).padStart(10)}`,
    "",
    "Logdaten U[V], I[mA], P[W], E[kWh], F[Hz], R[kOhm], Ain T[digit], Zeit[sec]",
    columns.join("\t"),
  ];
  const eol = prng.chance(0.5) ? "\r\n" : "\n";
  let text = [...head, ...lines].join(eol) + eol;
  if (lines.length > 0 && prng.chance(0.2)) {
    // Cut off inside the last line: that row is dropped.
    const last = lines.at(-1)!;
    text = text.slice(0, text.length - eol.length - prng.between(0, last.length - 1));
    const lastZeit = Number(last.split("\t")[timeAt]);
    const index = expected.findLastIndex((e) => e.deviceSeconds === lastZeit);
    if (index >= 0) expected.splice(index, 1);
  }
  return { text, downloadedAtMs, expected };
}

function mutate(prng: Prng, text: string): string {
  let out = text;
  for (let n = prng.between(1, 6); n > 0; n--) {
    const at = prng.int(out.length + 1);
    switch (prng.int(4)) {
      case 0:
        out = out.slice(0, at);
        break;
      case 1:
        out = out.slice(0, at) + out.slice(at + prng.between(1, 30));
        break;
      case 2:
        out =
          out.slice(0, at) +
          prng.pick(["\t", "\n", "\r\n", "POR", "-", ".", "999999999999", "1e9", "NaN"]) +
          out.slice(at);
        break;
      default:
        out = out.slice(0, at) + String.fromCharCode(prng.int(0x3000)) + out.slice(at + 1);
    }
  }
  return out;
}

function checkProperties(text: string, replay: string): void {
  try {
    const { entries } = parseLogDaten(text, 1.7e12);
    for (const entry of entries) {
      assert.ok(!Number.isNaN(Date.parse(entry.time)), `${replay}: time ${entry.time}`);
      if (entry.kind === "row") {
        for (const value of Object.values(entry.values)) {
          assert.ok(value === null || Number.isFinite(value), `${replay}: value ${value}`);
        }
      }
    }
  } catch (error) {
    if (!(error instanceof PageFormat))
      assert.fail(`${replay}: ${String(error)}\ninput: ${JSON.stringify(text)}`);
  }
}

/** Runs `cases` seeded cases; `seeds` are files to mutate (the real capture, simulator output). */
export function fuzzLogDaten(seed: number, cases: number, seeds: readonly string[], replay: string): number {
  let compared = 0;
  for (let index = 0; index < cases; index++) {
    const prng = new Prng(seed, index);
    const where = `case ${index}: ${replay}`;
    if (prng.chance(0.5) || seeds.length === 0) {
      const model = structuredCase(prng);
      const { entries } = parseLogDaten(model.text, model.downloadedAtMs);
      const actual = entries.map((e) =>
        e.kind === "row"
          ? { kind: e.kind, deviceSeconds: e.deviceSeconds, time: e.time, values: { ...e.values } }
          : { kind: e.kind, deviceSeconds: e.deviceSeconds, time: e.time, event: e.event },
      );
      assert.deepEqual(actual, model.expected, `${where}\n${model.text}`);
      compared++;
    } else {
      checkProperties(mutate(prng, prng.pick(seeds)), where);
    }
  }
  return compared;
}

/** What the mutations start from: the real capture (when the shared fixtures are there) and a simulated file. */
export function fuzzSeeds(): string[] {
  const day = new SolarDay({ model: "8.3", epochMs: NOON - 6 * 3600_000 });
  const simulated = renderLogDaten({ day, startMs: NOON - 6 * 3600_000, rs485Address: 1, name: "sim" }, NOON);
  let captures: string[] = [];
  try {
    captures = readFolder("piko-logdaten").map((f) => f.text);
  } catch {
    // Without the shared fixtures only the simulated file is mutated; the capture test says so loudly.
  }
  return [simulated.toString("latin1"), ...captures];
}
