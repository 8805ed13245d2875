import { CHAR_CLASS, GT, nameIs, SLASH, SPACE, Unrecognised } from "./htmlTokens.js";

/**
 * A start or end tag's attributes, read like an HTML5 tokenizer reads them, as far as the fast scanner needs: where
 * the tag ends (a `>` inside a quoted value does not end it), and a cell's bgcolor and colspan. The character
 * classes are read inline, not through classOf: the production process runs V8's interpreter only, where a call
 * per character doubles the cost of a loop. Quoted values are jumped with indexOf, the rest is short.
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

/**
 * The common attribute list, ended by `>`: `name="value"` pairs after white space, the names of letters and
 * hyphens and none of them a kept one. Where it matches, the loop below would end at the same `>` and keep
 * nothing; one native match instead of a call per character in the interpreter. Each pair starts with white space
 * and a name cannot hold any, so a failed match backtracks no further than one pair.
 */
const PLAIN_ATTRIBUTES =
  /(?:[\t\n\f\r ]+(?![Bb][Gg][Cc][Oo][Ll][Oo][Rr]=|[Cc][Oo][Ll][Ss][Pp][Aa][Nn]=)[A-Za-z-]+="[^"]*")*[\t\n\f\r ]*>/y;

/**
 * Reads the attributes from `from` (just after the tag name) to the closing `>` and returns the index after it.
 * With `into`, the first bgcolor and colspan are kept there (others are not sliced at all); `into`'s fields are
 * set either way. Throws Unrecognised when the tag is cut off, or a kept value holds what a browser would rewrite.
 */
export function readAttributes(html: string, from: number, into: CellAttributes | null): number {
  PLAIN_ATTRIBUTES.lastIndex = from;
  if (PLAIN_ATTRIBUTES.test(html)) {
    if (into !== null) {
      into.bgcolor = null;
      into.colspan = null;
    }
    return PLAIN_ATTRIBUTES.lastIndex;
  }
  const length = html.length;
  let bgcolor: string | null = null;
  let colspan: string | null = null;
  let i = from;
  let code = html.charCodeAt(i);
  for (;;) {
    // Between attributes: white space and slashes. Past the end, code is NaN, of no class.
    while (code < 128 && (CHAR_CLASS[code]! & (SPACE | SLASH)) !== 0) code = html.charCodeAt(++i);
    if (code === 0x3e /* > */) break;
    if (i >= length) throw new Unrecognised("cut off");
    const nameStart = i;
    if (code === 0x3d /* = */) code = html.charCodeAt(++i);
    // Letters are above `>`, the highest stop character, and need no table look-up.
    while (i < length && (code > 0x3e || CHAR_CLASS[code] === 0)) code = html.charCodeAt(++i);
    const which = into === null ? NOT_KEPT : keptName(html, nameStart, i);
    while (code < 128 && CHAR_CLASS[code] === SPACE) code = html.charCodeAt(++i);
    let valueStart = i;
    let valueEnd = i; // an attribute without a value has the empty value
    if (code === 0x3d /* = */) {
      code = html.charCodeAt(++i);
      while (code < 128 && CHAR_CLASS[code] === SPACE) code = html.charCodeAt(++i);
      if (code === 0x22 /* " */ || code === 0x27 /* ' */) {
        valueStart = i + 1;
        valueEnd = html.indexOf(code === 0x22 ? '"' : "'", valueStart);
        if (valueEnd < 0) throw new Unrecognised("cut off");
        i = valueEnd + 1;
      } else {
        valueStart = i;
        while (i < length && (code > 0x3e || (CHAR_CLASS[code]! & (SPACE | GT)) === 0))
          code = html.charCodeAt(++i);
        valueEnd = i;
      }
      code = html.charCodeAt(i);
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
