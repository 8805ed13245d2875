import assert from "node:assert/strict";
import { test } from "node:test";
import { domGrid } from "../../modules/kostal2mqtt/src/piko/gridDom.js";
import { scanGrid } from "../../modules/kostal2mqtt/src/piko/gridScanner.js";
import { capturesTestOptions, readAllCaptures } from "../support/fixtures.js";
import { KNOWN_DISAGREEMENTS } from "../support/knownReaderIssues.js";
import { testSeed } from "../support/prng.js";
import { checkInput, fuzzCase, runCase } from "../support/readerFuzz.js";
import { fuzzReaders, fuzzReport, type FuzzRun } from "../support/readerFuzzRun.js";

/**
 * Fuzz test of the page readers: mutated real captures and random strings. For every input, parseStatusPage
 * returns a page or throws PageFormat (no TypeError, no hang), and wherever the fast scanner answers, its grid
 * deep-equals the cheerio reference grid, so both readers give the same reading.
 *
 * Each run takes a new seed unless FUZZ_SEED is set; the seed is printed, and a failure prints the command that
 * replays the failing case alone. KOSTAL_FUZZ_CASES sets how many cases run: 3,000 by default, a few seconds of
 * both cores, on every `npm test` (three times in CI, each with its own seed); test/long/readerFuzz.test.ts runs
 * 50,000 more in `npm run test:long`.
 */

const FILE = "dist/test/unit/readerFuzz.test.js";
const SEED = testSeed("reader fuzz", FILE);
const CASES = Number(process.env["KOSTAL_FUZZ_CASES"] ?? 3_000);
if (!Number.isInteger(CASES) || CASES < 1) throw new Error(`KOSTAL_FUZZ_CASES must be a positive integer`);
const ONLY_CASE = process.env["KOSTAL_FUZZ_CASE"];
const RUN: FuzzRun = {
  seed: SEED,
  cases: CASES,
  replay: (index) => `FUZZ_SEED=${SEED} KOSTAL_FUZZ_CASE=${index} node --test ${FILE}`,
};

if (ONLY_CASE !== undefined) {
  test(`reader fuzz: replay case ${ONLY_CASE} of seed ${SEED}`, capturesTestOptions(), () => {
    const fuzz = fuzzCase(SEED, Number(ONLY_CASE), readAllCaptures());
    console.log(`origin: ${fuzz.origin}\ninput: ${JSON.stringify(fuzz.input)}`);
    const { finding } = runCase(fuzz);
    assert.equal(finding, null, finding === null ? "" : fuzzReport(RUN, [finding]));
  });
} else {
  test(`reader fuzz: ${CASES} mutated and random pages (seed ${SEED})`, capturesTestOptions(), (t) =>
    fuzzReaders(t, RUN),
  );
}

/**
 * Minimised inputs of disagreements this fuzz test found (reported, then fixed in the scanner): each stays as a
 * regression case. The scanner may give up on them (null, cheerio reads the page) or answer like cheerio.
 */
const FIXED_DISAGREEMENTS: Array<[string, string]> = [
  [
    "CR in a value cell's bgcolor: a browser turns CR into LF before tokenising",
    '<table><tr><td bgcolor="\r">',
  ],
  ["CRLF in a colspan value", '<table><tr><td colspan="4\r\n">x'],
  ["`&nbsp` split by a tag is no entity to a browser", "<table><tr><td>&nb<b>sp"],
  ["`&nbsp` split by a comment", "<table><tr><td>&nb<!---->sp"],
  ["`&` and `nbsp` in two text runs", "<table><tr><td>&<u>nbsp"],
  ["the newline right after <pre> is dropped by the tree builder", "<table><tr><td>a<pre>\nb"],
  ["the CRLF right after <LISTING> too", "<table><tr><td>a<LISTING>\r\nb"],
];

for (const [what, input] of FIXED_DISAGREEMENTS) {
  test(`scanner and cheerio agree: ${what}`, () => {
    const scanner = scanGrid(input);
    if (scanner !== null) assert.deepEqual(scanner, domGrid(input), JSON.stringify(input));
  });
}

for (const issue of KNOWN_DISAGREEMENTS) {
  test(`scanner and cheerio agree on ${JSON.stringify(issue.minimal)}`, { todo: issue.todo }, () => {
    const scanner = scanGrid(issue.minimal);
    if (scanner !== null) assert.deepEqual(scanner, domGrid(issue.minimal));
  });
}

test("the fuzz check counts a known issue and passes a page or a non-page", () => {
  for (const issue of KNOWN_DISAGREEMENTS) {
    const outcome = checkInput(issue.minimal);
    if (outcome.known.length === 0 && outcome.finding === null) continue; // fixed in the reader
    assert.deepEqual(outcome.known, [issue.id], issue.id);
    assert.equal(outcome.finding, null, issue.id);
  }
  assert.equal(checkInput("").finding, null);
  assert.equal(checkInput("<table><tr><td>PIKO 8.3 x (1)</td></tr></table></html>").finding, null);

  // The smallest status page the reader accepts.
  const page = (acPower: string) =>
    "<table><tr><td>PIKO 8.3 x (1)</td></tr>" +
    `<tr><td>aktuell</td><td bgcolor=a>${acPower}</td><td>W</td>` +
    "<td>Gesamtenergie</td><td bgcolor=a>2</td><td>kWh</td></tr>" +
    "<tr><td>Tagesenergie</td><td bgcolor=a>3</td><td>kWh</td></tr>" +
    "<tr><td>Status</td><td colspan=4>Aus</td></tr><tr><td>String 1</td><td>L1</td></tr>" +
    "<tr><td>Spannung</td><td bgcolor=a>4</td><td>V</td><td>Spannung</td><td bgcolor=a>5</td><td>V</td></tr>" +
    "<tr><td>Strom</td><td bgcolor=a>6</td><td>A</td><td>Leistung</td><td bgcolor=a>7</td><td>W</td></tr>" +
    "<tr><td>RS485 Kommunikation</td></tr></table></html>";
  assert.deepEqual(checkInput(page("1")), { parsed: true, scannerAnswered: true, known: [], finding: null });
  // A 309-digit AC power was once read as Infinity without a word; now it is null with a warning.
  assert.deepEqual(checkInput(page("9".repeat(309))), {
    parsed: true,
    scannerAnswered: true,
    known: [],
    finding: null,
  });
  assert.equal(checkInput(page("1").replace("<tr><td>RS485 Kommunikation</td></tr>", "")).parsed, false);
});
