import assert from "node:assert/strict";
import { test } from "node:test";
import { fuzzLogDaten, fuzzSeeds } from "../support/logDatenFuzz.js";
import { testSeed } from "../support/prng.js";

/**
 * The LogDaten.dat reader's seeded fuzz, a quick share on every `npm test` (test/long/logDatenFuzz.test.ts runs
 * 10,000). FUZZ_SEED replays a run (the seed is printed), KOSTAL_FUZZ_CASES sets the count.
 */

const SEED = testSeed("LogDaten fuzz", "dist/test/unit/logDatenFuzz.test.js");
const CASES = Number(process.env["KOSTAL_FUZZ_CASES"] ?? 1000);

test(`LogDaten reader: ${CASES} seeded cases agree with the model and throw nothing but PageFormat (seed ${SEED})`, () => {
  const compared = fuzzLogDaten(
    SEED,
    CASES,
    fuzzSeeds(),
    `FUZZ_SEED=${SEED} node --test dist/test/unit/logDatenFuzz.test.js`,
  );
  assert.ok(compared > CASES / 4, `only ${compared} differential comparisons`);
});
