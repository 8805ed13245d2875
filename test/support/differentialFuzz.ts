import assert from "node:assert/strict";
import { PageFormat } from "../../modules/kostal2mqtt/src/piko/errors.js";
import { Prng } from "./prng.js";

/**
 * The loop of the protocol readers' seeded fuzz (dxs.json, MP plus XML): half the cases are random well-formed
 * answers checked field by field against a small model of the reader's own (differential), half are mutated real
 * answers that must give a content or PageFormat and nothing else (property). A failure names its case and the
 * command that replays it.
 */

export type FieldValues = Map<string, number | null>;

export interface ReaderFuzz {
  seed: number;
  cases: number;
  /** The compiled test file, for the replay command. */
  file: string;
  /** Real answers, the mutations' starting points. */
  captures: readonly string[];
  /** A well-formed answer and what each field must read; null when the reader must refuse it. */
  structuredCase(prng: Prng): { text: string; expected: FieldValues | null };
  mutate(prng: Prng, text: string): string;
  read(text: string): { values: ReadonlyMap<string, number | null> };
  /** Whether the reader may refuse a well-formed answer the model expects these values of. */
  mayRefuse(expected: FieldValues): boolean;
}

export function runReaderFuzz(fuzz: ReaderFuzz): void {
  let compared = 0;
  for (let index = 0; index < fuzz.cases; index++) {
    const prng = new Prng(fuzz.seed, index);
    const replay = `case ${index}: FUZZ_SEED=${fuzz.seed} node --test ${fuzz.file}`;
    const model = prng.chance(0.5)
      ? fuzz.structuredCase(prng)
      : { text: fuzz.mutate(prng, prng.pick(fuzz.captures)), expected: undefined };
    try {
      const content = fuzz.read(model.text);
      if (model.expected === null) assert.fail(`${replay}: read an answer it must refuse\n${model.text}`);
      if (model.expected !== undefined) {
        assert.deepEqual(
          Object.fromEntries(content.values),
          Object.fromEntries(model.expected),
          `${replay}\n${model.text}`,
        );
        compared++;
      }
    } catch (error) {
      if (error instanceof assert.AssertionError) throw error;
      if (error instanceof PageFormat) {
        if (model.expected && !fuzz.mayRefuse(model.expected))
          assert.fail(`${replay}: refused ${model.text}: ${error.message}`);
        continue;
      }
      assert.fail(`${replay}: ${String(error)}\ninput: ${JSON.stringify(model.text)}`);
    }
  }
  assert.ok(compared > fuzz.cases / 4, `only ${compared} differential comparisons`);
}
