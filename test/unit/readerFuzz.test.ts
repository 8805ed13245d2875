import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { test } from "node:test";
import { Worker } from "node:worker_threads";
import { domGrid } from "../../modules/kostal2mqtt/src/piko/gridDom.js";
import { scanGrid } from "../../modules/kostal2mqtt/src/piko/gridScanner.js";
import { capturesTestOptions, readAllCaptures } from "../support/fixtures.js";
import type { FuzzWorkerData, FuzzWorkerResult } from "../support/fuzzWorker.js";
import { KNOWN_DISAGREEMENTS } from "../support/knownReaderIssues.js";
import { randomSeed } from "../support/prng.js";
import { checkInput, fuzzCase, runCase, type Finding } from "../support/readerFuzz.js";

/**
 * Fuzz test of the page readers: mutated real captures and random strings. For every input, parseStatusPage
 * returns a page or throws PageFormat (no TypeError, no hang), and wherever the fast scanner answers, its grid
 * deep-equals the cheerio reference grid, so both readers give the same reading.
 *
 * Each run takes a new seed unless KOSTAL_FUZZ_SEED is set; a failure prints the seed and the command that
 * replays the failing case alone. KOSTAL_FUZZ_CASES sets how many cases run (10,000 by default).
 */

const SEED = process.env["KOSTAL_FUZZ_SEED"] ? Number(process.env["KOSTAL_FUZZ_SEED"]) >>> 0 : randomSeed();
const CASES = Number(process.env["KOSTAL_FUZZ_CASES"] ?? 10_000);
if (!Number.isInteger(CASES) || CASES < 1) throw new Error(`KOSTAL_FUZZ_CASES must be a positive integer`);
const ONLY_CASE = process.env["KOSTAL_FUZZ_CASE"];
/** No progress for this long means a reader is stuck: the worker is stopped and the case reported. */
const HANG_MS = 20_000;

function replayCommand(index: number): string {
  return `KOSTAL_FUZZ_SEED=${SEED} KOSTAL_FUZZ_CASE=${index} node --test dist/test/unit/readerFuzz.test.js`;
}

function report(findings: Finding[]): string {
  const lines = [`${findings.length} reader fuzz finding(s), seed ${SEED}:`];
  for (const finding of findings.slice(0, 5)) {
    lines.push(
      `- ${finding.kind} in case ${finding.index} (${finding.origin}): ${finding.detail}`,
      `  minimal input (${finding.minimal.length} chars): ${JSON.stringify(finding.minimal.slice(0, 3000))}` +
        (finding.minimal.length > 3000 ? " (cut here; the replay command shows it whole)" : ""),
    );
    if (finding.scanner !== undefined) lines.push(`  scanner grid: ${JSON.stringify(finding.scanner)}`);
    if (finding.dom !== undefined) lines.push(`  dom grid:     ${JSON.stringify(finding.dom)}`);
    lines.push(`  replay: ${replayCommand(finding.index)}`);
  }
  return lines.join("\n");
}

/** Runs the cases in worker threads, one per core, with a watchdog that stops a worker stuck on one case. */
async function runInWorkers(
  captures: Array<{ name: string; html: string }>,
): Promise<{ results: FuzzWorkerResult[]; hangs: Finding[] }> {
  const workers = Math.max(1, Math.min(4, availableParallelism()));
  const progress = new SharedArrayBuffer(4 * workers);
  const seen = new Int32Array(progress);
  const hangs: Finding[] = [];
  const runs = Array.from({ length: workers }, (_, slot) => {
    const data: FuzzWorkerData = {
      seed: SEED,
      indices: Array.from({ length: CASES }, (_, i) => i).filter((i) => i % workers === slot),
      captures,
      progress,
      slot,
    };
    const worker = new Worker(new URL("../support/fuzzWorker.js", import.meta.url), { workerData: data });
    let last = -2;
    let since = performance.now();
    const watchdog = setInterval(() => {
      const now = Atomics.load(seen, slot);
      if (now !== last) {
        last = now;
        since = performance.now();
      } else if (now >= 0 && performance.now() - since > HANG_MS) {
        const fuzz = fuzzCase(SEED, now, captures);
        hangs.push({
          kind: "slow",
          index: now,
          origin: fuzz.origin,
          detail: `no progress for ${HANG_MS} ms: a reader hangs`,
          input: fuzz.input,
          minimal: fuzz.input,
        });
        void worker.terminate();
      }
    }, 250);
    return new Promise<FuzzWorkerResult | null>((resolve, reject) => {
      worker.once("message", (result: FuzzWorkerResult) => resolve(result));
      worker.once("error", (error) =>
        reject(new Error(`fuzz worker ${slot} failed, seed ${SEED}`, { cause: error })),
      );
      worker.once("exit", () => resolve(null));
    }).finally(() => clearInterval(watchdog));
  });
  const results = (await Promise.all(runs)).filter((result): result is FuzzWorkerResult => result !== null);
  return { results, hangs };
}

if (ONLY_CASE !== undefined) {
  test(`reader fuzz: replay case ${ONLY_CASE} of seed ${SEED}`, capturesTestOptions(), () => {
    const fuzz = fuzzCase(SEED, Number(ONLY_CASE), readAllCaptures());
    console.log(`origin: ${fuzz.origin}\ninput: ${JSON.stringify(fuzz.input)}`);
    const { finding } = runCase(fuzz);
    assert.equal(finding, null, finding === null ? "" : report([finding]));
  });
} else {
  test(`reader fuzz: ${CASES} mutated and random pages (seed ${SEED})`, capturesTestOptions(), async (t) => {
    const captures = readAllCaptures();
    const started = performance.now();
    const { results, hangs } = await runInWorkers(captures);
    const seconds = (performance.now() - started) / 1000;
    const total = (key: "cases" | "parsed" | "scannerAnswered") =>
      results.reduce((sum, result) => sum + result[key], 0);
    const known: Record<string, number> = {};
    for (const result of results) {
      for (const [id, count] of Object.entries(result.known)) known[id] = (known[id] ?? 0) + count;
    }
    const slowest = results.reduce((max, result) => (result.slowest.ms > max.ms ? result.slowest : max), {
      index: -1,
      ms: 0,
    });
    t.diagnostic(
      `seed ${SEED}: ${total("cases")} cases in ${seconds.toFixed(1)} s; ${total("parsed")} read as a page, ` +
        `${total("scannerAnswered")} answered by the scanner (compared with cheerio); ` +
        `slowest case ${slowest.index}: ${slowest.ms.toFixed(1)} ms; known issues (todo): ` +
        (Object.entries(known)
          .map(([id, count]) => `${id} ${count}`)
          .join(", ") || "none hit"),
    );

    const findings = [...hangs, ...results.flatMap((result) => result.findings)];
    if (findings.length > 0) assert.fail(report(findings));
    assert.equal(total("cases"), CASES, `every case ran (seed ${SEED})`);
    // The differential check means something only if the scanner answers often, and pages still get read.
    assert.ok(
      total("scannerAnswered") > CASES * 0.3,
      `the scanner answered ${total("scannerAnswered")} cases`,
    );
    assert.ok(total("parsed") > CASES * 0.2, `only ${total("parsed")} cases read as a page`);
  });
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
