import { isDeepStrictEqual } from "node:util";
import { PageFormat } from "../../modules/kostal2mqtt/src/piko/errors.js";
import type { Grid } from "../../modules/kostal2mqtt/src/piko/grid.js";
import { domGrid } from "../../modules/kostal2mqtt/src/piko/gridDom.js";
import { scanGrid } from "../../modules/kostal2mqtt/src/piko/gridScanner.js";
import { parseStatusPage } from "../../modules/kostal2mqtt/src/piko/statusPage.js";
import { measurementField } from "../../modules/kostal2mqtt/src/reading/fields.js";
import { toReading, type PageContent } from "../../modules/kostal2mqtt/src/reading/reading.js";
import { serialiseReading } from "../../modules/kostal2mqtt/src/reading/serialise.js";
import { explainDisagreement, KNOWN_READING_ISSUES } from "./knownReaderIssues.js";
import { mutatePage, randomPage } from "./pageMutator.js";
import { Prng } from "./prng.js";

/**
 * One fuzz case of the page readers, reproducible from (seed, index) alone, and the properties every input must
 * have: parseStatusPage returns a page or throws PageFormat, nothing else; a page serialises to valid JSON; and
 * wherever the fast scanner answers, its grid deep-equals the cheerio reference grid.
 */

export interface FuzzCase {
  index: number;
  /** How the input was made, e.g. "mutated piko3.6-...html: delete, insertTag" or "random tokens". */
  origin: string;
  input: string;
}

export type FindingKind = "threw" | "scannerThrew" | "domThrew" | "disagree" | "badReading" | "slow";

export interface Finding {
  kind: FindingKind;
  index: number;
  origin: string;
  detail: string;
  input: string;
  /** The smallest input found that fails the same way (equal to `input` when minimising gave up). */
  minimal: string;
  scanner?: Grid | null;
  dom?: Grid;
}

export interface CaseOutcome {
  parsed: boolean;
  scannerAnswered: boolean;
  /** Known, reported reader issues (knownReaderIssues.ts) this case ran into; they are counted, not failed. */
  known: string[];
  finding: Omit<Finding, "index" | "origin" | "input" | "minimal"> | null;
}

/** A case this long is treated as a hang; the slowest real case (cheerio on a 7 KB page) takes a few ms. */
export const SLOW_CASE_MS = 2000;

export function fuzzCase(
  seed: number,
  index: number,
  captures: ReadonlyArray<{ name: string; html: string }>,
): FuzzCase {
  const rng = new Prng(seed, index);
  if (captures.length > 0 && rng.chance(0.85)) {
    const capture = rng.pick(captures);
    const { text, applied } = mutatePage(capture.html, rng);
    return { index, origin: `mutated ${capture.name}: ${applied.join(", ")}`, input: text };
  }
  const { text, kind } = randomPage(rng);
  return { index, origin: `random ${kind}`, input: text };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : `non-Error thrown: ${String(error)}`;
}

/** What is wrong with a page the reader returned, or null: values are finite numbers or null, of known keys. */
function invalidPage(page: PageContent): string | null {
  for (const [key, value] of page.values) {
    if (measurementField(key) === undefined) return `unknown key ${key}`;
    if (value !== null && !Number.isFinite(value)) return `${key} is ${value}`;
  }
  if (!Number.isInteger(page.rs485Address)) return `rs485 address ${page.rs485Address}`;
  return null;
}

type Check = { finding: CaseOutcome["finding"]; known: string[] };
const OK: Check = { finding: null, known: [] };

/** parseStatusPage gives a valid page that serialises, or throws PageFormat. */
function checkParse(input: string): Check & { parsed: boolean } {
  let parsed = false;
  try {
    const page = parseStatusPage(input);
    parsed = true;
    const invalid = invalidPage(page);
    if (invalid !== null) {
      const known = KNOWN_READING_ISSUES.filter((issue) => issue.explains(input, invalid)).map((i) => i.id);
      return { parsed, known, finding: known.length > 0 ? null : { kind: "badReading", detail: invalid } };
    }
    const json = serialiseReading(toReading(page, "fuzz", 0));
    const values = Object.values(JSON.parse(json) as Record<string, unknown>);
    if (!values.every((value) => value === null || ["number", "string"].includes(typeof value))) {
      return { parsed, known: [], finding: { kind: "badReading", detail: json } };
    }
    return { parsed, ...OK };
  } catch (error) {
    if (parsed) return { parsed, known: [], finding: { kind: "badReading", detail: describe(error) } };
    if (error instanceof PageFormat) return { parsed, ...OK };
    return { parsed, known: [], finding: { kind: "threw", detail: describe(error) } };
  }
}

/** Wherever the scanner answers, its grid deep-equals cheerio's (or a known issue explains the difference). */
function checkGrids(input: string): Check & { scannerAnswered: boolean } {
  let scanner: Grid | null;
  try {
    scanner = scanGrid(input);
  } catch (error) {
    return { scannerAnswered: false, known: [], finding: { kind: "scannerThrew", detail: describe(error) } };
  }
  if (scanner === null) return { scannerAnswered: false, ...OK };
  let dom: Grid;
  try {
    dom = domGrid(input);
  } catch (error) {
    return { scannerAnswered: true, known: [], finding: { kind: "domThrew", detail: describe(error) } };
  }
  if (isDeepStrictEqual(scanner, dom)) return { scannerAnswered: true, ...OK };
  const known = explainDisagreement(input, dom);
  if (known.length > 0) return { scannerAnswered: true, known, finding: null };
  const detail = firstDifference(scanner, dom);
  return { scannerAnswered: true, known, finding: { kind: "disagree", detail, scanner, dom } };
}

/** Checks one input; a finding says which property failed. */
export function checkInput(input: string): CaseOutcome {
  const parse = checkParse(input);
  const grids = checkGrids(input);
  return {
    parsed: parse.parsed,
    scannerAnswered: grids.scannerAnswered,
    known: [...parse.known, ...grids.known],
    finding: parse.finding ?? grids.finding,
  };
}

/** Where two grids first differ, for a failure message that does not need the whole grids read. */
export function firstDifference(scanner: Grid, dom: Grid): string {
  for (let r = 0; r < Math.max(scanner.length, dom.length); r++) {
    const a = scanner[r];
    const b = dom[r];
    if (isDeepStrictEqual(a, b)) continue;
    if (a === undefined || b === undefined) {
      return `row ${r}: scanner ${JSON.stringify(a)}, dom ${JSON.stringify(b)} (rows: ${scanner.length} vs ${dom.length})`;
    }
    for (let c = 0; c < Math.max(a.length, b.length); c++) {
      if (!isDeepStrictEqual(a[c], b[c])) {
        return `row ${r} cell ${c}: scanner ${JSON.stringify(a[c])}, dom ${JSON.stringify(b[c])}`;
      }
    }
  }
  return "no difference";
}

/**
 * Delta debugging, greedy: drops ever smaller chunks while the input still fails the same way. Bounded in time,
 * since every try runs cheerio; a failure report with a 7 KB input is still a report.
 */
export function minimise(input: string, stillFails: (text: string) => boolean, budgetMs = 8000): string {
  const deadline = performance.now() + budgetMs;
  let current = input;
  for (let chunk = Math.max(1, current.length >> 1); chunk >= 1; chunk = chunk >> 1) {
    let removed = true;
    while (removed) {
      removed = false;
      for (let at = 0; at < current.length;) {
        if (performance.now() > deadline) return current;
        const candidate = current.slice(0, at) + current.slice(at + chunk);
        if (candidate !== current && stillFails(candidate)) {
          current = candidate;
          removed = true;
        } else {
          at += chunk;
        }
      }
    }
  }
  return current;
}

/** Runs one case and, when it fails, a minimised copy of its input. */
export function runCase(
  fuzz: FuzzCase,
  minimiseBudgetMs = 8000,
): { outcome: CaseOutcome; finding: Finding | null } {
  const started = performance.now();
  const outcome = checkInput(fuzz.input);
  const elapsed = performance.now() - started;
  let found = outcome.finding;
  if (found === null && elapsed > SLOW_CASE_MS) {
    found = { kind: "slow", detail: `took ${elapsed.toFixed(0)} ms (limit ${SLOW_CASE_MS} ms)` };
  }
  if (found === null) return { outcome, finding: null };
  const kind = found.kind;
  const minimal =
    kind === "slow" || minimiseBudgetMs <= 0
      ? fuzz.input
      : minimise(fuzz.input, (text) => checkInput(text).finding?.kind === kind, minimiseBudgetMs);
  const again = minimal === fuzz.input ? found : (checkInput(minimal).finding ?? found);
  return {
    outcome,
    finding: { ...again, kind, index: fuzz.index, origin: fuzz.origin, input: fuzz.input, minimal },
  };
}
