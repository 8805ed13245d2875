import { readCellRun, type CellText } from "./cellText.js";
import type { Cell, Grid, Row } from "./grid.js";
import { Unrecognised } from "./htmlTokens.js";

/**
 * An inverter's next status page is its last one with other numbers in its cells: the same markup, byte for byte,
 * around other text. A template keeps the last page the scanner read, cut at its cells' text runs, and reads the
 * next page by comparing the markup between the runs (native string comparisons) and reading again only the runs
 * that changed. Every poll otherwise scans the whole page character by character, which is most of a poll's
 * work in V8's interpreter (the production process runs no JIT).
 *
 * Why the grid is then exactly the scanner's: the scanner's path through a page depends on the text runs of its
 * cells only through readCellRun (the text it adds, and the `<` it stops at). Everything it looks at beyond a run
 * (tags, attributes, comments, raw text, the text outside cells) lies in the markup between runs, compared here
 * whole; a run of the new page ends at its first `<`, as readCellRun ends it; its cell's text is built by the same
 * readCellRun over the same runs in the same order; a NUL anywhere makes the scanner give up, so it makes this
 * give up too. A page that does not fit (other markup, an entity in a changed run, a cell that was empty and is
 * not) is scanned whole and becomes the template.
 */

/** A text run the scanner read into a cell: html[start, end), ended by the `<` at `end`. */
export interface TextRun {
  start: number;
  end: number;
  cell: Cell;
}

/** Where an inverter's client keeps the template of its last page between polls. */
export interface TemplateSlot {
  template: GridTemplate | null;
}

/**
 * A template's parts, in flat arrays of their exact size: every inverter's client keeps one, and a farm of 2,000
 * keeps 2,000. About 22 KiB with its page (the parse bench prints it); an array per cell, grown by push, made 46.
 */
interface Layout {
  /** The markup between the runs: `pieces[i]` comes before run i, the last one ends the page. */
  pieces: readonly string[];
  /** The text of each run as it was. */
  runTexts: readonly string[];
  /** The index (in `cellTexts`) of each run's cell. */
  runCells: Int32Array;
  /** The runs of cell c, in page order: `cellRunList[cellRunStart[c]]` up to `cellRunList[cellRunStart[c + 1]]`. */
  cellRunStart: Int32Array;
  cellRunList: Int32Array;
  /** Every cell of the grid, row after row: its text as it was, and its attributes. */
  cellTexts: readonly string[];
  bgcolors: ReadonlyArray<string | null>;
  colspans: ReadonlyArray<string | null>;
  rowLengths: readonly number[];
}

export class GridTemplate {
  /** Where each run stands in the page being read; reused from read to read. */
  private readonly starts: Int32Array;

  private constructor(private readonly layout: Layout) {
    this.starts = new Int32Array(layout.runTexts.length);
  }

  /** The template of a page that scanGrid read into `grid`, having added the text runs of its cells to `runs`. */
  static of(html: string, grid: Grid, runs: readonly TextRun[]): GridTemplate {
    const cells = grid.flat();
    const cellIndex = new Map(cells.map((cell, index) => [cell, index]));
    const runCells = Int32Array.from(runs, (run) => cellIndex.get(run.cell)!);
    const cellRunStart = new Int32Array(cells.length + 1);
    for (const cell of runCells) cellRunStart[cell + 1]! += 1;
    for (let cell = 0; cell < cells.length; cell++) cellRunStart[cell + 1]! += cellRunStart[cell]!;
    const cellRunList = new Int32Array(runs.length);
    const next = cellRunStart.slice(0, cells.length);
    runCells.forEach((cell, run) => (cellRunList[next[cell]!++] = run));
    const pieces = runs.map((run, i) => html.slice(i === 0 ? 0 : runs[i - 1]!.end, run.start));
    pieces.push(html.slice(runs.at(-1)?.end ?? 0));
    return new GridTemplate({
      pieces,
      runTexts: runs.map((run) => html.slice(run.start, run.end)),
      runCells,
      cellRunStart,
      cellRunList,
      cellTexts: cells.map((cell) => cell.text),
      bgcolors: cells.map((cell) => cell.bgcolor),
      colspans: cells.map((cell) => cell.colspan),
      rowLengths: grid.map((row) => row.length),
    });
  }

  /** The grid the scanner would read from `html`, or null when `html` is not this markup with other cell text. */
  read(html: string): Grid | null {
    const changedRuns = this.locateRuns(html);
    if (changedRuns === null) return null;
    let texts = this.layout.cellTexts;
    if (changedRuns.length > 0) {
      const changed = texts.slice();
      const reread = new Set<number>();
      try {
        for (const run of changedRuns) {
          const cell = this.layout.runCells[run]!;
          if (reread.has(cell)) continue;
          reread.add(cell);
          changed[cell] = this.cellText(html, cell);
        }
      } catch (error) {
        if (error instanceof Unrecognised) return null;
        throw error;
      }
      texts = changed;
    }
    return this.grid(texts);
  }

  /**
   * Finds the runs in `html` (their starts into `starts`) and returns the ones whose text changed, in page order;
   * null when the markup between them is not the template's.
   */
  private locateRuns(html: string): number[] | null {
    const { pieces, runTexts } = this.layout;
    const starts = this.starts;
    if (html.includes("\0") || !html.startsWith(pieces[0]!)) return null;
    const changed: number[] = [];
    let pos = pieces[0]!.length;
    for (let run = 0; run < runTexts.length; run++) {
      const end = html.indexOf("<", pos);
      if (end < 0) return null;
      const text = runTexts[run]!;
      if (end - pos !== text.length || !html.startsWith(text, pos)) changed.push(run);
      starts[run] = pos;
      const piece = pieces[run + 1]!;
      if (!html.startsWith(piece, end)) return null;
      pos = end + piece.length;
    }
    return pos === html.length ? changed : null;
  }

  /** The text of a cell, read from its runs in `html` as the scanner reads them. */
  private cellText(html: string, cell: number): string {
    const text: CellText = { text: "", spaceBefore: false };
    const { cellRunStart, cellRunList } = this.layout;
    for (let i = cellRunStart[cell]!; i < cellRunStart[cell + 1]!; i++) {
      readCellRun(html, this.starts[cellRunList[i]!]!, text);
    }
    return text.text;
  }

  private grid(texts: readonly string[]): Grid {
    const { bgcolors, colspans, rowLengths } = this.layout;
    const grid: Grid = [];
    let cell = 0;
    for (const length of rowLengths) {
      const row: Row = [];
      for (const end = cell + length; cell < end; cell++) {
        row.push({ text: texts[cell]!, bgcolor: bgcolors[cell]!, colspan: colspans[cell]! });
      }
      grid.push(row);
    }
    return grid;
  }
}
