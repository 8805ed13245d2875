import assert from "node:assert/strict";
import { test } from "node:test";
import { legacyPayload } from "../../modules/kostal2mqtt/src/outputs/mqtt/mqttTopics.js";
import { parseStatusPage } from "../../modules/kostal2mqtt/src/piko/statusPage.js";
import type { MeasurementKey } from "../../modules/kostal2mqtt/src/reading/fields.js";
import { toReading, type Reading } from "../../modules/kostal2mqtt/src/reading/reading.js";
import { capturesTestOptions, readCapture } from "../support/fixtures.js";

/**
 * The original kostal2mqtt's document on `<base>` (consumers.md): its layout byte for byte, and `STATE` taken from
 * the classified status, so that the flag means the same for the German, English and Dutch UI.
 */

const fixtureOptions = capturesTestOptions();

interface LegacyState {
  string: string;
  binary: number | null;
  flag: number;
  debug: string;
}

function readingOf(capture: string): Reading {
  return toReading(parseStatusPage(readCapture(capture)), "x", 0);
}

function stateOf(reading: Reading): LegacyState {
  return (JSON.parse(legacyPayload(reading)) as { PIKO: { STATE: LegacyState } }).PIKO.STATE;
}

function readingWithStatus(statusText: string): Reading {
  const page = {
    model: "PIKO 8.3",
    name: "Dach",
    rs485Address: 255,
    statusText,
    values: new Map<MeasurementKey, number | null>([
      ["ac_power_w", 0],
      ["energy_total_kwh", 1000],
      ["energy_today_kwh", 1.5],
    ]),
    warnings: [],
  };
  return toReading(page, "x", 0);
}

test(
  "feeding is flag 3 in every UI language: 'supply MPP' (en) and 'toevoer MPP' (nl) as 'Einspeisen MPP' (de)",
  fixtureOptions,
  () => {
    const captures: Array<[string, string]> = [
      ["piko3.6-2string-1phase-en-running.html", "supply MPP"],
      ["piko5.5-3string-3phase-nl-running-clipboardcopy.html", "toevoer MPP"],
      ["piko5.5-3string-3phase-de-running-lowpower.html", "Einspeisen MPP"],
    ];
    for (const [capture, text] of captures) {
      assert.deepEqual(
        stateOf(readingOf(capture)),
        { string: text, binary: 1, flag: 3, debug: "OK" },
        capture,
      );
    }
    assert.deepEqual(stateOf(readingOf("piko8.3-2string-3phase-de-off.html")), {
      string: "Aus",
      binary: 0,
      flag: 1,
      debug: "OK",
    });
  },
);

test("STATE.flag: 1 off, 2 idle, 3 feeding, 0 anything else, whatever the language of the status text", () => {
  const cases: Array<[string, number, number | null]> = [
    ["Aus", 1, 0],
    ["off", 1, 0],
    ["uit", 1, 0],
    ["Leerlauf", 2, 0],
    ["idle", 2, 0],
    ["Einspeisen", 3, 1],
    ["Einspeisen abgeregelt", 3, 1],
    ["supply MPP", 3, 1],
    ["toevoer MPP", 3, 1],
    ["Anfahren", 0, null],
    ["Isolationsmessung", 0, null],
    ["Fehler 3107", 0, null],
    ["", 0, null],
  ];
  for (const [text, flag, binary] of cases) {
    assert.deepEqual(stateOf(readingWithStatus(text)), { string: text, binary, flag, debug: "OK" }, text);
  }
  // The reading published when an inverter stops answering at night is off, whatever its text says.
  const asleep: Reading = { ...readingWithStatus("Aus"), status_text: "asleep (not answering)" };
  assert.equal(stateOf(asleep).flag, 1);
});

test(
  "the document keeps the original's layout: key order, every slot (null when absent), floats",
  fixtureOptions,
  () => {
    assert.equal(
      legacyPayload(readingOf("piko5.5-3string-3phase-de-running-lowpower.html")),
      '{"PIKO":{"ENERGY":{"actual":112.0,"total":9290.0,"daily":19.83},"IN":{"STRING1":{"voltage":384.0,' +
        '"current":0.2,"state":1},"STRING2":{"voltage":278.0,"current":0.21,"state":1},"STRING3":{"voltage":0.0,' +
        '"current":0.0,"state":0}},"OUT":{"PHASE1":{"voltage":230.0,"power":0.0,"state":0},"PHASE2":{"voltage":232.0,' +
        '"power":112.0,"state":1},"PHASE3":{"voltage":230.0,"power":0.0,"state":0}},' +
        '"STATE":{"string":"Einspeisen MPP","binary":1,"flag":3,"debug":"OK"}}}',
    );
    assert.equal(
      legacyPayload(readingOf("piko8.3-2string-3phase-de-off.html")),
      '{"PIKO":{"ENERGY":{"actual":0.0,"total":69425.0,"daily":15.19},"IN":{"STRING1":{"voltage":0.0,"current":0.0,' +
        '"state":0},"STRING2":{"voltage":0.0,"current":0.0,"state":0},"STRING3":{"voltage":null,"current":null,' +
        '"state":null}},"OUT":{"PHASE1":{"voltage":0.0,"power":0.0,"state":0},"PHASE2":{"voltage":0.0,"power":0.0,' +
        '"state":0},"PHASE3":{"voltage":0.0,"power":0.0,"state":0}},' +
        '"STATE":{"string":"Aus","binary":0,"flag":1,"debug":"OK"}}}',
    );
    const unreadable: Reading = {
      ...readingWithStatus('Fehler "3"'),
      dc1_voltage_v: 300,
      dc1_current_a: null,
    };
    assert.match(legacyPayload(unreadable), /"STRING1":\{"voltage":300\.0,"current":null,"state":null\}/);
    assert.match(legacyPayload(unreadable), /"string":"Fehler \\"3\\""/);
  },
);
