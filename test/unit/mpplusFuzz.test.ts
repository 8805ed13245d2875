import { test } from "node:test";
import { readMpplusDocument } from "../../modules/kostal2mqtt/src/piko/mpplus/mpplusReader.js";
import { PLAUSIBLE } from "../../modules/kostal2mqtt/src/piko/plausibleValues.js";
import { measurementField } from "../../modules/kostal2mqtt/src/reading/fields.js";
import { runReaderFuzz } from "../support/differentialFuzz.js";
import { type Prng, testSeed } from "../support/prng.js";
import { folderTestOptions, readFolder } from "../support/protocolCaptures.js";

/**
 * Seeded differential and property fuzz of the MP plus XML reader, 10,000 cases by default, as for the other readers:
 * - differential: random documents (measurements in any order, twice, in other units, without or with odd values,
 *   types the reader does not know, a total yield in Wh or kWh) against a small independent model of what each
 *   field must read;
 * - property: mutated real documents and random text give a content or PageFormat, never another error.
 * FUZZ_SEED replays a run (the seed is in the test name), KOSTAL_FUZZ_CASES sets the count.
 */

const SEED = testSeed("mpplus fuzz", "dist/test/unit/mpplusFuzz.test.js");
const CASES = Number(process.env["KOSTAL_FUZZ_CASES"] ?? 10_000);

/** What the device's documents mean, written out again from the samples (not taken from the reader). */
const TYPES: ReadonlyArray<[type: string, unit: string, keys: string[]]> = [
  ["AC_Power", "W", ["ac_power_w", "l1_power_w"]],
  ["AC_Voltage", "V", ["l1_voltage_v"]],
  ["AC_Current", "A", ["l1_current_a"]],
  ["AC_Frequency", "Hz", ["grid_frequency_hz"]],
  ["Derating", "%", ["power_limitation_pct"]],
  ["DC_Power Total", "W", ["dc_power_w"]],
  ["DC_Power1", "W", ["dc1_power_w"]],
  ["DC_Voltage", "V", ["dc1_voltage_v"]],
  ["DC_Voltage1", "V", ["dc1_voltage_v"]],
  ["DC_Current2", "A", ["dc2_current_a"]],
  ["DC_Voltage3", "V", ["dc3_voltage_v"]],
  ["Temp", "°C", []],
  ["GridPower", "W", []],
  ["AC_Power_fast", "W", []],
];
const VALUES = [
  "236.0",
  "0.0",
  "50.014",
  "-3.5",
  "100",
  "99999999",
  "1e3",
  "nan",
  "",
  " 12.5 ",
  "3.1415926535",
];
const UNITS = ["W", "V", "A", "Hz", "%", "kW", ""];

interface Model {
  text: string;
  /** What each field reads; null when the document must be refused. */
  expected: Map<string, number | null> | null;
}

function valueOf(raw: string | undefined, unit: string, expectedUnit: string, key: string): number | null {
  if (unit !== expectedUnit || raw === undefined || !/^-?\d{1,12}(\.\d{1,9})?$/.test(raw.trim())) return null;
  return plausible(Number(raw.trim()), key);
}

function structuredCase(prng: Prng): Model {
  const lines: string[] = [];
  const expected = new Map<string, number | null>();
  for (let n = prng.between(0, 12); n > 0; n--) {
    const [type, rightUnit, keys] = prng.pick(TYPES);
    const unit = prng.chance(0.85) ? rightUnit : prng.pick(UNITS);
    const raw = prng.chance(0.15) ? undefined : prng.pick(VALUES);
    lines.push(`<Measurement${raw === undefined ? "" : ` Value='${raw}'`} Unit='${unit}' Type='${type}'/>`);
    for (const key of keys) if (!expected.has(key)) expected.set(key, valueOf(raw, unit, rightUnit, key));
  }
  if (prng.chance(0.4)) {
    const unit = prng.pick(["Wh", "kWh", "MWh"]);
    const raw = prng.pick(VALUES);
    lines.push(
      `<Yields><Yield Type='Produced' Slot='Total' Unit='${unit}'><YieldValue Value='${raw}'/></Yield></Yields>`,
    );
    const divisor = unit === "Wh" ? 1000 : unit === "kWh" ? 1 : null;
    const decimal = /^-?\d{1,12}(\.\d{1,9})?$/.test(raw.trim());
    if (!expected.has("energy_total_kwh"))
      expected.set(
        "energy_total_kwh",
        divisor === null || !decimal ? null : plausible(Number(raw.trim()) / divisor, "energy_total_kwh"),
      );
  }
  const withState = prng.chance(0.3);
  if (withState) lines.push(`<State Value='Feeding'/>`);
  const text =
    `<root><Device Name='PIKO 3.0-1 MP plus' Serial='S${prng.int(1000)}' BusAddress='1'><Measurements>` +
    `${lines.join("")}</Measurements></Device></root>`;
  return { text, expected: expected.size === 0 && !withState ? null : expected };
}

function plausible(value: number, key: string): number | null {
  const { min, max } = PLAUSIBLE[measurementField(key)!.unit];
  return value >= min && value <= max ? value : null;
}

function mutate(prng: Prng, text: string): string {
  let out = text;
  for (let n = prng.between(1, 4); n > 0; n--) {
    const at = prng.int(out.length + 1);
    const cut = prng.between(1, 40);
    const insert = prng.pick([
      "<",
      ">",
      "'",
      '"',
      "/>",
      "&",
      "&#0;",
      "<Measurement",
      " Value=",
      "\u2019",
      "\u0000",
    ]);
    out = prng.chance(0.5)
      ? out.slice(0, at) + out.slice(at + cut)
      : out.slice(0, at) + insert + out.slice(at);
  }
  return out;
}

test(
  `MP plus reader: ${CASES} seeded cases agree with the model and throw nothing but PageFormat (seed ${SEED})`,
  folderTestOptions("piko-mpplus-xml"),
  () =>
    runReaderFuzz({
      seed: SEED,
      cases: CASES,
      file: "dist/test/unit/mpplusFuzz.test.js",
      captures: readFolder("piko-mpplus-xml").map((f) => f.text),
      structuredCase,
      mutate,
      read: readMpplusDocument,
      mayRefuse: () => false,
    }),
);
