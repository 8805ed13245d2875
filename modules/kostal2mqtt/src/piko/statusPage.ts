import type { PageContent } from "../reading/reading.js";
import { excerpt, PageFormat } from "./errors.js";
import type { Grid } from "./grid.js";
import { domGrid } from "./gridDom.js";
import { scanGrid } from "./gridScanner.js";
import { GridTemplate, type TemplateSlot, type TextRun } from "./gridTemplate.js";
import { interpretGrid } from "./pageInterpreter.js";

export type GridReader = "scanner" | "template" | "dom";

export interface StatusPage extends PageContent {
  /**
   * Which reader built the grid: the fast scanner; the template of the inverter's last page (the scanner's grid,
   * read in a fraction of its time: gridTemplate.ts); or the cheerio DOM for markup the scanner does not follow.
   */
  reader: GridReader;
}

const PAGE_END = /<\/html\s*>\s*$/i;

/**
 * The grid of a page: the fast scanner where it follows the markup, cheerio's DOM otherwise. With a slot, the
 * template of the last page scanned is tried first, and a page scanned whole becomes the slot's template.
 */
export function readGrid(html: string, slot?: TemplateSlot): { grid: Grid; reader: GridReader } {
  const fromTemplate = slot?.template?.read(html) ?? null;
  if (fromTemplate !== null) return { grid: fromTemplate, reader: "template" };
  const runs: TextRun[] | null = slot === undefined ? null : [];
  const scanned = scanGrid(html, runs);
  if (scanned === null) return { grid: domGrid(html), reader: "dom" };
  if (slot !== undefined) slot.template = GridTemplate.of(html, scanned, runs!);
  return { grid: scanned, reader: "scanner" };
}

/**
 * Reads an old PIKO status page (`/index.fhtml`, decoded as latin1). Throws PageFormat when the text is not a
 * whole PIKO status page; a single unreadable cell only makes its field null, with a warning. An inverter's client
 * passes the same slot with each of its pages (see readGrid).
 */
export function parseStatusPage(html: string, slot?: TemplateSlot): StatusPage {
  // A page cut short would lose its last String/L blocks silently and look like a smaller model.
  if (!PAGE_END.test(html.slice(-256))) {
    const found = html.trim() === "" ? "an empty body" : `'...${excerpt(html.slice(-40), 40)}'`;
    throw new PageFormat(`expected a whole PIKO status page ending in </html>, found ${found}`);
  }
  const { grid, reader } = readGrid(html, slot);
  const page = interpretGrid(grid) as StatusPage;
  page.reader = reader;
  return page;
}
