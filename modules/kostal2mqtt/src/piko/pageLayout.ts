import { DEVICE_FIELDS, PAGE_FIELDS, type PageField, type Quantity } from "../reading/fields.js";
import type { Cell, Row } from "./grid.js";

/**
 * The shapes of the old status page's cells that the interpreter (pageInterpreter.ts) goes by: the model header,
 * the String/L headings, the footer and the status label, the labels and units that name each field (built once
 * from the field table, reading/fields.ts), and the value cells with the label before and the unit after them.
 */

export const HEADER = /^(PIKO\s*\d{1,2}(?:[.,]\d{1,2})?)\s*(.*?)\s*\((\d{1,3})\)$/i;
export const STRING_HEADING = /^string\s*([1-3])$/i;
export const PHASE_HEADING = /^l\s*([1-3])$/i;
/** "RS485 Kommunikation" / "RS485 communication": the section after the String/L blocks, in every language. */
const RS485_FOOTER = /^RS ?485\b/i;
/** The label before the status text; a literal in the loop would make a new RegExp for every cell. */
export const STATUS_LABEL = /^status$/i;

/** One of the labels (any UI language), matched whole and without case. */
function labelPattern(labels: Iterable<string>): RegExp {
  const escaped = [...labels].map((label) => label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^(?:${escaped.join("|")})$`, "i");
}

// Lookups built once from the field table: the reader consults them for every value cell.

/** The energy rows' fields (those of no slot) in page order, with the labels that name them. */
export const ENERGY_FIELDS = [...DEVICE_FIELDS].sort((a, b) => a.page.row - b.page.row);
export const ENERGY_LABELS = ENERGY_FIELDS.map((field) => [labelPattern(field.page.labels), field] as const);
/** An energy row's fields by unit, in page order: in a UI language we do not know, the unit still tells. */
export const ENERGY_BY_UNIT = new Map<string, PageField[]>();
for (const field of ENERGY_FIELDS)
  ENERGY_BY_UNIT.set(field.unit, [...(ENERGY_BY_UNIT.get(field.unit) ?? []), field]);

/** A String/L cell's quantity by its unit, or else by its label; the slot then gives the field. */
export const SLOT_QUANTITY_BY_UNIT = new Map<string, Quantity>();
const slotLabels = new Map<Quantity, Set<string>>();
for (const field of PAGE_FIELDS) {
  if (field.slot === undefined) continue;
  SLOT_QUANTITY_BY_UNIT.set(field.unit, field.quantity);
  const labels = slotLabels.get(field.quantity) ?? new Set<string>();
  for (const label of field.page.labels) labels.add(label);
  slotLabels.set(field.quantity, labels);
}
export const SLOT_QUANTITY_LABELS = [...slotLabels].map(
  ([quantity, labels]) => [labelPattern(labels), quantity] as const,
);

export interface SlotContext {
  readonly cell: Cell;
  readonly label: string;
  readonly unit: string;
}

export function isFooterCell(cell: Cell): boolean {
  return (cell.text.charCodeAt(0) | 0x20) === 0x72 /* r */ && RS485_FOOTER.test(cell.text);
}

export function isValueCell(cell: Cell): boolean {
  return cell.bgcolor !== null;
}

/** A value cell with the label before it and the unit after it in the same row. */
export function valueCellsOf(row: Row): SlotContext[] {
  const slots: SlotContext[] = [];
  // A plain loop, not forEach with a closure: this runs for every row of every page.
  for (let index = 0; index < row.length; index++) {
    const cell = row[index]!;
    if (!isValueCell(cell)) continue;
    let label = "";
    for (let i = index - 1; i >= 0 && label === ""; i--) {
      const before = row[i];
      if (before === undefined || isValueCell(before)) break;
      label = before.text;
    }
    const after = row[index + 1];
    const unit = after !== undefined && !isValueCell(after) ? after.text : "";
    slots.push({ cell, label, unit });
  }
  return slots;
}
