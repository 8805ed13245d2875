import { parentPort, workerData } from "node:worker_threads";
import { fuzzCase, runCase, type Finding } from "./readerFuzz.js";

/**
 * Runs a range of reader fuzz cases off the test's main thread, so that a reader stuck in a loop can be seen
 * (the watchdog reads `progress`) and stopped (worker.terminate) instead of hanging the whole test run.
 */

export interface FuzzWorkerData {
  seed: number;
  /** Case indices to run. */
  indices: number[];
  captures: Array<{ name: string; html: string }>;
  /** One Int32 slot per worker: the index of the case being run now, -1 when done. */
  progress: SharedArrayBuffer;
  slot: number;
}

export interface FuzzWorkerResult {
  cases: number;
  parsed: number;
  scannerAnswered: number;
  findings: Finding[];
  /** How many cases ran into each known reader issue. */
  known: Record<string, number>;
  /** The slowest case, to see how far from a hang the readers are. */
  slowest: { index: number; ms: number };
}

/** Findings beyond this many are counted but not minimised: one reproducer per kind is what a person reads. */
const MAX_MINIMISED = 5;

const data = workerData as FuzzWorkerData;
const progress = new Int32Array(data.progress);
const result: FuzzWorkerResult = {
  cases: 0,
  parsed: 0,
  scannerAnswered: 0,
  findings: [],
  known: {},
  slowest: { index: -1, ms: 0 },
};
for (const index of data.indices) {
  Atomics.store(progress, data.slot, index);
  const fuzz = fuzzCase(data.seed, index, data.captures);
  const started = performance.now();
  const { outcome, finding } = runCase(fuzz, result.findings.length < MAX_MINIMISED ? 8000 : 0);
  const ms = performance.now() - started;
  if (finding === null && ms > result.slowest.ms) result.slowest = { index, ms };
  result.cases++;
  if (outcome.parsed) result.parsed++;
  if (outcome.scannerAnswered) result.scannerAnswered++;
  for (const id of outcome.known) result.known[id] = (result.known[id] ?? 0) + 1;
  if (finding !== null) result.findings.push(finding);
}
Atomics.store(progress, data.slot, -1);
parentPort?.postMessage(result);
