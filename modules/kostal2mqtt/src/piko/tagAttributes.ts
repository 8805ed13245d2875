import { classOf, GT, isHtmlSpace, nameIs, SLASH, SPACE, Unrecognised } from "./htmlTokens.js";

/**
 * A start or end tag's attributes, read like an HTML5 tokenizer reads them, as far as the fast scanner needs: where
 * the tag ends (a `>` inside a quoted value does not end it), and a cell's bgcolor and colspan. Every loop steps
 * one character at a time: names and values on these pages are a few characters long, and a `indexOf` call costs
 * as much as ten such steps.
 */

/** The attributes the grid keeps of a cell; null when the cell has none. */
export interface CellAttributes {
  bgcolor: string | null;
  colspan: string | null;
}

const NOT_KEPT = 0;
const BGCOLOR = 1;
const COLSPAN = 2;

/** Which kept attribute html[start, end) names, case-insensitively. */
function keptName(html: string, start: number, end: number): number {
  if (end - start !== 7) return NOT_KEPT;
  if (nameIs(html, start, end, "bgcolor")) return BGCOLOR;
  return nameIs(html, start, end, "colspan") ? COLSPAN : NOT_KEPT;
}

/** The index of the first character from `from` on that is not HTML white space (the length at the end). */
function skipSpace(html: string, from: number): number {
  let i = from;
  while (i < html.length && isHtmlSpace(html.charCodeAt(i))) i++;
  return i;
}

/**
 * Reads the attributes from `from` (just after the tag name) to the closing `>` and returns the index after it.
 * With `into`, the first bgcolor and colspan are kept there (others are not sliced at all); `into`'s fields are
 * set either way. Throws Unrecognised when the tag is cut off, or a kept value holds what a browser would rewrite.
 */
export function readAttributes(html: string, from: number, into: CellAttributes | null): number {
  const length = html.length;
  let bgcolor: string | null = null;
  let colspan: string | null = null;
  let i = from;
  for (;;) {
    while (i < length && (classOf(html.charCodeAt(i)) & (SPACE | SLASH)) !== 0) i++;
    if (i >= length) throw new Unrecognised("cut off");
    if (html.charCodeAt(i) === 0x3e /* > */) break;
    const nameStart = i;
    if (html.charCodeAt(i) === 0x3d /* = */) i++;
    while (i < length && classOf(html.charCodeAt(i)) === 0) i++;
    const which = into === null ? NOT_KEPT : keptName(html, nameStart, i);
    i = skipSpace(html, i);
    let valueStart = i;
    let valueEnd = i; // an attribute without a value has the empty value
    if (html.charCodeAt(i) === 0x3d /* = */) {
      i = skipSpace(html, i + 1);
      const quote = html.charCodeAt(i);
      if (quote === 0x22 /* " */ || quote === 0x27 /* ' */) {
        valueStart = i + 1;
        valueEnd = valueStart;
        while (valueEnd < length && html.charCodeAt(valueEnd) !== quote) valueEnd++;
        if (valueEnd >= length) throw new Unrecognised("cut off");
        i = valueEnd + 1;
      } else {
        valueStart = i;
        valueEnd = i;
        while (valueEnd < length && (classOf(html.charCodeAt(valueEnd)) & (SPACE | GT)) === 0) valueEnd++;
        i = valueEnd;
      }
    }
    if (which !== NOT_KEPT) {
      const value = html.slice(valueStart, valueEnd);
      // A browser decodes references and turns CR into LF before tokenising; such values are left to it.
      if (value.includes("&") || value.includes("\r")) throw new Unrecognised("entity or CR in a value");
      if (which === BGCOLOR) bgcolor ??= value;
      else colspan ??= value;
    }
  }
  if (into !== null) {
    into.bgcolor = bgcolor;
    into.colspan = colspan;
  }
  return i + 1;
}
