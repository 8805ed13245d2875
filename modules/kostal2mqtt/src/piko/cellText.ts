import { Unrecognised } from "./htmlTokens.js";

/**
 * The scanner's cell text, built while the page is read: the runs of text between the tags of a cell are read in
 * one pass each, and only their words are sliced out, already in the form the DOM reader gives (`&nbsp` decoded per
 * run, white space collapsed to one space, trimmed). Building it at the end instead (concatenate the runs, decode,
 * then trim and collapse with a regex) allocated several strings per cell and was a third of the scanner's time.
 */

/** The text of the cell being read, as far as it is read. */
export interface CellText {
  /** The words so far, collapsed and trimmed: the cell's text if it ended here. */
  text: string;
  /** Whether white space came after the last word: the next word is then joined with one space. */
  spaceBefore: boolean;
}

const WORD = 0;
const SPACE = 1;
const AMPERSAND = 2;
const TAG_START = 3;

/** The kind of each ASCII character in cell text; white space is that of `\s` (which is wider than HTML's). */
const TEXT_CLASS = new Uint8Array(128);
for (const code of [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20]) TEXT_CLASS[code] = SPACE;
TEXT_CLASS[0x26] = AMPERSAND;
TEXT_CLASS[0x3c] = TAG_START;

/**
 * Whether a character above ASCII is white space to `\s` and String.prototype.trim (the same set), as the DOM
 * reader collapses it: the no-break space and the other Unicode space separators and line separators.
 */
export function isWideSpace(code: number): boolean {
  if (code < 0x1680) return code === 0xa0;
  return (
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

/** The end of the `&nbsp` or `&nbsp;` at `at`; any other character reference is left to the DOM reader. */
function nbspEnd(html: string, at: number): number {
  if (!html.startsWith("nbsp", at + 1)) throw new Unrecognised("entity");
  return html.charCodeAt(at + 5) === 0x3b /* ; */ ? at + 6 : at + 5;
}

function joined(text: string, spaceBefore: boolean, words: string): string {
  if (text === "") return words;
  return spaceBefore ? text + " " + words : text + words;
}

/**
 * Adds the text run from `from` to the next `<` (or the end of the page) to the cell, and returns where the run
 * ends. Words separated by single spaces are sliced as one piece: most runs give one slice or none.
 */
export function readCellRun(html: string, from: number, cell: CellText): number {
  const length = html.length;
  let text = cell.text;
  let spaceBefore = cell.spaceBefore;
  /** The first character of the words not yet added, or -1. */
  let piece = -1;
  /** The end of the last word character seen in this run. */
  let wordEnd = -1;
  let i = from;
  while (i < length) {
    const code = html.charCodeAt(i);
    const kind = code < 128 ? TEXT_CLASS[code]! : isWideSpace(code) ? SPACE : WORD;
    if (kind === WORD) {
      if (piece < 0) {
        piece = i;
      } else if (wordEnd !== i && !(wordEnd + 1 === i && html.charCodeAt(wordEnd) === 0x20)) {
        // More than one plain space since the piece's last word: the piece ends there, collapsed to one space.
        text = joined(text, spaceBefore, html.slice(piece, wordEnd));
        spaceBefore = true;
        piece = i;
      }
      wordEnd = ++i;
    } else if (kind === TAG_START) {
      break;
    } else {
      i = kind === AMPERSAND ? nbspEnd(html, i) : i + 1;
      if (piece < 0) spaceBefore = true;
    }
  }
  if (piece >= 0) {
    text = joined(text, spaceBefore, html.slice(piece, wordEnd));
    spaceBefore = wordEnd < i;
  }
  cell.text = text;
  cell.spaceBefore = spaceBefore;
  return i;
}
