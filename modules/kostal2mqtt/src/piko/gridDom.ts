import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { collapseWhitespace, type Cell, type Grid, type Row } from "./grid.js";

/**
 * The reference page reader: cheerio's parse5 builds the tree a browser would, and the grid is read from it.
 * Loaded on first use only, so a process whose pages the fast scanner reads never pays for it.
 */

/** The part of domhandler's node shape this reader uses. */
interface DomNode {
  type: string;
  name?: string;
  data?: string;
  attribs?: Record<string, string>;
  children?: DomNode[];
}

type LoadFunction = (html: string) => { root(): ArrayLike<DomNode> };

let load: LoadFunction | undefined;

function cheerioLoad(): LoadFunction {
  if (load === undefined) {
    const require = createRequire(import.meta.url);
    // cheerio's index also loads undici for fromURL (about 14 MiB more); its load-parse module is the parser alone.
    const loadParsePath = join(dirname(require.resolve("cheerio")), "load-parse.js");
    let loaded: { load: LoadFunction };
    try {
      loaded = require(loadParsePath) as { load: LoadFunction };
    } catch {
      loaded = require("cheerio") as { load: LoadFunction };
    }
    load = loaded.load;
  }
  return load;
}

const SKIPPED_CONTENT = new Set(["script", "style", "title", "textarea", "template", "noscript"]);

class DomGridBuilder {
  readonly grid: Grid = [];

  visit(node: DomNode, row: Row | null): void {
    for (const child of node.children ?? []) {
      if (child.type === "tag" && child.name === "tr") {
        const newRow: Row = [];
        this.grid.push(newRow);
        this.visit(child, newRow);
      } else if (child.type === "tag" && (child.name === "td" || child.name === "th") && row !== null) {
        const cell: Cell = {
          text: "",
          bgcolor: child.attribs?.["bgcolor"] ?? null,
          colspan: child.attribs?.["colspan"] ?? null,
        };
        row.push(cell);
        const parts: string[] = [];
        this.collectText(child, parts);
        cell.text = collapseWhitespace(parts.join(""));
      } else if (child.type === "tag" || child.type === "root") {
        // A table nested anywhere starts its own rows; rows of an outer table continue after it.
        this.visit(child, child.name === "table" ? null : row);
      }
    }
  }

  /** The text of a cell, without nested tables (their rows are visited on their own) and without script text. */
  private collectText(node: DomNode, parts: string[]): void {
    for (const child of node.children ?? []) {
      if (child.type === "text") parts.push(child.data ?? "");
      else if (child.type === "tag" && child.name === "table") this.visit(child, null);
      else if (child.type === "tag" && !SKIPPED_CONTENT.has(child.name ?? "")) this.collectText(child, parts);
    }
  }
}

/** The grid of a page as a browser would build it. */
export function domGrid(html: string): Grid {
  const root = cheerioLoad()(html).root()[0];
  const builder = new DomGridBuilder();
  if (root !== undefined) builder.visit(root, null);
  return builder.grid;
}
