import { isDeepStrictEqual } from "node:util";
import type { Grid } from "../../modules/kostal2mqtt/src/piko/grid.js";
import { scanGrid } from "../../modules/kostal2mqtt/src/piko/gridScanner.js";

/**
 * Reader issues the fuzz test found and reported that are not fixed yet. Each has a minimised input (kept as a
 * `todo` test) and a check that recognises just that issue, so that a fuzz run counts a known issue and still
 * fails on a new one. When the reader is fixed, the todo test passes: move its input to the regression inputs
 * in readerFuzz.test.ts and delete the entry here.
 *
 * Fixed so far (now regression inputs): CR in bgcolor/colspan values, `&nbsp` split by a tag, the newline after
 * `<pre>`/`<listing>`; numbers too long for a double (now null with a warning, see pageFormat.test.ts).
 */

/** A scanner/DOM disagreement: undoing the issue's difference on either side makes the grids equal. */
export interface KnownDisagreement {
  id: string;
  todo: string;
  /** The minimised input; the scanner answers on it and its grid differs from cheerio's. */
  minimal: string;
  /** The input rewritten so the scanner reads it as a browser reads the original. */
  correctInput?(input: string): string;
  /** The cheerio grid with this issue's difference undone. */
  correctDom?(dom: Grid): Grid;
}

export const KNOWN_DISAGREEMENTS: readonly KnownDisagreement[] = [];

/** A reader issue that is not a grid disagreement: what the page shows, and whether the input explains it. */
export interface KnownReadingIssue {
  id: string;
  todo: string;
  /** True when this issue explains the problem the fuzz check saw on a page the reader returned. */
  explains(input: string, problem: string): boolean;
}

export const KNOWN_READING_ISSUES: readonly KnownReadingIssue[] = [];

function explainedBy(input: string, dom: Grid, issues: readonly KnownDisagreement[]): boolean {
  let correctedInput = input;
  let correctedDom = dom;
  for (const issue of issues) {
    if (issue.correctInput) correctedInput = issue.correctInput(correctedInput);
    if (issue.correctDom) correctedDom = issue.correctDom(correctedDom);
  }
  return isDeepStrictEqual(scanGrid(correctedInput), correctedDom);
}

/** The known disagreements that explain a difference: each alone, then all together. Empty when it is new. */
export function explainDisagreement(input: string, dom: Grid): string[] {
  if (KNOWN_DISAGREEMENTS.length === 0) return [];
  for (const issue of KNOWN_DISAGREEMENTS) if (explainedBy(input, dom, [issue])) return [issue.id];
  return explainedBy(input, dom, KNOWN_DISAGREEMENTS) ? KNOWN_DISAGREEMENTS.map((issue) => issue.id) : [];
}
