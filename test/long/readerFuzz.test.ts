import { test } from "node:test";
import { capturesTestOptions } from "../support/fixtures.js";
import { testSeed } from "../support/prng.js";
import { fuzzReaders } from "../support/readerFuzzRun.js";

/**
 * The page readers' fuzz test at length (test/unit/readerFuzz.test.ts runs 3,000 cases on every `npm test`):
 * 50,000 cases of a new seed, half a minute on two cores. KOSTAL_FUZZ_CASES sets another number; FUZZ_SEED
 * replays a run, and a finding prints the command that replays its case alone.
 */

const SEED = testSeed("reader fuzz (long)", "dist/test/long/readerFuzz.test.js");
const CASES = Number(process.env["KOSTAL_FUZZ_CASES"] ?? 50_000);
if (!Number.isInteger(CASES) || CASES < 1) throw new Error(`KOSTAL_FUZZ_CASES must be a positive integer`);

test(
  `reader fuzz: ${CASES} mutated and random pages (seed ${SEED})`,
  { ...capturesTestOptions(), timeout: 15 * 60_000 },
  (t) =>
    fuzzReaders(t, {
      seed: SEED,
      cases: CASES,
      replay: (index) =>
        `FUZZ_SEED=${SEED} KOSTAL_FUZZ_CASE=${index} node --test dist/test/unit/readerFuzz.test.js`,
    }),
);
