import assert from "node:assert/strict";
import { test } from "node:test";
import { PageFormat } from "../../modules/kostal2mqtt/src/piko/errors.js";
import { readMpplusDocument } from "../../modules/kostal2mqtt/src/piko/mpplus/mpplusReader.js";
import type { MeasurementKey } from "../../modules/kostal2mqtt/src/reading/fields.js";
import { toReading } from "../../modules/kostal2mqtt/src/reading/reading.js";
import { PLAUSIBLE } from "../../modules/kostal2mqtt/src/piko/plausibleValues.js";
import { Prng, randomSeed } from "../support/prng.js";
import { folderTestOptions, readFolder } from "../support/protocolCaptures.js";

/**
 * The MP plus XML reader over the three real documents in the shared `piko-mpplus-xml/` folder (expectations
 * written out by hand from the files), edge cases, and a seeded differential/property fuzz.
 */

interface Expected {
  model: string;
  name: string;
  rs485Address: number;
  statusText: string;
  values: Partial<Record<MeasurementKey, number | null>>;
  identity: { serial?: string; firmware?: string };
  warnings: number;
}

const EXPECTED: Record<string, Expected> = {
  "piko1.5-1-mpplus-events-yields-versions-state-redacted.xml": {
    model: "PIKO 1.5-1 MP plus",
    name: "XXXXXX",
    rs485Address: 2,
    statusText: "Standby",
    // Yield Produced Total 20000 Wh.
    values: { energy_total_kwh: 20 },
    identity: { serial: "XXXXXXX", firmware: "3.17.0" },
    warnings: 0,
  },
  // Serial=„XXXXXXXX" and OEMSerial=„XXXXXXX“: read, each with a warning.
  "piko3.0-1-mpplus-measurements-redacted-malformed-quotes.xml": {
    model: "PIKO 3.0-1 MP plus",
    name: "INV007034470001",
    rs485Address: 1,
    statusText: "",
    values: {
      ac_power_w: 381.6,
      l1_power_w: 381.6,
      l1_voltage_v: 226.2,
      l1_current_a: 1.645,
      grid_frequency_hz: 50,
      power_limitation_pct: 100,
      dc1_voltage_v: 344.9,
      dc1_current_a: 1.214,
    },
    identity: { serial: "XXXXXXXX" },
    warnings: 2,
  },
  // Standby: AC current/power and the DC currents have no Value, so they are null.
  "piko3.0-2-mpplus-all-measurements-yields-versions-standby-redacted.xml": {
    model: "PIKO 3.0-2 MP plus",
    name: "INV00000",
    rs485Address: 1,
    statusText: "Standby",
    values: {
      ac_power_w: null,
      l1_power_w: null,
      l1_voltage_v: 236,
      l1_current_a: null,
      grid_frequency_hz: 50.014,
      dc1_power_w: null,
      dc2_power_w: null,
      dc_power_w: 0,
      power_limitation_pct: 100,
      dc1_voltage_v: 118.7,
      dc2_voltage_v: 120.6,
      dc1_current_a: null,
      dc2_current_a: null,
      energy_total_kwh: 10388.27,
    },
    identity: { serial: "AAA", firmware: "3.4.0" },
    warnings: 0,
  },
};

test("every real MP plus document reads as written out by hand", folderTestOptions("piko-mpplus-xml"), () => {
  const files = readFolder("piko-mpplus-xml");
  assert.deepEqual(
    files.map((f) => f.name),
    Object.keys(EXPECTED).sort(),
  );
  for (const { name, text } of files) {
    const expected = EXPECTED[name]!;
    const content = readMpplusDocument(text);
    const { values, warnings, identity, ...header } = content;
    assert.deepEqual(header, {
      model: expected.model,
      name: expected.name,
      rs485Address: expected.rs485Address,
      statusText: expected.statusText,
    });
    assert.deepEqual(Object.fromEntries(values), expected.values, name);
    assert.deepEqual(identity, expected.identity, name);
    assert.equal(warnings.length, expected.warnings, `${name}: ${warnings.join("; ")}`);
    const reading = toReading(content, "mp", 0);
    assert.ok(!("dc3_voltage_v" in reading) && !("l2_voltage_v" in reading), `${name}: absent, not null`);
  }
});

const doc = (body: string, device = `Name="PIKO 4.2-2 MP plus" BusAddress="3"`) =>
  `<?xml version="1.0"?>\n<root><Device ${device}><Measurements>${body}</Measurements><State Value="Feed-in"/></Device></root>`;

test("edge cases: values, units, entities, truncation, not MP plus", () => {
  const content = readMpplusDocument(
    doc(
      `<Measurement Value="nan" Unit="W" Type="AC_Power"/><Measurement Value="230" Unit="kV" Type="AC_Voltage"/>` +
        `<Measurement Value="-5" Unit="V" Type="DC_Voltage1"/><Measurement Value="1.5" Unit="A" Type="DC_Current1"/>` +
        `<Measurement Value="2" Unit="A" Type="DC_Current1"/><!-- a comment --><Measurement Value="9" Unit="W" Type="New"/>`,
      `Name="PIKO &amp; Co MP" BusAddress="999"`,
    ),
  );
  assert.deepEqual(Object.fromEntries(content.values), {
    ac_power_w: null,
    l1_power_w: null,
    l1_voltage_v: null,
    dc1_voltage_v: null,
    dc1_current_a: 1.5,
  });
  assert.equal(content.warnings.length, 4, content.warnings.join("; "));
  assert.deepEqual(
    [content.model, content.rs485Address, content.statusText],
    ["PIKO & Co MP", 255, "Feed-in"],
  );
  for (const [text, message] of [
    ["", /expected an XML document/],
    ["{}", /expected only elements/],
    [doc("").slice(0, -"</root>".length), /<root> not closed/],
    [doc("").slice(0, -10), /expected a tag at '<\/Devi'/],
    ["<root><Device Name='PIKO'></root>", /well-nested/],
    ["<root><Other/></root>", /<Device Name="PIKO \.\.\.">/],
    ["<root><Device Name='PIKO'/></root>", /found none/],
    ["<root><Device Name=PIKO/></root>", /expected attributes in <Device>/],
    ["<root><Device Name='PIKO' <</root>", /expected/],
  ] as const) {
    assert.throws(
      () => readMpplusDocument(text),
      (e: unknown) => e instanceof PageFormat && message.test(e.message),
      text,
    );
  }
});

const SEED = process.env["KOSTAL_FUZZ_SEED"] ? Number(process.env["KOSTAL_FUZZ_SEED"]) >>> 0 : randomSeed();
const CASES = Number(process.env["KOSTAL_FUZZ_CASES"] ?? 10_000);
const TYPES = [
  ["AC_Power", "W", ["ac_power_w", "l1_power_w"]],
  ["AC_Voltage", "V", ["l1_voltage_v"]],
  ["DC_Voltage1", "V", ["dc1_voltage_v"]],
  ["DC_Current2", "A", ["dc2_current_a"]],
  ["AC_Frequency", "Hz", ["grid_frequency_hz"]],
  ["Derating", "%", ["power_limitation_pct"]],
  ["LINK_Voltage", "V", []],
] as const;
const VALUES = [
  undefined,
  "0",
  "0.0",
  "230.5",
  "-1",
  "nan",
  "1e5",
  "99999999",
  "12.3456789",
  "",
  " 7 ",
  "4.17e32",
];

test(
  `MP plus reader: ${CASES} seeded cases agree with the model and throw nothing but PageFormat (seed ${SEED})`,
  folderTestOptions("piko-mpplus-xml"),
  () => {
    const samples = readFolder("piko-mpplus-xml").map((f) => f.text);
    for (let index = 0; index < CASES; index++) {
      const prng = new Prng(SEED, index);
      const replay = `case ${index}: KOSTAL_FUZZ_SEED=${SEED} node --test dist/test/unit/mpplusReader.test.js`;
      if (prng.chance(0.5)) {
        // Differential: random measurements against a model of what each field must read.
        const expected = new Map<string, number | null>();
        const parts: string[] = [];
        for (let n = prng.between(1, 8); n > 0; n--) {
          const [type, unit, keys] = prng.pick(TYPES);
          const value = prng.pick(VALUES);
          const quote = prng.pick(['"', "'"]);
          parts.push(
            `<Measurement ${value === undefined ? "" : `Value=${quote}${value}${quote} `}Unit=${quote}${unit}${quote} Type=${quote}${type}${quote}/>`,
          );
          for (const key of keys) {
            if (expected.has(key)) continue;
            const n2 =
              value !== undefined && /^-?\d{1,12}(\.\d{1,9})?$/.test(value.trim()) ? Number(value) : null;
            const { min, max } = PLAUSIBLE[unit];
            expected.set(key, n2 !== null && n2 >= min && n2 <= max ? n2 : null);
          }
        }
        const content = readMpplusDocument(doc(parts.join(prng.pick(["", "\n", "\t  "]))));
        assert.deepEqual(Object.fromEntries(content.values), Object.fromEntries(expected), replay);
        continue;
      }
      let text = prng.pick(samples);
      for (let n = prng.between(1, 4); n > 0; n--) {
        const at = prng.int(text.length + 1);
        const insert = prng.pick([
          "<",
          ">",
          "/",
          '"',
          "'",
          "„",
          "“",
          "=",
          "&amp;",
          "<!--",
          "-->",
          "<?",
          "?>",
          'Value="1" ',
          "",
        ]);
        text = text.slice(0, at) + insert + text.slice(at + prng.int(8));
      }
      try {
        readMpplusDocument(text);
      } catch (error) {
        if (!(error instanceof PageFormat))
          assert.fail(`${replay}: ${String(error)}\ninput: ${JSON.stringify(text)}`);
      }
    }
  },
);
