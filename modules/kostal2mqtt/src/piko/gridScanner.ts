import type { Cell, Grid, Row } from "./grid.js";
import { readCellRun, type CellText } from "./cellText.js";
import type { TextRun } from "./gridTemplate.js";
import { readAttributes, type CellAttributes } from "./tagAttributes.js";
import { CHAR_CLASS, GT, isAsciiLetter, SLASH, SPACE, Tag, tagAt, Unrecognised } from "./htmlTokens.js";

/**
 * The fast page reader: one pass over the page that builds the table grid without a DOM. It follows the HTML5
 * tree builder only as far as the PIKO template needs (tables, rows, cells, text, comments, scripts), and returns
 * null for anything where a browser would build a different tree (foster parenting, implied rows, entities other
 * than `&nbsp`, raw-text elements, tags cut off at the end). The caller then asks the cheerio reader, which is the
 * reference; a differential test keeps the two equal wherever this one answers.
 */

const enum Mode {
  Table,
  Row,
  Cell,
}

/** A table being read, with the text of its open cell (a nested table's cells have their own). */
interface OpenTable extends CellText {
  mode: Mode;
  row: Row | null;
  cell: Cell | null;
  cellTag: Tag;
}

/** Text between table tags that is not white space is moved before the table by a browser (foster parenting). */
function skipTableSpace(html: string, from: number): number {
  let i = from;
  while (i < html.length) {
    const code = html.charCodeAt(i);
    if (code === 0x3c /* < */) break;
    if (code >= 128 || CHAR_CLASS[code] !== SPACE) throw new Unrecognised("text");
    i++;
  }
  return i;
}

/** The end tag patterns of the raw text elements (script, style, title), built once each. */
const RAW_TEXT_ENDS = new Map<string, RegExp>();

function rawTextEnd(name: string): RegExp {
  let pattern = RAW_TEXT_ENDS.get(name);
  if (pattern === undefined) {
    pattern = new RegExp(`</${name}[\\t\\n\\f\\r />]`, "gi");
    RAW_TEXT_ENDS.set(name, pattern);
  }
  return pattern;
}

class Scanner implements CellAttributes {
  private readonly grid: Grid = [];
  private readonly tables: OpenTable[] = [];
  /** The innermost open table (the last of `tables`), kept in a field: it is read for every token. */
  private top: OpenTable | undefined = undefined;
  private pos = 0;
  /** The kept attributes of the last start or end tag of a cell, set by readAttributes. */
  bgcolor: string | null = null;
  colspan: string | null = null;

  /**
   * @param runs when given, every non-empty text run read into a cell is added to it, in page order (for
   *   gridTemplate.ts)
   */
  constructor(
    private readonly html: string,
    private readonly runs: TextRun[] | null = null,
  ) {}

  scan(): Grid {
    const html = this.html;
    if (html.includes("\0")) throw new Unrecognised("NUL");
    while (this.pos < html.length) {
      // Text outside tables is not read; a table's text is read where the scan stands, up to the next tag.
      const top = this.top;
      const from = this.pos;
      let lt: number;
      if (top === undefined) lt = html.indexOf("<", from);
      else if (top.mode !== Mode.Cell) lt = skipTableSpace(html, from);
      else {
        lt = readCellRun(html, from, top);
        if (this.runs !== null && lt > from) this.runs.push({ start: from, end: lt, cell: top.cell! });
      }
      if (lt < 0 || lt >= html.length) break;
      this.markup(lt);
    }
    while (this.tables.length > 0) this.closeTable();
    return this.grid;
  }

  // The hot methods (markup, startTag, tagAt) are kept under V8's inlining limit (460 bytes of bytecode) by moving
  // their rare cases into methods of their own: inlined into scan, they cost a tenth less.
  private markup(lt: number): void {
    const html = this.html;
    const next = html.charCodeAt(lt + 1);
    if (next === 0x21 /* ! */ || next === 0x3f /* ? */) return this.declaration(lt);
    const isEnd = next === 0x2f; /* / */
    const nameStart = isEnd ? lt + 2 : lt + 1;
    if (!isAsciiLetter(html.charCodeAt(nameStart))) throw new Unrecognised("lone <");
    let nameEnd = nameStart + 1;
    let code = html.charCodeAt(nameEnd);
    // Letters (above `>`, the highest stop character) are told apart without the table.
    while (nameEnd < html.length && (code > 0x3e || (CHAR_CLASS[code]! & (SPACE | SLASH | GT)) === 0))
      code = html.charCodeAt(++nameEnd);
    const tag = tagAt(html, nameStart, nameEnd);
    if (code === 0x3e /* > */) {
      this.bgcolor = null;
      this.colspan = null;
      this.pos = nameEnd + 1;
    } else {
      this.pos = readAttributes(html, nameEnd, tag === Tag.Td || tag === Tag.Th ? this : null);
    }
    if (isEnd) this.endTag(tag);
    else this.startTag(tag, nameStart, nameEnd);
  }

  /** A comment, doctype or processing instruction (`<!`, `<?`): skipped to its end. */
  private declaration(lt: number): void {
    const html = this.html;
    if (html.startsWith("<!--", lt)) {
      const end = html.indexOf("-->", lt + 4);
      if (end < 0 || html.startsWith("<!-->", lt) || html.startsWith("<!--->", lt))
        throw new Unrecognised("comment");
      if (html.lastIndexOf("--!>", end) > lt) throw new Unrecognised("comment");
      this.pos = end + 3;
    } else {
      this.skipTo(">", lt + 2);
    }
  }

  private skipTo(marker: string, from: number): void {
    const end = this.html.indexOf(marker, from);
    if (end < 0) throw new Unrecognised("cut off");
    this.pos = end + marker.length;
  }

  private startTag(tag: Tag, nameStart: number, nameEnd: number): void {
    const top = this.top;
    switch (tag) {
      case Tag.Tr:
        if (top === undefined) throw new Unrecognised("row outside a table");
        this.closeRow(top);
        top.row = [];
        this.grid.push(top.row);
        top.mode = Mode.Row;
        return;
      case Tag.Td:
      case Tag.Th:
        if (top === undefined || top.mode === Mode.Table) throw new Unrecognised("cell outside a row");
        this.closeCell(top);
        top.cell = { text: "", bgcolor: this.bgcolor, colspan: this.colspan };
        top.cellTag = tag;
        top.row?.push(top.cell);
        top.text = "";
        top.spaceBefore = false;
        top.mode = Mode.Cell;
        return;
      case Tag.BodyOrHtml:
      case Tag.Other:
        if (top !== undefined && top.mode !== Mode.Cell) throw new Unrecognised("an element in a table");
        return;
      default:
        return this.rareStartTag(tag, nameStart, nameEnd);
    }
  }

  /** The start tags other than rows, cells and ordinary elements: a few a page. */
  private rareStartTag(tag: Tag, nameStart: number, nameEnd: number): void {
    const top = this.top;
    const inTable = top !== undefined && top.mode !== Mode.Cell;
    switch (tag) {
      case Tag.Table:
        if (inTable) throw new Unrecognised("table in table");
        this.top = {
          mode: Mode.Table,
          row: null,
          cell: null,
          cellTag: Tag.Other,
          text: "",
          spaceBefore: false,
        };
        this.tables.push(this.top);
        return;
      case Tag.Tbody:
        if (top === undefined || top.mode !== Mode.Table) throw new Unrecognised("tbody");
        return;
      case Tag.RawText:
        return this.skipRawText(this.html.slice(nameStart, nameEnd).toLowerCase());
      case Tag.Title:
        if (inTable) throw new Unrecognised("title in a table");
        return this.skipRawText("title");
      default:
        throw new Unrecognised(this.html.slice(nameStart, nameEnd));
    }
  }

  private endTag(tag: Tag): void {
    const top = this.top;
    if (top === undefined) return; // stray end tags outside tables are ignored by a browser too
    switch (tag) {
      case Tag.Td:
      case Tag.Th:
        if (top.mode !== Mode.Cell) return;
        if (tag !== top.cellTag) throw new Unrecognised("mismatched cell end");
        this.closeCell(top);
        return;
      case Tag.Tr:
      case Tag.Tbody:
        if (top.mode !== Mode.Table) this.closeRow(top);
        return;
      case Tag.Table:
        this.closeTable();
        return;
      case Tag.Other:
        if (top.mode !== Mode.Cell) throw new Unrecognised("end tag in a table");
        return;
      default:
        throw new Unrecognised("end tag");
    }
  }

  private skipRawText(name: string): void {
    const endTag = rawTextEnd(name);
    endTag.lastIndex = this.pos;
    const end = endTag.exec(this.html);
    if (end === null) throw new Unrecognised("cut off");
    // `<!--` inside a script switches a browser's tokenizer into its escaped states; not worth following.
    if (this.html.slice(this.pos, end.index).includes("<!--")) throw new Unrecognised("escaped script");
    this.pos = readAttributes(this.html, end.index + name.length + 2, null);
  }

  private closeCell(table: OpenTable): void {
    if (table.cell === null) return;
    table.cell.text = table.text;
    table.cell = null;
    table.text = "";
    table.mode = Mode.Row;
  }

  private closeRow(table: OpenTable): void {
    this.closeCell(table);
    table.row = null;
    table.mode = Mode.Table;
  }

  private closeTable(): void {
    const table = this.tables.pop();
    this.top = this.tables[this.tables.length - 1];
    if (table !== undefined) this.closeRow(table);
  }
}

/**
 * The grid of a page, or null when its markup is not one this scanner reads exactly like a browser. With `runs`,
 * the text runs of its cells are added there (see Scanner's constructor).
 */
export function scanGrid(html: string, runs: TextRun[] | null = null): Grid | null {
  try {
    return new Scanner(html, runs).scan();
  } catch (error) {
    if (error instanceof Unrecognised) return null;
    throw error;
  }
}
