import assert from "node:assert/strict";
import { test } from "node:test";
import { isWideSpace } from "../../modules/kostal2mqtt/src/piko/cellText.js";
import { collapseWhitespace } from "../../modules/kostal2mqtt/src/piko/grid.js";
import { scanGrid } from "../../modules/kostal2mqtt/src/piko/gridScanner.js";

/**
 * The scanner's cell text is built run by run instead of with the DOM reader's regex; these pin the two to the
 * same white space (that of `\s`) and the same joining of runs across tags.
 */

test("isWideSpace is exactly the white space of \\s above ASCII", () => {
  for (let code = 0x80; code <= 0xffff; code++) {
    const expected = /\s/.test(String.fromCharCode(code));
    assert.equal(isWideSpace(code), expected, `U+${code.toString(16).padStart(4, "0")}`);
  }
});

/** The text of the one cell of a one-cell table around `cellHtml`. */
function scannedCell(cellHtml: string): string | undefined {
  return scanGrid(`<table><tr><td>${cellHtml}</td></tr></table>`)?.[0]?.[0]?.text;
}

test("cell text: runs joined across tags, white space collapsed and trimmed as the DOM reader does", () => {
  const cases: Array<[string, string]> = [
    ["\r\n  aktuell", "aktuell"],
    ["\r\n  x x x&nbsp", "x x x"],
    ["&nbsp W", "W"],
    ["&nbsp;&nbsp", ""],
    ["a&nbsp;b", "a b"],
    ["a&nbspb", "a b"],
    ["AC-<b>Leistung</b>", "AC-Leistung"],
    ["AC <b> Leistung </b> x", "AC Leistung x"],
    ["a<b></b>  <u> b</u>", "a b"],
    ["a  b\tc\u000bd\u00a0e\u3000f\ufeffg", "a b c d e f g"],
    ["a\u180eb\u0085c", "a\u180eb\u0085c"],
    ["  one two  three ", "one two three"],
    ["x<br>y", "xy"],
  ];
  for (const [cellHtml, expected] of cases) {
    assert.equal(scannedCell(cellHtml), expected, JSON.stringify(cellHtml));
    // The reference: the runs' text with &nbsp decoded, collapsed once at the end.
    const runs = cellHtml.split(/<[^>]*>/).map((run) => run.replace(/&nbsp;?/g, "\u00a0"));
    assert.equal(collapseWhitespace(runs.join("")), expected, `reference for ${JSON.stringify(cellHtml)}`);
  }
});

test("cell text: a character reference other than &nbsp is left to the DOM reader", () => {
  for (const cellHtml of ["a &amp; b", "&NBSP", "&nb<b>sp</b>", "x&"]) {
    assert.equal(scanGrid(`<table><tr><td>${cellHtml}</td></tr></table>`), null, cellHtml);
  }
});
