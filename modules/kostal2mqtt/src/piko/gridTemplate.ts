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

export class GridTemplate {
  /** Where each run stands in the page being read; reused from read to read. */
  private readonly starts: Int32Array;

  private constructor(
    /** The markup between the runs: `pieces[i]` comes before run i, the last one ends the page. */
    private readonly pieces: readonly string[],
    /** The text of each run as it was. */
    private readonly runTexts: readonly string[],
    /** The index (in `cellTexts`) of each run's cell. */
    private readonly runCells: Int32Array,
    /** The runs of each cell, in page order; empty for a cell without text. */
    private readonly cellRuns: ReadonlyArray<readonly number[]>,
    /** Every cell of the grid, row after row: its text as it was, and its attributes. */
    private readonly cellTexts: readonly string[],
    private readonly cellAttributes: ReadonlyArray<Omit<Cell, "text">>,
    private readonly rowLengths: readonly number[],
  ) {
    this.starts = new Int32Array(runTexts.length);
  }

  /** The template of a page that scanGrid read into `grid`, having added the text runs of its cells to `runs`. */
  static of(html: string, grid: Grid, runs: readonly TextRun[]): GridTemplate {
    const cellIndex = new Map<Cell, number>();
    const cellTexts: string[] = [];
    const cellAttributes: Array<Omit<Cell, "text">> = [];
    for (const row of grid) {
      for (const cell of row) {
        cellIndex.set(cell, cellTexts.length);
        cellTexts.push(cell.text);
        cellAttributes.push({ bgcolor: cell.bgcolor, colspan: cell.colspan });
      }
    }
    const pieces: string[] = [];
    const runTexts: string[] = [];
    const runCells = new Int32Array(runs.length);
    const cellRuns: number[][] = cellTexts.map(() => []);
    let pieceStart = 0;
    runs.forEach((run, i) => {
      pieces.push(html.slice(pieceStart, run.start));
      runTexts.push(html.slice(run.start, run.end));
      const cell = cellIndex.get(run.cell)!;
      runCells[i] = cell;
      cellRuns[cell]!.push(i);
      pieceStart = run.end;
    });
    pieces.push(html.slice(pieceStart));
    const rowLengths = grid.map((row) => row.length);
    return new GridTemplate(pieces, runTexts, runCells, cellRuns, cellTexts, cellAttributes, rowLengths);
  }

  /** The grid the scanner would read from `html`, or null when `html` is not this markup with other cell text. */
  read(html: string): Grid | null {
    const changedRuns = this.locateRuns(html);
    if (changedRuns === null) return null;
    let texts = this.cellTexts;
    if (changedRuns.length > 0) {
      const changed = texts.slice();
      const reread = new Set<number>();
      try {
        for (const run of changedRuns) {
          const cell = this.runCells[run]!;
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
    const { pieces, runTexts, starts } = this;
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
    for (const run of this.cellRuns[cell]!) readCellRun(html, this.starts[run]!, text);
    return text.text;
  }

  private grid(texts: readonly string[]): Grid {
    const grid: Grid = [];
    const attributes = this.cellAttributes;
    let cell = 0;
    for (const length of this.rowLengths) {
      const row: Row = [];
      for (const end = cell + length; cell < end; cell++) {
        const { bgcolor, colspan } = attributes[cell]!;
        row.push({ text: texts[cell]!, bgcolor, colspan });
      }
      grid.push(row);
    }
    return grid;
  }
}
