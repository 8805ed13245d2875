import type { PageContent } from "../reading/reading.js";
import { excerpt, PageFormat } from "./errors.js";
import type { Grid } from "./grid.js";
import { domGrid } from "./gridDom.js";
import { scanGrid } from "./gridScanner.js";
import { interpretGrid } from "./pageInterpreter.js";

export type GridReader = "scanner" | "dom";

export interface StatusPage extends PageContent {
  /** Which reader built the grid: the fast scanner, or the cheerio DOM for markup the scanner does not follow. */
  reader: GridReader;
}

const PAGE_END = /<\/html\s*>\s*$/i;

/** The grid of a page: the fast scanner where it follows the markup, cheerio's DOM otherwise. */
export function readGrid(html: string): { grid: Grid; reader: GridReader } {
  const scanned = scanGrid(html);
  return scanned !== null ? { grid: scanned, reader: "scanner" } : { grid: domGrid(html), reader: "dom" };
}

/**
 * Reads an old PIKO status page (`/index.fhtml`, decoded as latin1). Throws PageFormat when the text is not a
 * whole PIKO status page; a single unreadable cell only makes its field null, with a warning.
 */
export function parseStatusPage(html: string): StatusPage {
  // A page cut short would lose its last String/L blocks silently and look like a smaller model.
  if (!PAGE_END.test(html.slice(-256))) {
    const found = html.trim() === "" ? "an empty body" : `'...${excerpt(html.slice(-40), 40)}'`;
    throw new PageFormat(`expected a whole PIKO status page ending in </html>, found ${found}`);
  }
  const { grid, reader } = readGrid(html);
  const page = interpretGrid(grid) as StatusPage;
  page.reader = reader;
  return page;
}
