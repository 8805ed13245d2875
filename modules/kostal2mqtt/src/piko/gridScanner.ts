import type { Cell, Grid, Row } from "./grid.js";
import { classOf, GT, isAsciiLetter, isHtmlSpace, nameIs, SLASH, SPACE, Tag, tagAt } from "./htmlTokens.js";

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

interface OpenTable {
  mode: Mode;
  row: Row | null;
  cell: Cell | null;
  cellTag: Tag;
  text: string;
}

class Unrecognised extends Error {}

function finishText(raw: string): string {
  const text = raw.trim();
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code <= 0x20 || code === 0xa0 || code > 0x7e) return text.replace(/[\s\u00a0]+/g, " ");
  }
  return text;
}

class Scanner {
  private readonly grid: Grid = [];
  private readonly tables: OpenTable[] = [];
  /** The innermost open table (the last of `tables`), kept in a field: it is read for every token. */
  private top: OpenTable | undefined = undefined;
  private pos = 0;
  private bgcolor: string | null = null;
  private colspan: string | null = null;

  constructor(private readonly html: string) {}

  scan(): Grid {
    const html = this.html;
    if (html.includes("\0")) throw new Unrecognised("NUL");
    while (this.pos < html.length) {
      const lt = html.indexOf("<", this.pos);
      const textEnd = lt < 0 ? html.length : lt;
      if (textEnd > this.pos) this.text(this.pos, textEnd);
      if (lt < 0) break;
      this.markup(lt);
    }
    while (this.tables.length > 0) this.closeTable();
    return this.grid;
  }

  private text(start: number, end: number): void {
    const top = this.top;
    if (top === undefined) return;
    if (top.mode === Mode.Cell) {
      let run = this.html.slice(start, end);
      // Character references are decoded per text run: `&nb<b>sp` is no entity to a browser.
      if (run.includes("&")) {
        run = run.replace(/&nbsp;?/g, "\u00a0");
        if (run.includes("&")) throw new Unrecognised("entity");
      }
      top.text += run;
      return;
    }
    // Text between table tags that is not white space is moved before the table by a browser (foster parenting).
    for (let i = start; i < end; i++)
      if (!isHtmlSpace(this.html.charCodeAt(i))) throw new Unrecognised("text");
  }

  private markup(lt: number): void {
    const html = this.html;
    const next = html.charCodeAt(lt + 1);
    if (next === 0x21 /* ! */) {
      if (html.startsWith("<!--", lt)) {
        const end = html.indexOf("-->", lt + 4);
        if (end < 0 || html.startsWith("<!-->", lt) || html.startsWith("<!--->", lt))
          throw new Unrecognised("comment");
        if (html.lastIndexOf("--!>", end) > lt) throw new Unrecognised("comment");
        this.pos = end + 3;
      } else {
        this.skipTo(">", lt + 2);
      }
      return;
    }
    if (next === 0x3f /* ? */) return this.skipTo(">", lt + 2);
    const isEnd = next === 0x2f; /* / */
    const nameStart = isEnd ? lt + 2 : lt + 1;
    if (!isAsciiLetter(html.charCodeAt(nameStart))) throw new Unrecognised("lone <");
    let nameEnd = nameStart + 1;
    while (nameEnd < html.length && (classOf(html.charCodeAt(nameEnd)) & (SPACE | SLASH | GT)) === 0)
      nameEnd++;
    const tag = tagAt(html, nameStart, nameEnd);
    if (html.charCodeAt(nameEnd) === 0x3e /* > */) {
      this.bgcolor = null;
      this.colspan = null;
      this.pos = nameEnd + 1;
    } else {
      this.attributes(nameEnd, tag === Tag.Td || tag === Tag.Th);
    }
    if (isEnd) this.endTag(tag);
    else this.startTag(tag, nameStart, nameEnd);
  }

  private skipTo(marker: string, from: number): void {
    const end = this.html.indexOf(marker, from);
    if (end < 0) throw new Unrecognised("cut off");
    this.pos = end + marker.length;
  }

  /** Reads the attributes up to the closing `>` like an HTML5 tokenizer; keeps bgcolor and colspan of cells. */
  private attributes(from: number, keep: boolean): void {
    const html = this.html;
    this.bgcolor = null;
    this.colspan = null;
    let i = from;
    for (;;) {
      while (i < html.length && (classOf(html.charCodeAt(i)) & (SPACE | SLASH)) !== 0) i++;
      if (i >= html.length) throw new Unrecognised("cut off");
      if (html.charCodeAt(i) === 0x3e) break;
      const nameStart = i;
      if (html.charCodeAt(i) === 0x3d /* = */) i++;
      while (i < html.length && classOf(html.charCodeAt(i)) === 0) i++;
      const which = !keep
        ? 0
        : nameIs(html, nameStart, i, "bgcolor")
          ? 1
          : nameIs(html, nameStart, i, "colspan")
            ? 2
            : 0;
      while (i < html.length && isHtmlSpace(html.charCodeAt(i))) i++;
      let value = "";
      if (html.charCodeAt(i) === 0x3d) {
        i++;
        while (i < html.length && isHtmlSpace(html.charCodeAt(i))) i++;
        const quote = html.charCodeAt(i);
        let valueEnd: number;
        if (quote === 0x22 || quote === 0x27) {
          valueEnd = html.indexOf(quote === 0x22 ? '"' : "'", i + 1);
          if (valueEnd < 0) throw new Unrecognised("cut off");
          value = which !== 0 ? html.slice(i + 1, valueEnd) : "";
          i = valueEnd + 1;
        } else {
          valueEnd = i;
          while (
            valueEnd < html.length &&
            !isHtmlSpace(html.charCodeAt(valueEnd)) &&
            html.charCodeAt(valueEnd) !== 0x3e
          )
            valueEnd++;
          value = which !== 0 ? html.slice(i, valueEnd) : "";
          i = valueEnd;
        }
      }
      if (which !== 0) {
        // A browser decodes references and turns CR into LF before tokenising; such values are left to it.
        if (value.includes("&") || value.includes("\r")) throw new Unrecognised("entity or CR in a value");
        if (which === 1) this.bgcolor ??= value;
        else this.colspan ??= value;
      }
    }
    this.pos = i + 1;
  }

  private startTag(tag: Tag, nameStart: number, nameEnd: number): void {
    const top = this.top;
    const inTable = top !== undefined && top.mode !== Mode.Cell;
    switch (tag) {
      case Tag.Table:
        if (inTable) throw new Unrecognised("table in table");
        this.top = { mode: Mode.Table, row: null, cell: null, cellTag: Tag.Other, text: "" };
        this.tables.push(this.top);
        return;
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
        top.mode = Mode.Cell;
        return;
      case Tag.Tbody:
        if (top === undefined || top.mode !== Mode.Table) throw new Unrecognised("tbody");
        return;
      case Tag.RawText:
        return this.skipRawText(this.html.slice(nameStart, nameEnd).toLowerCase());
      case Tag.Title:
        if (inTable) throw new Unrecognised("title in a table");
        return this.skipRawText("title");
      case Tag.BodyOrHtml:
      case Tag.Other:
        if (inTable) throw new Unrecognised("an element in a table");
        return;
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
    const endTag = new RegExp(`</${name}[\\t\\n\\f\\r />]`, "gi");
    endTag.lastIndex = this.pos;
    const end = endTag.exec(this.html);
    if (end === null) throw new Unrecognised("cut off");
    // `<!--` inside a script switches a browser's tokenizer into its escaped states; not worth following.
    if (this.html.slice(this.pos, end.index).includes("<!--")) throw new Unrecognised("escaped script");
    this.attributes(end.index + name.length + 2, false);
  }

  private closeCell(table: OpenTable): void {
    if (table.cell === null) return;
    table.cell.text = finishText(table.text);
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

/** The grid of a page, or null when its markup is not one this scanner reads exactly like a browser. */
export function scanGrid(html: string): Grid | null {
  try {
    return new Scanner(html).scan();
  } catch (error) {
    if (error instanceof Unrecognised) return null;
    throw error;
  }
}
