import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { PageFormat } from "../../modules/kostal2mqtt/src/piko/errors.js";
import {
  HISTORY_FIELDS,
  type HistoryEntry,
} from "../../modules/kostal2mqtt/src/piko/logdaten/historyFields.js";
import { serialiseHistoryEntry } from "../../modules/kostal2mqtt/src/piko/logdaten/historyJson.js";
import { parseLogDaten } from "../../modules/kostal2mqtt/src/piko/logdaten/logDatenParser.js";
import { fullRow, LOGDATEN_COLUMNS, logDatenFile as file } from "../support/logDatenFile.js";
import { repoPath } from "../support/paths.js";
import { folderTestOptions, readFolder } from "../support/protocolCaptures.js";

/**
 * The LogDaten.dat reader over the one real capture (an excerpt, its last row cut off: SOURCES.md), with the
 * values a person reads in the file written out by hand, then made-up files for events and malformed rows.
 */

const CAPTURE = "piko10.1-logdaten-excerpt-from-notebook-markdown-truncated.txt";
const DOWNLOADED = Date.parse("2022-02-09T12:00:00.123Z");
const AKT_ZEIT = 294137991;

function rows(entries: HistoryEntry[]) {
  return entries.filter((entry) => entry.kind === "row");
}

test(
  "the real capture: header, 5 rows with their true times, amperes, absent columns null, the cut row dropped",
  folderTestOptions("piko-logdaten"),
  () => {
    const text = readFolder("piko-logdaten").find((file) => file.name === CAPTURE)!.text;
    const { header, entries, warnings } = parseLogDaten(text, DOWNLOADED);
    assert.deepEqual(header, { inverterNumber: 200, name: "WR", deviceSeconds: AKT_ZEIT });
    assert.equal(entries.length, 5);
    assert.deepEqual(
      entries.map((entry) => entry.deviceSeconds),
      [259408372, 259409272, 259410172, 259411072, 259411972],
    );
    // download time - akt. Zeit + Zeit, to the millisecond.
    assert.equal(entries[0]!.time, new Date(DOWNLOADED - (AKT_ZEIT - 259408372) * 1000).toISOString());
    assert.equal(entries[0]!.time, "2021-01-03T12:53:01.123Z");
    assert.equal(entries[1]!.time, "2021-01-03T13:08:01.123Z");
    const first = rows(entries)[0]!.values;
    assert.deepEqual(
      { ...first },
      {
        dc1_voltage_v: 612,
        dc1_current_a: 1.1,
        dc1_power_w: 681,
        dc2_voltage_v: 0,
        dc2_current_a: 0.02,
        dc2_power_w: 0,
        dc3_voltage_v: 573,
        dc3_current_a: 0.96,
        dc3_power_w: 556,
        l1_voltage_v: 230,
        l1_current_a: 1.24,
        l1_power_w: 272,
        l2_voltage_v: 229,
        l2_current_a: 2.1,
        l2_power_w: 451,
        l3_voltage_v: 228,
        l3_current_a: 2.01,
        l3_power_w: 431,
        grid_frequency_hz: 50,
        ac_status: 60,
        error_code: 0,
        ens_status: 3,
        ens_error_code: 0,
        // The rows stop before these columns: the device was not on the grid's totals then, never 0.
        energy_total_kwh: null,
        insulation_resistance_kohm: null,
      },
    );
    assert.equal(rows(entries)[4]!.values["l1_current_a"], 0);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /line 15: dropped, the file ends in the middle of this row/);
  },
);

test("a row on the grid carries total E and Iso R; the misspelt title and CRLF are read", () => {
  const { header, entries, warnings } = parseLogDaten(
    file([fullRow(999100, { "total E": "39116", "Iso R": "6500", "AC1 I": "2500" })]),
    1_700_000_000_000,
  );
  assert.deepEqual(warnings, []);
  assert.deepEqual(header, { inverterNumber: 255, name: "piko", deviceSeconds: 1_000_000 });
  const row = rows(entries)[0]!;
  assert.equal(row.time, new Date(1_700_000_000_000 - 900_000).toISOString());
  assert.equal(row.values["energy_total_kwh"], 39116);
  assert.equal(row.values["insulation_resistance_kohm"], 6500);
  assert.equal(row.values["l1_current_a"], 2.5);
});

test("columns are found by the header's names, not by position", () => {
  const swapped = [...LOGDATEN_COLUMNS];
  [swapped[1], swapped[2]] = [swapped[2]!, swapped[1]!]; // DC1 I before DC1 U
  const line = fullRow(999100, { "DC1 U": "700", "DC1 I": "300" }); // cells in COLUMNS order: 700 then 300
  const { entries } = parseLogDaten(file([line], swapped), 0);
  assert.equal(rows(entries)[0]!.values["dc1_current_a"], 0.7);
  assert.equal(rows(entries)[0]!.values["dc1_voltage_v"], 300);
});

test("event rows become events in time order; POR in the event column or alone", () => {
  const text = file([fullRow(999000), `    999500\tPOR`, `${fullRow(999900)}\tPOR`]);
  const { entries, warnings } = parseLogDaten(text, 0);
  assert.deepEqual(warnings, []);
  assert.deepEqual(
    entries.map((entry) => [entry.kind, entry.deviceSeconds, entry.kind === "event" ? entry.event : null]),
    [
      ["row", 999000, null],
      ["event", 999500, "POR"],
      ["event", 999900, "POR"],
    ],
  );
});

test("malformed rows and cells are typed warnings, never a crash or a made-up value", () => {
  const text = file([
    fullRow(999000, { "DC1 U": "x12", "AC F": "99.0", Err: "-1" }),
    "garbage without tabs",
    "  12ab\t1\t2",
    fullRow(2_000_000),
    `${fullRow(999100)}\t\t1\t2\t3\t4`,
    fullRow(999200),
    fullRow(999200, { "DC1 U": "1" }),
  ]);
  const { entries, warnings } = parseLogDaten(text, 0);
  assert.deepEqual(
    entries.map((entry) => entry.deviceSeconds),
    [999000, 999200],
  );
  const first = rows(entries)[0]!.values;
  assert.equal(first["dc1_voltage_v"], null);
  assert.equal(first["grid_frequency_hz"], null);
  assert.equal(first["error_code"], null);
  assert.equal(first["dc1_power_w"], 10);
  assert.equal(rows(entries)[1]!.values["dc1_voltage_v"], 10, "the first row of a repeated time is kept");
  assert.equal(warnings.length, 8, warnings.join("\n"));
  for (const pattern of [
    /DC1 U: 'x12' is not a number/,
    /AC F: 99 is outside 40 .. 70 Hz/,
    /Err: '-1' is not a status code/,
    /'garbage without tabs' is not a whole number/,
    /'12ab' is not a whole number/,
    /2000000 s is after the file's 'akt. Zeit'/,
    /46 cells for 42 columns/,
    /a second row for device time 999200 s/,
  ]) {
    assert.ok(
      warnings.some((w) => pattern.test(w)),
      `${pattern} in ${warnings.join("\n")}`,
    );
  }
});

test("text that is not a LogDaten.dat is a PageFormat naming what is missing", () => {
  assert.throws(() => parseLogDaten("<html>nope</html>", 0), PageFormat);
  assert.throws(() => parseLogDaten(file([]).replace(/akt\. Zeit.*\r\n/, ""), 0), /'akt\. Zeit:'/);
  assert.throws(() => parseLogDaten(file([]).replace(/Zeit\tDC1.*\r\n/, ""), 0), /column header line/);
  assert.deepEqual(parseLogDaten(file([]), 0).entries, []);
});

test("history entries as JSON lines: measurements with a decimal point, codes as integers, nulls kept", () => {
  const { entries } = parseLogDaten(
    file([fullRow(999100), "    999200\tPOR"]),
    Date.parse("2024-06-21T12:00:00Z"),
  );
  const row = JSON.parse(serialiseHistoryEntry(entries[0]!, "piko")) as Record<string, unknown>;
  assert.deepEqual(Object.keys(row), [
    "kind",
    "inverter",
    "time",
    "device_seconds",
    ...HISTORY_FIELDS.map((f) => f.key),
  ]);
  assert.equal(row["time"], "2024-06-21T11:45:00.000Z");
  const line = serialiseHistoryEntry(entries[0]!);
  assert.match(line, /"dc1_voltage_v":10\.0,/);
  assert.match(line, /"ac_status":10,/);
  assert.match(line, /"energy_total_kwh":10\.0/);
  assert.equal(
    serialiseHistoryEntry(entries[1]!),
    '{"kind":"event","time":"2024-06-21T11:46:40.000Z","device_seconds":999200,"event":"POR"}',
  );
});

test("the README's History backfill section names every history field", () => {
  const readme = readFileSync(repoPath("README.md"), "utf8");
  const section = readme.slice(
    readme.indexOf("## History backfill"),
    readme.indexOf("## The PIKO simulator"),
  );
  const named = (key: string) => section.includes(`\`${key}\``) || /^(dc|l)[23]_/.test(key);
  assert.deepEqual(
    HISTORY_FIELDS.map((f) => f.key).filter((key) => !named(key)),
    [],
  );
});

test("a filter reads only the entries it wants; the others are passed over unread, without warnings", () => {
  const text = file([fullRow(998200, { "DC1 U": "bad" }), fullRow(999100), "    999150\tPOR"]);
  const seen: Array<[number, number, number]> = [];
  const { entries, warnings } = parseLogDaten(text, 1_000_000_000, (deviceSeconds, timeMs, header) => {
    seen.push([deviceSeconds, timeMs, header.deviceSeconds]);
    return deviceSeconds > 998200;
  });
  assert.deepEqual(
    entries.map((e) => e.deviceSeconds),
    [999100, 999150],
  );
  assert.deepEqual(warnings, []);
  assert.deepEqual(seen[0], [998200, 1_000_000_000 - 1800 * 1000, 1_000_000]);
});
