/**
 * The table grid of a page: every `<tr>` in document order (pre-order, so an outer row comes before the rows of a
 * table nested in it), each with its direct cells. Both page readers (the fast scanner and the cheerio DOM reader)
 * produce this same grid; one interpreter reads the values out of it.
 */

export interface Cell {
  /** The cell's text without nested tables, entities decoded, white space collapsed and trimmed. */
  text: string;
  /** The `bgcolor` attribute as written, or null. Value cells have one: #FFFFFF when used, #EAF7F7 when not. */
  bgcolor: string | null;
  /** The `colspan` attribute as written, or null. The status text sits in a `colspan="4"` cell. */
  colspan: string | null;
}

export type Row = Cell[];
export type Grid = Row[];

/** Collapses HTML white space and no-break spaces to single spaces and trims. */
export function collapseWhitespace(text: string): string {
  return text.replace(/[\s\u00a0]+/g, " ").trim();
}
