import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import type { TestContext } from "node:test";
import { Worker } from "node:worker_threads";
import { readAllCaptures } from "./fixtures.js";
import type { FuzzWorkerData, FuzzWorkerResult } from "./fuzzWorker.js";
import { fuzzCase, type Finding } from "./readerFuzz.js";

/**
 * A run of the page readers' fuzz test (readerFuzz.ts says what each case checks): `cases` cases of one seed in
 * worker threads, one per core, with a watchdog that stops a worker stuck on one case. The unit test runs a few
 * thousand cases on every `npm test`; the long test (test/long) many more.
 */

/** No progress for this long means a reader is stuck: the worker is stopped and the case reported. */
const HANG_MS = 20_000;

export interface FuzzRun {
  seed: number;
  cases: number;
  /** The command that replays case `index` alone. */
  replay: (index: number) => string;
}

/** What a person reads about findings: each with its minimal input and the command that replays it. */
export function fuzzReport(run: FuzzRun, findings: Finding[]): string {
  const lines = [`${findings.length} reader fuzz finding(s), seed ${run.seed}:`];
  for (const finding of findings.slice(0, 5)) {
    lines.push(
      `- ${finding.kind} in case ${finding.index} (${finding.origin}): ${finding.detail}`,
      `  minimal input (${finding.minimal.length} chars): ${JSON.stringify(finding.minimal.slice(0, 3000))}` +
        (finding.minimal.length > 3000 ? " (cut here; the replay command shows it whole)" : ""),
    );
    if (finding.scanner !== undefined) lines.push(`  scanner grid: ${JSON.stringify(finding.scanner)}`);
    if (finding.dom !== undefined) lines.push(`  dom grid:     ${JSON.stringify(finding.dom)}`);
    lines.push(`  replay: ${run.replay(finding.index)}`);
  }
  return lines.join("\n");
}

async function runInWorkers(
  run: FuzzRun,
  captures: Array<{ name: string; html: string }>,
): Promise<{ results: FuzzWorkerResult[]; hangs: Finding[] }> {
  const workers = Math.max(1, Math.min(4, availableParallelism()));
  const progress = new SharedArrayBuffer(4 * workers);
  const seen = new Int32Array(progress);
  const hangs: Finding[] = [];
  const runs = Array.from({ length: workers }, (_, slot) => {
    const data: FuzzWorkerData = {
      seed: run.seed,
      indices: Array.from({ length: run.cases }, (_, i) => i).filter((i) => i % workers === slot),
      captures,
      progress,
      slot,
    };
    const worker = new Worker(new URL("./fuzzWorker.js", import.meta.url), { workerData: data });
    let last = -2;
    let since = performance.now();
    const watchdog = setInterval(() => {
      const now = Atomics.load(seen, slot);
      if (now !== last) {
        last = now;
        since = performance.now();
      } else if (now >= 0 && performance.now() - since > HANG_MS) {
        const fuzz = fuzzCase(run.seed, now, captures);
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
        reject(new Error(`fuzz worker ${slot} failed, seed ${run.seed}`, { cause: error })),
      );
      worker.once("exit", () => resolve(null));
    }).finally(() => clearInterval(watchdog));
  });
  const results = (await Promise.all(runs)).filter((result): result is FuzzWorkerResult => result !== null);
  return { results, hangs };
}

/** Runs the cases and fails with the findings (each with its replay command), or when too few pages were read. */
export async function fuzzReaders(t: TestContext, run: FuzzRun): Promise<void> {
  const captures = readAllCaptures();
  const started = performance.now();
  const { results, hangs } = await runInWorkers(run, captures);
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
    `seed ${run.seed}: ${total("cases")} cases in ${seconds.toFixed(1)} s; ${total("parsed")} read as a page, ` +
      `${total("scannerAnswered")} answered by the scanner (compared with cheerio); ` +
      `slowest case ${slowest.index}: ${slowest.ms.toFixed(1)} ms; known issues (todo): ` +
      (Object.entries(known)
        .map(([id, count]) => `${id} ${count}`)
        .join(", ") || "none hit"),
  );

  const findings = [...hangs, ...results.flatMap((result) => result.findings)];
  if (findings.length > 0) assert.fail(fuzzReport(run, findings));
  assert.equal(total("cases"), run.cases, `every case ran (seed ${run.seed})`);
  // The differential check means something only if the scanner answers often, and pages still get read.
  assert.ok(
    total("scannerAnswered") > run.cases * 0.3,
    `the scanner answered ${total("scannerAnswered")} cases`,
  );
  assert.ok(total("parsed") > run.cases * 0.2, `only ${total("parsed")} cases read as a page`);
}
