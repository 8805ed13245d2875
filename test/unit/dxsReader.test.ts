import assert from "node:assert/strict";
import { test } from "node:test";
import { parseDxsAnswer } from "../../modules/kostal2mqtt/src/piko/dxs/dxsAnswer.js";
import { DXS_FIELD_IDS, READING_IDS } from "../../modules/kostal2mqtt/src/piko/dxs/dxsIds.js";
import { defaultDxsInverterId, readDxsAnswers } from "../../modules/kostal2mqtt/src/piko/dxs/dxsReader.js";
import { MAX_IDS_PER_REQUEST, planDxsRequests } from "../../modules/kostal2mqtt/src/piko/dxs/dxsRequests.js";
import { PageFormat } from "../../modules/kostal2mqtt/src/piko/errors.js";
import { DEVICE_FIELDS, type MeasurementKey } from "../../modules/kostal2mqtt/src/reading/fields.js";
import { toReading } from "../../modules/kostal2mqtt/src/reading/reading.js";
import { STATUS_CODES } from "../../modules/kostal2mqtt/src/reading/status.js";
import { folderTestOptions, readFolder } from "../support/protocolCaptures.js";

/**
 * The dxs.json reader over every real answer in the shared `piko-dxs/` folder, with what a person reads in each
 * file written out by hand (not from the reader's output), then edge cases. The fuzz is in dxsFuzz.test.ts.
 */

interface Expected {
  /** The ids the request asked for, as far as SOURCES.md knows them; unanswered ones are named. */
  asked?: number[];
  status: keyof typeof STATUS_CODES;
  values: Partial<Record<MeasurementKey, number | null>>;
  unanswered?: number[];
  warnings?: number;
}

const zeros = (keys: string[]) => Object.fromEntries(keys.map((key) => [key, 0]));
const ZERO_DC = zeros([1, 2, 3].flatMap((i) => [`dc${i}_voltage_v`, `dc${i}_current_a`, `dc${i}_power_w`]));
const ZERO_PHASES = zeros([1, 2, 3].flatMap((i) => [`l${i}_voltage_v`, `l${i}_power_w`, `l${i}_current_a`]));

const EXPECTED: Record<string, Expected> = {
  // Daily statistics before sunrise: today's yield, home and self consumption (Wh on the device); 251659278/279
  // are no reading fields.
  "piko3.0-ui6-day-stats-early-morning-zero.json": {
    status: "unknown",
    values: { self_consumption_today_kwh: 0, energy_today_kwh: 0, home_consumption_today_kwh: 0 },
  },
  // 20 ids asked, 19 answered: 67110144 (limitation) is unknown to this PIKO 3.0, so status.code is 1.
  "piko3.0-ui6-live1-evening-off-19entries-status1.json": {
    asked: [
      33556736, 67109120, 33555203, 33555201, 33555202, 33555459, 33555457, 33555458, 33555715, 33555713,
      33555714, 83888128, 83887872, 16780032, 33556226, 33556227, 33556229, 33556238, 33556230, 67110144,
    ],
    status: "off",
    // A PIKO 3.0 has no battery and no meter, yet answers their ids with 0, which is read as it is.
    values: {
      ac_power_w: 0,
      dc_power_w: 0,
      ...ZERO_DC,
      self_consumption_w: 0,
      home_consumption_w: 0,
      battery_voltage_v: 0,
      battery_temperature_c: 0,
      battery_soc_pct: 0,
      battery_current_a: 0,
    },
    unanswered: [67110144],
    warnings: 1,
  },
  "piko3.0-ui6-live2-evening-off-grid-phases.json": {
    status: "unknown",
    values: ZERO_PHASES,
  },
  // A single-phase device answers null for L2/L3 voltage (and 0 for their current and power): those phases are
  // absent, as on the old page of a single-phase model, without a warning.
  "piko3.0-ui6-live2-morning-1phase-null-L2L3-voltage.json": {
    status: "unknown",
    values: { l1_current_a: 0, l1_voltage_v: 222.88942, l1_power_w: 0 },
  },
  // The garbage floats (4.17e32, 5.64e31) of the self and home consumption totals (no meter fitted) are null,
  // each with a warning; the total yield is real.
  "piko3.0-ui6-total-stats-garbage-floats-no-sensor.json": {
    status: "unknown",
    values: {
      self_consumption_total_kwh: null,
      energy_total_kwh: 23183.013672,
      home_consumption_total_kwh: null,
    },
    warnings: 2,
  },
  "piko4.6-3phase-2string-running-8ids.json": {
    status: "unknown",
    values: {
      energy_total_kwh: 41731.171875,
      ac_power_w: 2222.075928,
      dc_power_w: 2390.199707,
      dc1_power_w: 1106.056152,
      dc2_power_w: 1284.143555,
      l1_power_w: 744.989014,
      l2_power_w: 741.761047,
      l3_power_w: 735.325867,
    },
  },
};

test("every real dxs.json answer reads as written out by hand", folderTestOptions("piko-dxs"), () => {
  const files = readFolder("piko-dxs");
  assert.deepEqual(
    files.map((f) => f.name),
    Object.keys(EXPECTED).sort(),
    "every capture has its expectation",
  );
  for (const { name, text } of files) {
    const expected = EXPECTED[name]!;
    const content = readDxsAnswers([text], expected.asked);
    assert.deepEqual(Object.fromEntries(content.values), expected.values, name);
    assert.deepEqual(content.unanswered, expected.unanswered ?? [], name);
    assert.equal(content.warnings.length, expected.warnings ?? 0, `${name}: ${content.warnings.join("; ")}`);
    assert.deepEqual(content.identity, {}, `${name}: no capture asks for identity`);
    const reading = toReading(content, defaultDxsInverterId(content.identity), 0);
    assert.equal(reading.status, expected.status, name);
    assert.equal(reading.status_code, STATUS_CODES[expected.status], name);
    assert.equal(reading.model, "PIKO", name);
    assert.equal(reading.inverter, "piko", name);
    // Fields the answer did not carry are absent, never 0; the whole-device values every reading has are null.
    for (const { key } of DXS_FIELD_IDS) {
      if (key in expected.values) continue;
      if (DEVICE_FIELDS.some((field) => field.key === key))
        assert.equal(reading[key], null, `${name}: ${key}`);
      else assert.ok(!(key in reading), `${name}: ${key}`);
    }
  }
});

const answer = (entries: Array<[number, unknown]>, code = 0) =>
  JSON.stringify({
    dxsEntries: entries.map(([dxsId, value]) => ({ dxsId, value })),
    session: { sessionId: 0, roleId: 0 },
    status: { code },
  });

test("every status code reads as the same code of the reading", () => {
  for (const [status, code] of Object.entries(STATUS_CODES)) {
    if (code < 0) continue;
    const reading = toReading(readDxsAnswers([answer([[16780032, code]])]), "x", 0);
    assert.deepEqual([reading.status, reading.status_code], [status, code]);
  }
  for (const odd of [9, -1, 3.5, "3", true]) {
    const content = readDxsAnswers([answer([[16780032, odd]])]);
    assert.equal(toReading(content, "x", 0).status, "unknown", String(odd));
    assert.equal(content.warnings.length, 1, String(odd));
  }
  assert.equal(toReading(readDxsAnswers([answer([[16780032, null]])]), "x", 0).status, "unknown");
  assert.equal(toReading(readDxsAnswers([answer([[16780032, "mpp"]])]), "x", 0).status, "unknown");
});

test("today's yield is Wh on the device and kWh in the reading", () => {
  assert.equal(readDxsAnswers([answer([[251658754, 1234]])]).values.get("energy_today_kwh"), 1.234);
  assert.equal(readDxsAnswers([answer([[251658754, 11710.5]])]).values.get("energy_today_kwh"), 11.7105);
});

test("absurd values are null with a warning; null stays null without one", () => {
  for (const [id, raw] of [
    [251658753, 417002191257096639678983887126528],
    [251658753, -1],
    [251658754, -0.5],
    [67109120, 1e9],
    [33555202, -3],
    [67109120, "2222"],
    [67109120, true],
    [67109120, { a: 1 }],
    [67109120, [1]],
  ] as Array<[number, unknown]>) {
    const content = readDxsAnswers([answer([[id, raw]])]);
    assert.deepEqual([...content.values.values()], [null], JSON.stringify(raw));
    assert.equal(content.warnings.length, 1, JSON.stringify(raw));
  }
  for (const word of ["nan", "-nan", "NaN", "inf", "-inf", "Infinity"]) {
    const text = `{"dxsEntries":[{"dxsId":67109120,"value":${word}}],"status":{"code":0}}`;
    const content = readDxsAnswers([text]);
    assert.equal(content.values.get("ac_power_w"), null, word);
    assert.match(content.warnings.join(), /not a number/, word);
  }
  const nulls = readDxsAnswers([answer([[67109120, null]])]);
  assert.deepEqual([nulls.values.get("ac_power_w"), nulls.warnings], [null, []]);
});

test("entries are matched by dxsId, never by position; unknown ids and odd entries are left out", () => {
  const content = readDxsAnswers([
    `{"dxsEntries":[{"dxsId":1,"value":5},{"value":3},7,{"dxsId":67109379,"value":700},{"dxsId":67109120,"value":800},` +
      `{"dxsId":67109120,"value":1},{"dxsId":67109378}],"status":{"code":1}}`,
  ]);
  assert.deepEqual(Object.fromEntries(content.values), { l1_power_w: 700, ac_power_w: 800 });
  assert.equal(content.warnings.length, 4, content.warnings.join("; "));
});

test("the answers of several requests make one content; identity goes into the header", () => {
  const [first, second] = [
    answer([
      [16777728, "90345ABC1234"],
      [16777984, "Dach Süd"],
      [16779265, "05.50"],
      [16780544, "PIKO 4.6"],
    ]),
    answer([
      [16780032, 3],
      [67109120, 2222.5],
    ]),
  ];
  const content = readDxsAnswers([first, second]);
  assert.deepEqual(content.identity, {
    serial: "90345ABC1234",
    name: "Dach Süd",
    firmware: "05.50",
    type: "PIKO 4.6",
  });
  const reading = toReading(content, defaultDxsInverterId(content.identity), 1_000);
  assert.deepEqual(
    [reading.inverter, reading.model, reading.name, reading.status],
    ["90345abc1234", "PIKO 4.6", "Dach Süd", "feeding_mpp"],
  );
  assert.equal(defaultDxsInverterId({ name: "Dach Süd" }), "dach_s_d");
  assert.equal(defaultDxsInverterId({}), "piko");
  // A numeric type code is not a model name.
  assert.equal(readDxsAnswers([answer([[16780544, 12]])]).model, "PIKO");
});

test("what is not a dxs.json answer is PageFormat with a clear message", () => {
  for (const [text, message] of [
    ["", /found an empty body/],
    ["<html></html>", /expected a dxs.json answer \(JSON\)/],
    ['{"dxsEntries":[{"dxsId":67109120,"value":1}', /expected a dxs.json answer \(JSON\)/],
    ["[]", /'dxsEntries' list/],
    ['{"dxsEntries":{}}', /'dxsEntries' list/],
    ['{"dxsEntries":[]}', /found 0 entries/],
    [answer([[1, 2]]), /found 1 entries of ids the reader does not know/],
  ] as const) {
    assert.throws(
      () => readDxsAnswers([text]),
      (e: unknown) => e instanceof PageFormat && message.test(e.message),
    );
  }
  assert.ok(parseDxsAnswer('{"dxsEntries":[]}').statusCode === null);
});

test("requests ask for at most 25 ids each, every id once, in order", () => {
  assert.deepEqual(planDxsRequests([]), []);
  assert.deepEqual(planDxsRequests([1, 2, 1]), ["/api/dxs.json?dxsEntries=1&dxsEntries=2"]);
  const ids = Array.from({ length: 51 }, (_, i) => 1000 + i);
  const paths = planDxsRequests(ids);
  assert.deepEqual(
    paths.map((p) => p.split("&").length),
    [MAX_IDS_PER_REQUEST, MAX_IDS_PER_REQUEST, 1],
  );
  assert.deepEqual(
    paths.flatMap((p) => [...new URLSearchParams(p.split("?")[1]).getAll("dxsEntries")].map(Number)),
    ids,
  );
  assert.equal(
    planDxsRequests(READING_IDS).length,
    Math.ceil(new Set(READING_IDS).size / MAX_IDS_PER_REQUEST),
  );
  assert.throws(() => planDxsRequests([1.5]), RangeError);
  assert.throws(() => planDxsRequests([1], 0), RangeError);
});
