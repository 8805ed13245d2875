import assert from "node:assert/strict";
import { test } from "node:test";
import { Unrecognised } from "../../modules/kostal2mqtt/src/piko/htmlTokens.js";
import { readAttributes, type CellAttributes } from "../../modules/kostal2mqtt/src/piko/tagAttributes.js";

/**
 * readAttributes answers the common attribute list (`name="value"` pairs, none kept) with one regular expression
 * and everything else with its loop: these pin the two to the same end of the tag and the same kept values.
 */

function read(attributes: string): { end: number; kept: CellAttributes } {
  const html = `<td${attributes}<next>`;
  const kept: CellAttributes = { bgcolor: "stale", colspan: "stale" };
  const end = readAttributes(html, 3, kept);
  return { end: end - 3, kept: { bgcolor: kept.bgcolor, colspan: kept.colspan } };
}

test("a cell's bgcolor and colspan are kept whatever their case, and nothing else is", () => {
  const cases: Array<[string, string | null, string | null]> = [
    [' width="70" height="55">', null, null],
    [">", null, null],
    [' width="70" BgColor="#FFFFFF">', "#FFFFFF", null],
    [' colspan="2" align="right">', null, "2"],
    [' COLSPAN="3" bgcolor="#EAF7F7">', "#EAF7F7", "3"],
    [' bgcolorx="1" xcolspan="2">', null, null],
    [" bgcolor=#FFFFFF colspan='2'>", "#FFFFFF", "2"],
    [' bgcolor = "#FFF" >', "#FFF", null],
    [' bgcolor="#1" bgcolor="#2">', "#1", null],
  ];
  for (const [attributes, bgcolor, colspan] of cases) {
    const { end, kept } = read(attributes);
    assert.equal(end, attributes.length, attributes);
    assert.deepEqual(kept, { bgcolor, colspan }, attributes);
  }
});

test("the tag ends at the first > outside quoted values, with or without the fast path", () => {
  for (const attributes of [
    ' a="x>y" b="z">',
    " a='x>y'>",
    ' a="x" / >',
    " nowrap>",
    " a=b>",
    ' a="1"b="2">',
    '\n\ta="1"\r\n>',
    ' data-x="">',
  ]) {
    assert.equal(read(attributes).end, attributes.length, JSON.stringify(attributes));
  }
});

test("a tag cut off, or a kept value a browser would rewrite, is left to the DOM reader", () => {
  for (const html of ['<td a="x', '<td bgcolor="&amp;">', '<td colspan="2\r">', "<td a"]) {
    assert.throws(() => readAttributes(html, 3, { bgcolor: null, colspan: null }), Unrecognised, html);
  }
});
