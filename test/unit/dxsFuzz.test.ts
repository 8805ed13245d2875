import { test } from "node:test";
import { DXS_FIELD_IDS, DXS_STATUS_ID } from "../../modules/kostal2mqtt/src/piko/dxs/dxsIds.js";
import { PLAUSIBLE } from "../../modules/kostal2mqtt/src/piko/plausibleValues.js";
import { readDxsAnswers } from "../../modules/kostal2mqtt/src/piko/dxs/dxsReader.js";
import { measurementField } from "../../modules/kostal2mqtt/src/reading/fields.js";
import { runReaderFuzz } from "../support/differentialFuzz.js";
import { type Prng, testSeed } from "../support/prng.js";
import { folderTestOptions, readFolder } from "../support/protocolCaptures.js";

/**
 * Seeded differential and property fuzz of the dxs.json reader, 10,000 cases by default:
 * - differential: random well-formed answers (ids shuffled, unknown ids, nulls, garbage, duplicates) against a
 *   small independent model of what each field must read;
 * - property: mutated real answers and random text give a content or PageFormat, never another error.
 * FUZZ_SEED replays a run (the seed is in the test name), KOSTAL_FUZZ_CASES sets the count.
 */

const SEED = testSeed("dxs fuzz", "dist/test/unit/dxsFuzz.test.js");
const CASES = Number(process.env["KOSTAL_FUZZ_CASES"] ?? 10_000);

// Ids of a PIKO the reader does not read (battery cycles, operating hours) and ids of nothing.
const UNKNOWN_IDS = [33556228, 251658496, 1, 0, 4294967295];
const RAW_VALUES: readonly unknown[] = [
  null,
  0,
  -0,
  1,
  -1,
  0.5,
  230.123456,
  4.17e32,
  -4.17e32,
  1e308,
  "12",
  true,
  [],
  {},
];

interface Model {
  text: string;
  expected: Map<string, number | null>;
}

/** An answer and what the model says each field reads; the first of two entries of one id counts. */
function structuredCase(prng: Prng): Model {
  const entries: Array<[number, unknown]> = [];
  const expected = new Map<string, number | null>();
  const nullVoltage = new Set<string>();
  const count = prng.between(1, 30);
  for (let i = 0; i < count; i++) {
    const known = prng.chance(0.7);
    const field = prng.pick(DXS_FIELD_IDS);
    const id = known ? field.id : prng.pick(UNKNOWN_IDS);
    const raw = prng.chance(0.5)
      ? prng.pick(RAW_VALUES)
      : (prng.next() / 0x100000000 - 0.3) * 10 ** prng.between(0, 8);
    entries.push([id, raw]);
    if (!known || expected.has(field.key)) continue;
    const { min, max } = PLAUSIBLE[measurementField(field.key)!.unit];
    // What the device's JSON carries (-0 is written 0).
    const sent = JSON.parse(JSON.stringify(raw)) as unknown;
    const value = typeof sent === "number" ? sent / field.divisor : NaN;
    expected.set(field.key, raw === null || !(value >= min && value <= max) ? null : value);
    if (raw === null && /^l[23]_voltage_v$/.test(field.key)) nullVoltage.add(field.key.slice(0, 2));
  }
  // A phase whose voltage the device answers with null is one it lacks: all of its fields are absent.
  for (const phase of ["l2", "l3"]) {
    if (nullVoltage.has(phase))
      for (const key of [...expected.keys()]) if (key.startsWith(`${phase}_`)) expected.delete(key);
  }
  if (prng.chance(0.3)) entries.push([DXS_STATUS_ID, prng.between(-1, 9)]);
  const text = JSON.stringify({
    dxsEntries: entries.map(([dxsId, value]) => ({ dxsId, value })),
    status: { code: prng.int(2) },
  });
  return { text, expected };
}

function mutate(prng: Prng, text: string): string {
  let out = text;
  for (let n = prng.between(1, 4); n > 0; n--) {
    const at = prng.int(out.length + 1);
    switch (prng.int(5)) {
      case 0:
        out = out.slice(0, at);
        break;
      case 1:
        out = out.slice(0, at) + out.slice(at + prng.between(1, 20));
        break;
      case 2:
        out =
          out.slice(0, at) +
          prng.pick(["nan", "null", "{", "}", "[", "]", ",", '"', ":", "-", "1e999", "\\"]) +
          out.slice(at);
        break;
      case 3:
        out = out.slice(0, at) + String.fromCharCode(prng.int(0x3000)) + out.slice(at + 1);
        break;
      default:
        out = out.replace(/-?\d+(\.\d+)?/, () => String(prng.pick(RAW_VALUES)));
    }
  }
  return out;
}

test(
  `dxs reader: ${CASES} seeded cases agree with the model and throw nothing but PageFormat (seed ${SEED})`,
  folderTestOptions("piko-dxs"),
  () =>
    runReaderFuzz({
      seed: SEED,
      cases: CASES,
      file: "dist/test/unit/dxsFuzz.test.js",
      captures: readFolder("piko-dxs").map((f) => f.text),
      structuredCase,
      mutate,
      read: (text) => readDxsAnswers([text]),
      // Only an answer without a single entry the reader knows may be refused when well formed.
      mayRefuse: (expected) => expected.size === 0,
    }),
);
