import assert from "node:assert/strict";
import { test } from "node:test";
import { parseStatusPage } from "../../modules/kostal2mqtt/src/piko/statusPage.js";
import type { MeasurementKey } from "../../modules/kostal2mqtt/src/reading/fields.js";
import { classifyStatus } from "../../modules/kostal2mqtt/src/reading/status.js";
import type { DisplayState, Language } from "../../modules/piko-simulator/src/languages.js";
import type { ModelId } from "../../modules/piko-simulator/src/models.js";
import {
  pageTemplate,
  renderStatusPage,
  type PageValues,
} from "../../modules/piko-simulator/src/pageRenderer.js";
import { capturesTestOptions, readCapture } from "../support/fixtures.js";

/**
 * The simulator's page against the project's own reader (every model, language and state) and against the real
 * captures byte for byte. Expectations are written out here, not taken from the simulator's tables.
 */

const LAYOUTS: Record<ModelId, { strings: number; phases: number }> = {
  "10.1": { strings: 3, phases: 3 },
  "8.3": { strings: 2, phases: 3 },
  "5.5": { strings: 3, phases: 3 },
  "4.2": { strings: 2, phases: 3 },
  "3.6": { strings: 2, phases: 1 },
  "3.0": { strings: 1, phases: 1 },
};
const STATUS_TEXTS: Record<Language, Record<DisplayState, string>> = {
  de: { feeding: "Einspeisen MPP", idle: "Leerlauf", off: "Aus" },
  en: { feeding: "supply MPP", idle: "idle", off: "off" },
  nl: { feeding: "toevoer MPP", idle: "stationair", off: "uit" },
};
const NORMALISED_STATUS: Record<DisplayState, string> = { feeding: "feeding_mpp", idle: "idle", off: "off" };
const LANGUAGE_WORDS: Record<Language, string[]> = {
  de: [
    "AC-Leistung",
    "aktuell",
    "Gesamtenergie",
    "Tagesenergie",
    "PV-Generator",
    "Ausgangsleistung",
    "Spannung",
  ],
  en: ["AC power", "current", "total energy", "daily energy", "PV generator", "output power", "voltage"],
  nl: [
    "AC-vermogen",
    "actueel",
    "totale energie",
    "dagenergie",
    "PV-generator",
    "uitgangsvermogen",
    "spanning",
  ],
};

/** Distinct, plausible values for one combination: phase powers add up to the AC power. */
function sampleValues(model: ModelId, language: Language, state: DisplayState, variant: number): PageValues {
  const { strings, phases } = LAYOUTS[model];
  const feeding = state === "feeding";
  const phaseValues = Array.from({ length: phases }, (_, i) => ({
    voltageV: 226 + i + variant,
    powerW: feeding ? 700 + 37 * i + variant : 0,
  }));
  return {
    model,
    language,
    name: `Haus${variant}`,
    rs485Address: 200 + variant,
    state,
    acPowerW: phaseValues.reduce((sum, phase) => sum + phase.powerW, 0),
    energyTotalKwh: 39116 + variant,
    energyTodayKwh: state === "idle" ? 0 : 12.34 + variant,
    strings: Array.from({ length: strings }, (_, i) => ({
      voltageV: feeding ? 410 + 11 * i + variant : 144 + i,
      currentA: feeding ? (257 + 100 * i + variant) / 100 : 0.01,
    })),
    phases: phaseValues,
  };
}

/** The fields the page must carry and what the reader must make of them. */
function expectedFields(values: PageValues): Map<MeasurementKey, number> {
  const { strings, phases } = LAYOUTS[values.model];
  const off = values.state === "off";
  const expected = new Map<MeasurementKey, number>([
    ["ac_power_w", off ? 0 : values.acPowerW],
    ["energy_total_kwh", values.energyTotalKwh],
    ["energy_today_kwh", values.energyTodayKwh],
  ]);
  for (let i = 1; i <= strings; i++) {
    const string = values.strings[i - 1]!;
    expected.set(`dc${i}_voltage_v` as MeasurementKey, off ? 0 : string.voltageV);
    expected.set(`dc${i}_current_a` as MeasurementKey, off ? 0 : string.currentA);
  }
  for (let i = 1; i <= phases; i++) {
    const phase = values.phases[i - 1]!;
    expected.set(`l${i}_voltage_v` as MeasurementKey, off ? 0 : phase.voltageV);
    expected.set(`l${i}_power_w` as MeasurementKey, off ? 0 : phase.powerW);
  }
  return expected;
}

let variant = 0;
for (const model of Object.keys(LAYOUTS) as ModelId[]) {
  for (const language of ["de", "en", "nl"] as const) {
    for (const state of ["feeding", "idle", "off"] as const) {
      variant += 1;
      const values = sampleValues(model, language, state, variant);
      test(`PIKO ${model} ${language} ${state}: the page reader reads back exactly what was rendered`, () => {
        const bytes = renderStatusPage(values);
        const html = bytes.toString("latin1");
        const page = parseStatusPage(html);
        assert.equal(page.reader, "scanner");
        assert.deepEqual(page.warnings, []);
        assert.equal(page.model, `PIKO ${model}`);
        assert.equal(page.name, values.name);
        assert.equal(page.rs485Address, values.rs485Address);
        assert.equal(page.statusText, STATUS_TEXTS[language][state]);
        assert.equal(classifyStatus(page.statusText), NORMALISED_STATUS[state]);
        assert.deepEqual(new Map([...page.values].sort()), new Map([...expectedFields(values)].sort()));
        for (const word of LANGUAGE_WORDS[language]) {
          assert.ok(html.includes(`  ${word}</td>`) || html.includes(`  <b>${word}</b></td>`), word);
        }
      });

      test(`PIKO ${model} ${language} ${state}: device bytes (CRLF, ASCII, value cells, placeholders)`, () => {
        const html = renderStatusPage(values).toString("latin1");
        const { strings, phases } = LAYOUTS[model];
        assert.doesNotMatch(html, /[^\r]\n/, "every line ends in CRLF");
        assert.match(html, /^<!DOCtype HTML PUBLIC [^\r]*\r\n/);
        assert.ok(html.endsWith("</html>\r\n"));
        assert.doesNotMatch(html, /[^\x09\x0a\x0d\x20-\x7e]/, "pure ASCII");
        const used = html.match(/align="right" bgcolor="#FFFFFF">/g) ?? [];
        const unused = html.match(/align="right" bgcolor="#EAF7F7">\r\n {3}<\/td>/g) ?? [];
        assert.equal(used.length, 3 + 2 * strings + 2 * phases);
        assert.equal(unused.length, 2 * (3 - strings) + 2 * (3 - phases));
        const blankHeadings = html.match(/ {2}<u> <\/u><\/td>/g) ?? [];
        assert.equal(blankHeadings.length, 3 - strings + (3 - phases));
        const placeholders = html.match(/\r\n {2}x x x&nbsp<\/td>/g) ?? [];
        assert.equal(placeholders.length, state === "off" ? 1 + 2 * strings + 2 * phases : 0);
        assert.ok(html.includes(`<input type="Text" name="edWrNr" value="${values.rs485Address}" size="3"`));
      });
    }
  }
}

test("number formats: integers, currents with 2 decimals, daily energy a bare 0 when zero", () => {
  const base = sampleValues("3.0", "de", "feeding", 0);
  const page = (changes: Partial<PageValues>) => renderStatusPage({ ...base, ...changes }).toString("latin1");
  assert.match(page({ energyTodayKwh: 0 }), /Tagesenergie<\/td>\r\n[^\r]*\r\n {2}0<\/td>/);
  assert.match(page({ energyTodayKwh: 0.001 }), /Tagesenergie<\/td>\r\n[^\r]*\r\n {2}0<\/td>/);
  assert.match(page({ energyTodayKwh: 7.5 }), /Tagesenergie<\/td>\r\n[^\r]*\r\n {2}7\.50<\/td>/);
  assert.match(page({ energyTotalKwh: 69424.6 }), /\r\n {2}69425<\/td>/);
  assert.match(
    page({ strings: [{ voltageV: 435.4, currentA: 3 }] }),
    /\r\n {2}435<\/td>[\s\S]*\r\n {2}3\.00<\/td>/,
  );
  assert.match(page({ acPowerW: 0 }), /aktuell<\/td>\r\n[^\r]*\r\n {2}0<\/td>/);
});

test("the template of a model and language is built once and shared", () => {
  assert.equal(pageTemplate("10.1", "de"), pageTemplate("10.1", "de"));
  assert.notEqual(pageTemplate("10.1", "de"), pageTemplate("10.1", "en"));
});

test("refuses values the device could not show", () => {
  const base = sampleValues("8.3", "en", "feeding", 0);
  assert.throws(() => renderStatusPage({ ...base, name: "my piko" }), RangeError);
  assert.throws(() => renderStatusPage({ ...base, name: "" }), RangeError);
  assert.throws(() => renderStatusPage({ ...base, rs485Address: 0 }), RangeError);
  assert.throws(() => renderStatusPage({ ...base, rs485Address: 256 }), RangeError);
  assert.throws(() => renderStatusPage({ ...base, acPowerW: Number.NaN }), RangeError);
  assert.throws(() => renderStatusPage({ ...base, strings: [base.strings[0]!] }), /no string 2 values/);
  // Off pages show no instantaneous values, so none are needed.
  assert.doesNotThrow(() => renderStatusPage({ ...base, state: "off", strings: [], phases: [] }));
});

// The real captures, rendered from the values a person reads on them: the same bytes, down to the layout quirks.

const OFF_83 = { model: "8.3", language: "de", name: "piko", rs485Address: 255 } as const;
const CAPTURES: Array<{ file: string; values: PageValues; normalise: (html: string) => string }> = [
  {
    file: "piko8.3-2string-3phase-de-off.html",
    values: {
      ...OFF_83,
      state: "off",
      acPowerW: 0,
      energyTotalKwh: 69425,
      energyTodayKwh: 15.19,
      strings: [],
      phases: [],
    },
    normalise: (html) => html,
  },
  {
    file: "piko8.3-2string-3phase-de-running-lowpower.html",
    values: {
      ...OFF_83,
      state: "feeding",
      acPowerW: 284,
      energyTotalKwh: 69424,
      energyTodayKwh: 14.68,
      strings: [
        { voltageV: 435, currentA: 0.38 },
        { voltageV: 445, currentA: 0.42 },
      ],
      phases: [
        { voltageV: 220, powerW: 0 },
        { voltageV: 221, powerW: 0 },
        { voltageV: 222, powerW: 284 },
      ],
    },
    // The test file that held it added one more newline after the page.
    normalise: (html) => `${html}\n`,
  },
  {
    file: "piko8.3-2string-3phase-de-zero-power.html",
    values: {
      ...OFF_83,
      state: "idle",
      acPowerW: 0,
      energyTotalKwh: 69425,
      energyTodayKwh: 0,
      strings: [
        { voltageV: 144, currentA: 0.02 },
        { voltageV: 244, currentA: 0.01 },
      ],
      phases: [
        { voltageV: 223, powerW: 0 },
        { voltageV: 223, powerW: 0 },
        { voltageV: 223, powerW: 0 },
      ],
    },
    normalise: (html) => html,
  },
  {
    file: "piko5.5-3string-3phase-de-running-lowpower.html",
    values: {
      model: "5.5",
      language: "de",
      name: "Namenlos",
      rs485Address: 255,
      state: "feeding",
      acPowerW: 112,
      energyTotalKwh: 9290,
      energyTodayKwh: 19.83,
      strings: [
        { voltageV: 384, currentA: 0.2 },
        { voltageV: 278, currentA: 0.21 },
        { voltageV: 0, currentA: 0 },
      ],
      phases: [
        { voltageV: 230, powerW: 0 },
        { voltageV: 232, powerW: 112 },
        { voltageV: 230, powerW: 0 },
      ],
    },
    // Its last line lost the CR.
    normalise: (html) => html.replace(/\r\n$/, "\n"),
  },
  {
    file: "piko3.6-2string-1phase-en-running.html",
    values: {
      model: "3.6",
      language: "en",
      name: "VS7",
      rs485Address: 255,
      state: "feeding",
      acPowerW: 2336,
      energyTotalKwh: 33523,
      energyTodayKwh: 11.71,
      strings: [
        { voltageV: 338, currentA: 3.88 },
        { voltageV: 336, currentA: 3.97 },
      ],
      phases: [{ voltageV: 236, powerW: 2336 }],
    },
    // Saved with LF line ends.
    normalise: (html) => html.replace(/\r\n/g, "\n"),
  },
  {
    file: "piko5.5-3string-3phase-nl-running-clipboardcopy.html",
    values: {
      model: "5.5",
      language: "nl",
      name: "PV",
      rs485Address: 255,
      state: "feeding",
      acPowerW: 3126,
      energyTotalKwh: 41801,
      energyTodayKwh: 13.46,
      strings: [
        { voltageV: 275, currentA: 6.27 },
        { voltageV: 247, currentA: 6.47 },
        { voltageV: 0, currentA: 0 },
      ],
      phases: [
        { voltageV: 247, powerW: 1032 },
        { voltageV: 241, powerW: 1027 },
        { voltageV: 246, powerW: 1069 },
      ],
    },
    // Copied from a browser: wrapped in a fragment, no DOCTYPE, LF, links rewritten, no final newline.
    normalise: (html) =>
      "<html>\n<body>\n<!--StartFragment-->\n" +
      html
        .replace(/\r\n/g, "\n")
        .replace(/^<!DOCtype[^\n]*\n/, "")
        .replace(/(src|href)="([^"]+)"/g, '$1="[$2](http://192.168.0.40/$2)"')
        .replace(/\n$/, ""),
  },
];

for (const { file, values, normalise } of CAPTURES) {
  test(`renders the same bytes as the real capture ${file}`, capturesTestOptions(), () => {
    const rendered = normalise(renderStatusPage(values).toString("latin1"));
    assert.equal(rendered, readCapture(file));
  });
}
