import {
  slotField,
  slotFields,
  type PageField,
  type MeasurementKey,
  type SlotGroup,
} from "../reading/fields.js";
import type { PageContent } from "../reading/reading.js";
import { readCell, type CellKind } from "./cellValue.js";
import { excerpt, PageFormat } from "./errors.js";
import type { Grid, Row } from "./grid.js";
import {
  ENERGY_BY_UNIT,
  ENERGY_FIELDS,
  ENERGY_LABELS,
  HEADER,
  isFooterCell,
  isValueCell,
  PHASE_HEADING,
  SLOT_QUANTITY_BY_UNIT,
  SLOT_QUANTITY_LABELS,
  STATUS_LABEL,
  STRING_HEADING,
  valueCellsOf,
  type SlotContext,
} from "./pageLayout.js";

/**
 * Reads the values of an old PIKO status page (`/index.fhtml`) out of its table grid, by the structure of the row
 * and column labels, not by a fixed cell index (piko.md): the model header, then the energy rows (AC power, total
 * and daily energy, status), then blocks headed "String N" / "LN", each with a voltage row and a current/power row.
 * Value cells are the ones with a `bgcolor`; the string column is the first, the phase column the second. Which
 * field a cell holds (labels, units, row order) comes from the field table (reading/fields.ts).
 */

class PageReader {
  private readonly values = new Map<MeasurementKey, number | null>();
  private readonly warnings: string[] = [];
  private statusText: string | null = null;
  private footerSeen = false;
  private readonly strings = new Set<number>();
  private readonly phases = new Set<number>();
  private column: { string: number | null; phase: number | null } | null = null;
  /** How many value cells of each kind the page had: a page without one readable number is not a reading. */
  private readonly cellKinds: Record<CellKind, number> = {
    number: 0,
    placeholder: 0,
    blank: 0,
    unreadable: 0,
  };

  read(grid: Grid): PageContent {
    const { header, headerRow } = this.findHeader(grid);
    for (let r = headerRow + 1; r < grid.length; r++) {
      const row = grid[r]!;
      if (this.column !== null && row.some(isFooterCell)) {
        this.footerSeen = true;
        break;
      }
      if (this.readHeading(row)) continue;
      if (this.column === null) this.readEnergyRow(row);
      else this.readSlotRow(row, this.column);
    }
    const statusText = this.requireStatus();
    const values = this.complete();
    this.requireReadableNumber();
    return {
      model: header.model,
      name: header.name,
      rs485Address: header.rs485Address,
      statusText,
      values,
      warnings: this.warnings,
    };
  }

  private findHeader(grid: Grid): {
    header: Pick<PageContent, "model" | "name" | "rs485Address">;
    headerRow: number;
  } {
    for (let r = 0; r < grid.length; r++) {
      for (const cell of grid[r]!) {
        // "PIKO 8.3 piko (255)"; the first letter spares the regex on every other cell.
        if ((cell.text.charCodeAt(0) | 0x20) !== 0x70 /* p */) continue;
        const match = HEADER.exec(cell.text);
        if (match) {
          const model = match[1]!.replace(/^piko\s*/i, "PIKO ").replace(",", ".");
          return { header: { model, name: match[2]!, rs485Address: Number(match[3]) }, headerRow: r };
        }
      }
    }
    const firstText = grid.flat().find((cell) => cell.text !== "")?.text ?? "no table text at all";
    throw new PageFormat(
      `not a PIKO status page: expected the model header 'PIKO <model> <name> (<RS485 address>)' in a table, ` +
        `found '${excerpt(firstText)}'`,
    );
  }

  /** A block heading: no value cells, and "String N" and/or "LN" (or blank headings, once the blocks began). */
  private readHeading(row: Row): boolean {
    if (row.some(isValueCell)) return false;
    let string: number | null = null;
    let phase: number | null = null;
    for (const cell of row) {
      // Headings are short and start with S or L; most cells are neither, and this runs for every row.
      const text = cell.text;
      if (text.length === 0 || text.length > 9) continue;
      const first = text.charCodeAt(0) | 0x20;
      if (first === 0x73 /* s */) {
        const stringMatch = STRING_HEADING.exec(text);
        if (stringMatch) string = Number(stringMatch[1]);
      } else if (first === 0x6c /* l */) {
        const phaseMatch = PHASE_HEADING.exec(text);
        if (phaseMatch) phase = Number(phaseMatch[1]);
      }
    }
    if (string === null && phase === null) {
      // A blank heading row (`<u> </u>` twice) spans the width of the block; spacer rows are a single cell.
      if (this.column !== null && row.length >= 4 && row.every((cell) => cell.text === "")) {
        this.column = { string: null, phase: null };
      }
      return false;
    }
    for (const [index, seen] of [
      [string, this.strings],
      [phase, this.phases],
    ] as const) {
      if (index === null) continue;
      if (seen.has(index)) throw new PageFormat(`expected each String/L heading once, found ${index} twice`);
      seen.add(index);
    }
    this.column = { string, phase };
    return true;
  }

  private readEnergyRow(row: Row): void {
    if (this.statusText === null && !row.some(isValueCell)) {
      // The status text follows the "Status" label in a colspan="4" cell; an unknown UI language still has the cell.
      const labelIndex = row.findIndex((cell) => STATUS_LABEL.test(cell.text));
      const statusCell =
        labelIndex >= 0 ? row[labelIndex + 1] : row.find((cell) => cell.colspan?.trim() === "4");
      if (statusCell !== undefined) this.statusText = statusCell.text;
      return;
    }
    for (const slot of valueCellsOf(row)) {
      const field = this.energyField(slot);
      if (field === null) {
        this.warn(
          `a value cell labelled '${excerpt(slot.label, 30)}' (${excerpt(slot.unit, 10)}) is not known`,
        );
        continue;
      }
      this.store(field, slot.cell.text);
    }
  }

  private energyField(slot: SlotContext): PageField | null {
    for (const [pattern, field] of ENERGY_LABELS) if (pattern.test(slot.label)) return field;
    // A UI language we do not know: the unit still tells AC power; of two energies the total comes first.
    const byUnit = ENERGY_BY_UNIT.get(slot.unit);
    if (byUnit === undefined) return null;
    for (const field of byUnit) if (!this.values.has(field.key)) return field;
    return byUnit[byUnit.length - 1]!;
  }

  private readSlotRow(row: Row, column: { string: number | null; phase: number | null }): void {
    const slots = valueCellsOf(row);
    if (slots.length === 0) return;
    if (slots.length !== 2) {
      throw new PageFormat(`expected 2 value cells (string, phase) in a String/L row, found ${slots.length}`);
    }
    const [dc, phase] = slots as [SlotContext, SlotContext];
    this.storeSlot("dc", column.string, dc);
    this.storeSlot("phase", column.phase, phase);
  }

  private storeSlot(group: SlotGroup, index: number | null, slot: SlotContext): void {
    if (index === null) {
      if (slot.cell.text !== "")
        this.warn(`a value '${excerpt(slot.cell.text, 20)}' without a String/L heading`);
      return;
    }
    const quantity =
      SLOT_QUANTITY_BY_UNIT.get(slot.unit) ??
      SLOT_QUANTITY_LABELS.find(([pattern]) => pattern.test(slot.label))?.[1];
    if (quantity === undefined) {
      this.warn(`${group}${index}: a value cell with unknown unit '${excerpt(slot.unit, 10)}'`);
      return;
    }
    const field = slotField(group, index, quantity);
    if (field === undefined) {
      this.warn(`${group}${index}: a ${quantity} value where none is expected`);
      return;
    }
    this.store(field, slot.cell.text);
  }

  private store(field: PageField, text: string): void {
    if (this.values.has(field.key)) throw new PageFormat(`expected one value for ${field.key}, found two`);
    this.values.set(field.key, this.parseValue(field, text));
  }

  private parseValue(field: PageField, text: string): number | null {
    const cell = readCell(field, text);
    this.cellKinds[cell.kind]++;
    if (cell.warning !== undefined) this.warn(cell.warning);
    return cell.value;
  }

  private requireStatus(): string {
    if (this.statusText === null)
      throw new PageFormat("expected a Status row before the String/L blocks, found none");
    return this.statusText;
  }

  /** Checks that the page had the energy rows and headings, and gives every slot it has both of its fields. */
  private complete(): Map<MeasurementKey, number | null> {
    const missingEnergy = ENERGY_FIELDS.filter((f) => !this.values.has(f.key)).map((f) => f.key);
    if (missingEnergy.length > 0) {
      throw new PageFormat(
        `expected the energy values of a PIKO status page, missing ${missingEnergy.join(", ")}`,
      );
    }
    if (this.strings.size === 0 || this.phases.size === 0) {
      throw new PageFormat(
        `expected 'String N' and 'LN' headings, found ${this.strings.size} string and ${this.phases.size} phase headings`,
      );
    }
    if (!this.footerSeen) {
      // A page cut inside the blocks would otherwise read as a smaller model (fewer strings or phases).
      throw new PageFormat(
        "expected the RS485 section after the String/L blocks, found none: the page is cut short",
      );
    }
    for (const [group, indices] of [
      ["dc", this.strings],
      ["phase", this.phases],
    ] as const) {
      for (const i of indices) {
        for (const { key } of slotFields(group, i)) {
          if (this.values.has(key)) continue;
          this.warn(`${key}: no value cell found`);
          this.values.set(key, null);
        }
      }
    }
    return this.values;
  }

  /**
   * Issue 9: a page whose every value cell that should hold a number holds text that is not one (`NaN`, `1e400`,
   * digits of another script) is not a reading of nulls: it is not a page we can read. The off page is readable
   * (its `x x x` cells mean 0.0 by design, its counters are numbers), and blank cells are not text: a page of
   * blanks stays a reading of nulls with warnings.
   */
  private requireReadableNumber(): void {
    const { number, placeholder, unreadable } = this.cellKinds;
    if (number + placeholder > 0 || unreadable === 0) return;
    throw new PageFormat(
      `expected numbers in the value cells, found none: no value cell holds a readable number ` +
        `(${unreadable} hold other text, e.g. ${this.warnings[0] ?? "?"})`,
    );
  }

  private warn(message: string): void {
    this.warnings.push(message);
  }
}

/** The page content of a status page's grid; throws PageFormat when the grid is not a PIKO status page. */
export function interpretGrid(grid: Grid): PageContent {
  return new PageReader().read(grid);
}
