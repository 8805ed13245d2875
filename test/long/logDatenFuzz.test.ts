import assert from "node:assert/strict";
import { test } from "node:test";
import { fuzzLogDaten, fuzzSeeds } from "../support/logDatenFuzz.js";
import { testSeed } from "../support/prng.js";

/**
 * The LogDaten.dat reader's fuzz at length: 10,000 cases of a new seed (test/unit/logDatenFuzz.test.ts runs 1,000 on
 * every `npm test`). KOSTAL_FUZZ_CASES sets another number; FUZZ_SEED replays a run.
 */

const SEED = testSeed("LogDaten fuzz (long)", "dist/test/long/logDatenFuzz.test.js");
const CASES = Number(process.env["KOSTAL_FUZZ_CASES"] ?? 10_000);

test(`LogDaten reader: ${CASES} seeded cases (seed ${SEED})`, { timeout: 10 * 60_000 }, () => {
  const replay = `FUZZ_SEED=${SEED} KOSTAL_FUZZ_CASES=${CASES} node --test dist/test/long/logDatenFuzz.test.js`;
  const compared = fuzzLogDaten(SEED, CASES, fuzzSeeds(), replay);
  assert.ok(compared > CASES / 4, `only ${compared} differential comparisons`);
});
