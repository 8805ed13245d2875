/**
 * The HTML tokens the fast scanner tells apart: the kinds of tag it treats specially, found without slicing where
 * possible, and the character classes of the tokenizer's stop characters.
 */

/** Thrown by the scanner's parts at markup it does not read exactly like a browser; the caller then asks cheerio. */
export class Unrecognised extends Error {}

export const enum Tag {
  Other,
  Table,
  Tr,
  Td,
  Th,
  Tbody,
  RawText, // script, style: skipped to their end tag
  Title,
  Unsupported, // elements whose content a browser parses differently, or that restructure tables
  BodyOrHtml,
  ColumnOrCaption,
}

export const TAGS: ReadonlyMap<string, Tag> = new Map([
  ["table", Tag.Table],
  ["tr", Tag.Tr],
  ["td", Tag.Td],
  ["th", Tag.Th],
  ["tbody", Tag.Tbody],
  ["script", Tag.RawText],
  ["style", Tag.RawText],
  ["title", Tag.Title],
  ["body", Tag.BodyOrHtml],
  ["html", Tag.BodyOrHtml],
  ["caption", Tag.ColumnOrCaption],
  ["col", Tag.ColumnOrCaption],
  ["colgroup", Tag.ColumnOrCaption],
  ...[
    "thead",
    "tfoot",
    "textarea",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "noscript",
    "plaintext",
    "template",
    "svg",
    "math",
    "select",
    "frameset",
    "frame",
    "pre", // a browser drops the newline right after <pre> and <listing>
    "listing",
  ].map((name) => [name, Tag.Unsupported] as const),
]);

/**
 * The special names by shape, length (up to 9) times 32 plus the first letter's low five bits: most ordinary tags
 * have a shape no special name has, and are told apart by one array read, without a slice.
 */
const MAX_SPECIAL_LENGTH = 9;
const BY_SHAPE: Array<Array<readonly [string, Tag]> | undefined> = [];
for (const [name, tag] of TAGS) {
  const shape = (name.length << 5) | (name.charCodeAt(0) & 0x1f);
  (BY_SHAPE[shape] ??= []).push([name, tag]);
}

/** The kind of the tag whose name is html[start, end) (it starts with an ASCII letter), ignoring ASCII case. */
export function tagAt(html: string, start: number, end: number): Tag {
  // tr, td and th are most of a page's tags: told apart here, in a function small enough for V8 to inline.
  if (end - start === 2 && (html.charCodeAt(start) | 0x20) === 0x74 /* t */) {
    const second = html.charCodeAt(start + 1) | 0x20;
    return second === 0x72 ? Tag.Tr : second === 0x64 ? Tag.Td : second === 0x68 ? Tag.Th : Tag.Other;
  }
  return end - start > MAX_SPECIAL_LENGTH ? Tag.Other : shapedTagAt(html, start, end);
}

function shapedTagAt(html: string, start: number, end: number): Tag {
  const candidates = BY_SHAPE[((end - start) << 5) | (html.charCodeAt(start) & 0x1f)];
  if (candidates === undefined) return Tag.Other;
  for (const [name, tag] of candidates) if (nameIs(html, start, end, name)) return tag;
  return Tag.Other;
}

/** Whether html[start, end) is `lowerName`, ignoring ASCII case. */
export function nameIs(html: string, start: number, end: number, lowerName: string): boolean {
  if (end - start !== lowerName.length) return false;
  for (let i = 0; i < lowerName.length; i++) {
    const code = html.charCodeAt(start + i);
    const lower = code >= 0x41 && code <= 0x5a ? code | 0x20 : code;
    if (lower !== lowerName.charCodeAt(i)) return false;
  }
  return true;
}

export const SPACE = 1;
export const SLASH = 2;
export const GT = 4;
export const EQUALS = 8;
/**
 * Character classes of the tokenizer's stop characters, looked up instead of compared one by one. Hot loops read
 * it inline (`code < 128 ? CHAR_CLASS[code] : 0`): the production process runs V8's interpreter only, where a
 * call per character (classOf) costs as much as the rest of the loop.
 */
export const CHAR_CLASS = new Uint8Array(128);
for (const code of [0x20, 0x0a, 0x09, 0x0d, 0x0c]) CHAR_CLASS[code] = SPACE;
CHAR_CLASS[0x2f] = SLASH;
CHAR_CLASS[0x3e] = GT;
CHAR_CLASS[0x3d] = EQUALS;

export function classOf(code: number): number {
  return code < 128 ? CHAR_CLASS[code]! : 0;
}

export function isHtmlSpace(code: number): boolean {
  return classOf(code) === SPACE;
}

export function isAsciiLetter(code: number): boolean {
  return (code | 0x20) >= 0x61 && (code | 0x20) <= 0x7a;
}
