/**
 * Which PIKO interface a saved answer comes from, by its first characters: the old status page (HTML), a
 * dxs.json answer (JSON with `dxsEntries`) or an MP plus XML document (`<root>`, optionally after an XML
 * declaration). Only a cheap look at the start: the format's own reader then decides whether the whole text is
 * readable, with its own PageFormat message.
 */

/** The PIKO interfaces: the old status page, the dxs.json API (web UI >= 6) and MP plus XML documents. */
export const PIKO_FORMATS = ["html", "dxs", "mpplus"] as const;
export type PikoFormat = (typeof PIKO_FORMATS)[number];

const HEAD = 2048;
const BOM = /^\uFEFF/;
const HTML_START = /^\s*(?:<!doctype\s+html\b|<html\b)/i;
const JSON_START = /^\s*\{/;
const DXS_KEY = /"dxsEntries"\s*:/;
const MPPLUS_START = /^\s*(?:<\?xml\b[^>]*\?>\s*)?(?:<!--[^]*?-->\s*)*<root[\s>]/;
/** The status page reader's own test for a whole page: a saved page with odd markup before <html> still counts. */
const HTML_END = /<\/html\s*>\s*$/i;

/** The format of a saved answer, or null when it looks like none of them. */
export function detectFormat(text: string): PikoFormat | null {
  const head = text.slice(0, HEAD).replace(BOM, "");
  if (HTML_START.test(head)) return "html";
  // The entries may come after other keys; the key is looked for in the whole text, which a dxs answer keeps small.
  if (JSON_START.test(head) && DXS_KEY.test(text)) return "dxs";
  if (MPPLUS_START.test(head)) return "mpplus";
  if (HTML_END.test(text.slice(-256))) return "html";
  return null;
}
