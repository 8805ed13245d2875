import assert from "node:assert/strict";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { PageFormat } from "../../modules/kostal2mqtt/src/piko/errors.js";
import { parseStatusPage, type StatusPage } from "../../modules/kostal2mqtt/src/piko/statusPage.js";
import type { MeasurementKey } from "../../modules/kostal2mqtt/src/reading/fields.js";
import { toReading } from "../../modules/kostal2mqtt/src/reading/reading.js";
import { serialiseReading } from "../../modules/kostal2mqtt/src/reading/serialise.js";
import { capturesTestOptions, readCapture } from "../support/fixtures.js";
import { Prng } from "../support/prng.js";

/**
 * What the page reader does with what is not a status page (a typed PageFormat that says what was expected and
 * what was found), with a single unreadable cell (that field null with a warning, the rest intact), and with
 * the off placeholders (`x x x`: 0 for an instantaneous value, never 0 for a counter).
 */

/** German, CRLF, feeding: 2 strings, 3 phases. */
const RUNNING_DE = "piko8.3-2string-3phase-de-running-lowpower.html";
/** English, LF only: 2 strings, 1 phase. */
const RUNNING_EN = "piko3.6-2string-1phase-en-running.html";
const OFF_DE = "piko8.3-2string-3phase-de-off.html";
const fixtureOptions = capturesTestOptions();

/** Asserts a PageFormat error whose message matches `message`, and that the message is printable ASCII. */
function assertPageFormat(html: string, message: RegExp, label = ""): void {
  assert.throws(
    () => parseStatusPage(html),
    (error: unknown) => {
      assert.ok(error instanceof PageFormat, `${label}: expected PageFormat, got ${String(error)}`);
      assert.equal(error.kind, "format");
      assert.equal(error.name, "PageFormat");
      assert.match(error.message, /expected/, `${label}: says what was expected`);
      assert.match(error.message, message, label);
      // A page is untrusted input: what it shows in the message must not inject control sequences into logs.
      assert.match(error.message, /^[\x20-\x7e]*$/, `${label}: printable message`);
      return true;
    },
  );
}

/** Replaces the only occurrence of `search`; fails if there is none or more than one. */
function replaceOnce(html: string, search: string | RegExp, replacement: string): string {
  const pattern = typeof search === "string" ? search : new RegExp(search.source, search.flags + "g");
  const count =
    typeof pattern === "string" ? html.split(pattern).length - 1 : [...html.matchAll(pattern)].length;
  assert.equal(count, 1, `exactly one ${String(search)} in the page`);
  return html.replace(search, replacement);
}

const VALUE_CELL = /(<td[^>]*bgcolor="#FFFFFF"[^>]*>)([^<]*)(<\/td>)/g;

/** Sets the text of the n-th used value cell (document order, piko.md: 0 AC power, 1 total, 2 daily, ...). */
function setValueCell(html: string, n: number, text: string): string {
  let seen = -1;
  const result = html.replace(VALUE_CELL, (whole, open: string, old: string, close: string) => {
    seen++;
    return seen === n ? `${open}${old.replace(/\S.*$/s, "")}${text}${close}` : whole;
  });
  assert.ok(seen >= n, `the page has a value cell ${n}`);
  return result;
}

/** The page's values without `keys`. */
function valuesWithout(page: StatusPage, ...keys: MeasurementKey[]): Record<string, number | null> {
  return Object.fromEntries([...page.values].filter(([key]) => !keys.includes(key)));
}

test("an empty or blank body is a PageFormat error", () => {
  for (const body of ["", " ", "\r\n\r\n", "\t \n"]) {
    assertPageFormat(body, /ending in <\/html>, found an empty body$/, JSON.stringify(body));
  }
});

test("a login, error or other device's page is a PageFormat error naming what it found", () => {
  const header = /expected the model header 'PIKO <model> <name> \(<RS485 address>\)' in a table, found /;
  const pages: Array<[string, string, RegExp]> = [
    [
      "401 page",
      "<html><head><title>401 Unauthorized</title></head><body><h1>Unauthorized</h1></body></html>\r\n",
      new RegExp(header.source + "'no table text at all'"),
    ],
    [
      "login form",
      '<!DOCTYPE html><html><body><form method="post"><table><tr><td>User name</td><td><input name="u">' +
        '</td></tr><tr><td>Password</td><td><input type="password"></td></tr></table></form></body></html>',
      new RegExp(header.source + "'User name'"),
    ],
    [
      "router error page",
      "<html><body><table><tr><td>  Error&nbsp;503:\r\n Service  Unavailable </td></tr></table></body></html>",
      new RegExp(header.source + "'Error 503: Service Unavailable'"),
    ],
    [
      "web UI >= 6 (single-page app)",
      '<!DOCTYPE html><html><head><script src="/app.js"></script></head><body><div id="app"></div></body></html>',
      new RegExp(header.source + "'no table text at all'"),
    ],
    [
      "a header without an RS485 address",
      "<html><body><table><tr><td>PIKO 8.3</td><td>Solarkraftwerk</td></tr></table></body></html>",
      new RegExp(header.source + "'PIKO 8.3'"),
    ],
  ];
  for (const [label, html, message] of pages) assertPageFormat(html, message, label);
});

test("JSON (the dxs API of newer PIKOs) is a PageFormat error that shows the end of what came", () => {
  const dxs =
    '{"dxsEntries":[{"dxsId":67109120,"value":2336.5}],"session":{"sessionId":0,"roleId":0},"status":{"code":0}}';
  assertPageFormat(
    dxs,
    /expected a whole PIKO status page ending in <\/html>, found '\.\.\..*"code":0\}\}'$/,
  );
  assertPageFormat('{"html":"</html>"}', /ending in <\/html>, found '\.\.\.\{"html":"<\/html>"\}'$/);
});

test("random bytes are a PageFormat error with a printable message, with or without a page end", () => {
  const rng = new Prng(20260601);
  for (let i = 0; i < 40; i++) {
    const bytes = Buffer.from(Array.from({ length: rng.between(1, 4000) }, () => rng.int(256)));
    const text = bytes.toString("latin1");
    assertPageFormat(text, /ending in <\/html>, found/, `random bytes ${i}`);
    assertPageFormat(`${text}</html>`, /not a PIKO status page|expected/, `random bytes ${i} + </html>`);
  }
});

test("a compressed or UTF-16 body (wrong decoding) is a PageFormat error", fixtureOptions, () => {
  const page = readCapture(RUNNING_DE);
  assertPageFormat(gzipSync(Buffer.from(page, "latin1")).toString("latin1"), /ending in <\/html>, found/);
  assertPageFormat(Buffer.from(page, "utf16le").toString("latin1"), /ending in <\/html>, found/);
});

test("a page cut short anywhere is a PageFormat error that shows where it ends", fixtureOptions, () => {
  for (const file of [RUNNING_DE, RUNNING_EN]) {
    const page = readCapture(file);
    const cuts = [1, 2, 50, 500, 1000, 1500, 2000, 2500, 3000, 3500, 4000, 4500, 5000, 5500, 6000];
    cuts.push(page.indexOf("<td width") + 5, page.lastIndexOf("</html") + 3, page.lastIndexOf("</html") + 6);
    for (const cut of cuts) {
      const text = page.slice(0, cut);
      const tail = text.replace(/\s+/g, " ").trimEnd().slice(-8);
      assertPageFormat(text, /ending in <\/html>, found '\.\.\./, `${file} cut at ${cut}`);
      assert.ok(messageOf(text).includes(tail.trim()), `${file} cut at ${cut}: the message shows '${tail}'`);
    }
  }
});

function messageOf(html: string): string {
  try {
    parseStatusPage(html);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  return "";
}

test(
  "a page without its energy rows, header, status or String/L blocks is a PageFormat error",
  fixtureOptions,
  () => {
    const page = readCapture(RUNNING_DE);
    const energyStart = page.lastIndexOf("<tr>", page.indexOf("aktuell"));
    const energyEnd = page.indexOf("</tr>", page.indexOf("Tagesenergie")) + "</tr>".length;
    assertPageFormat(
      page.slice(0, energyStart) + page.slice(energyEnd),
      /expected the energy values of a PIKO status page, missing ac_power_w, energy_total_kwh, energy_today_kwh$/,
      "no energy rows",
    );
    const dailyStart = page.lastIndexOf("<tr>", page.indexOf("Tagesenergie"));
    assertPageFormat(
      page.slice(0, dailyStart) + page.slice(energyEnd),
      /expected the energy values of a PIKO status page, missing energy_today_kwh$/,
      "no daily energy row",
    );
    assertPageFormat(
      replaceOnce(page, /PIKO 8\.3/, "Wechselrichter"),
      /expected the model header .* found 'Wechselrichter piko \(255\)'$/,
      "no model header",
    );
    assertPageFormat(
      replaceOnce(replaceOnce(page, /Status<\/td>/, "</td>"), /<td colspan="4">/, "<td>"),
      /expected a Status row before the String\/L blocks, found none$/,
      "no status row",
    );
    const blocksStart = page.lastIndexOf("<tr>", page.indexOf("PV-Generator"));
    const blocksEnd = page.indexOf('<tr><td height="15">');
    assertPageFormat(
      page.slice(0, blocksStart) + page.slice(blocksEnd),
      /expected 'String N' and 'LN' headings, found 0 string and 0 phase headings$/,
      "no String/L blocks",
    );
    // Without their headings the blocks' rows look like more energy rows: their W cell is a second AC power.
    assertPageFormat(
      page.replace(/<u>(String \d|L\d)<\/u>/g, "<u> </u>"),
      /expected one value for ac_power_w, found two$|expected 'String N' and 'LN' headings/,
      "no String/L headings",
    );
    assertPageFormat(
      replaceOnce(page, /<u>String 2<\/u>/, "<u>String 1</u>"),
      /expected each String\/L heading once, found 1 twice$/,
      "String 1 twice",
    );
    const rowEnd = page.indexOf("</tr>", page.indexOf("Spannung"));
    assertPageFormat(
      `${page.slice(0, rowEnd)}<td width="70" align="right" bgcolor="#FFFFFF">\r\n  1</td>${page.slice(rowEnd)}`,
      /expected 2 value cells \(string, phase\) in a String\/L row, found 3$/,
      "three value cells in a row",
    );
  },
);

test(
  "one unreadable value cell makes that field null with a warning; the rest is intact",
  fixtureOptions,
  () => {
    const page = readCapture(RUNNING_DE);
    const original = parseStatusPage(page);
    const junk = [
      "69?25",
      "-",
      "1,5",
      "1.2.3",
      "",
      "&nbsp",
      "NaN",
      "Infinity",
      "1e5",
      "0x10",
      "12 kWh",
      ". 5",
    ];
    for (const text of junk) {
      const read = parseStatusPage(setValueCell(page, 1, text));
      assert.equal(read.values.get("energy_total_kwh"), null, `'${text}' reads null, never 0`);
      assert.equal(read.warnings.length, 1, `'${text}': one warning`);
      assert.match(read.warnings[0] ?? "", /^energy_total_kwh: cannot read '.*' as a number$/);
      assert.deepEqual(valuesWithout(read, "energy_total_kwh"), valuesWithout(original, "energy_total_kwh"));
      assert.deepEqual(
        [read.model, read.name, read.rs485Address, read.statusText],
        [original.model, original.name, original.rs485Address, original.statusText],
      );
      const json = serialiseReading(toReading(read, "piko", 0));
      assert.match(json, /"energy_total_kwh":null,/);
      assert.match(json, /"energy_today_kwh":14\.68,/);
    }

    // A string current with a decimal comma: null, not 388 or 3.
    const en = readCapture(RUNNING_EN);
    const read = parseStatusPage(setValueCell(en, 5, "3,88"));
    assert.equal(read.values.get("dc1_current_a"), null);
    assert.deepEqual(read.warnings, ["dc1_current_a: cannot read '3,88' as a number"]);
    assert.deepEqual(
      valuesWithout(read, "dc1_current_a"),
      valuesWithout(parseStatusPage(en), "dc1_current_a"),
    );
  },
);

test("`xxx` and `x x x` read 0 for instantaneous values, without a warning", fixtureOptions, () => {
  const page = readCapture(RUNNING_EN);
  // Cells 0 AC power, 3 String 1 U, 4 L1 U, 5 String 1 I, 6 L1 P (piko.md).
  const cells: Array<[number, MeasurementKey]> = [
    [0, "ac_power_w"],
    [3, "dc1_voltage_v"],
    [4, "l1_voltage_v"],
    [5, "dc1_current_a"],
    [6, "l1_power_w"],
  ];
  for (const placeholder of ["x x x&nbsp", "x x x&nbsp;", "xxx", "XXX", "x x x", "x"]) {
    for (const [cell, key] of cells) {
      const read = parseStatusPage(setValueCell(page, cell, placeholder));
      assert.equal(read.values.get(key), 0, `${key} '${placeholder}'`);
      assert.deepEqual(read.warnings, [], `${key} '${placeholder}'`);
    }
  }
});

test("`xxx` and `x x x` never read 0 for a counter: null with a warning", fixtureOptions, () => {
  for (const file of [RUNNING_DE, OFF_DE]) {
    const page = readCapture(file);
    for (const placeholder of ["x x x&nbsp", "xxx", "X X X"]) {
      const read = parseStatusPage(setValueCell(setValueCell(page, 1, placeholder), 2, placeholder));
      assert.equal(read.values.get("energy_total_kwh"), null, `${file} total '${placeholder}'`);
      assert.equal(read.values.get("energy_today_kwh"), null, `${file} daily '${placeholder}'`);
      assert.deepEqual(read.warnings.length, 2);
      for (const warning of read.warnings)
        assert.match(warning, /the inverter shows '[xX ]+' for a counter$/);
      const json = serialiseReading(toReading(read, "piko", 0));
      assert.match(json, /"energy_today_kwh":null,"energy_total_kwh":null/);
    }
  }
});

test("a number too long for a double reads null with a warning, not Infinity", fixtureOptions, () => {
  // Found by the reader fuzz test. NUMBER accepts any run of digits; Number("9".repeat(309)) is Infinity.
  const read = parseStatusPage(setValueCell(readCapture(RUNNING_DE), 1, "9".repeat(309)));
  assert.equal(read.values.get("energy_total_kwh"), null);
  assert.equal(read.warnings.length, 1);
});

test(
  "a page cut inside the String/L blocks and closed again is not read as a smaller model without a word",
  fixtureOptions,
  () => {
    const page = readCapture(RUNNING_DE);
    const cut =
      page.slice(0, page.indexOf('<tr height="22">')) + "</table></td></tr></table></form></body></html>";
    assert.throws(
      () => parseStatusPage(cut),
      (error: unknown) => error instanceof PageFormat && /RS485 section .* cut short/.test(error.message),
    );
  },
);
