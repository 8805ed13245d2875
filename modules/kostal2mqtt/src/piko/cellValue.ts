import { PAGE_FIELDS, type PageField } from "../reading/fields.js";
import { excerpt } from "./errors.js";

/**
 * The value of one status page cell, read in the format the PIKO writes for that field (the field table's
 * `page.decimals`, from piko.md's value table and every real capture): whole numbers for W, V and the total kWh; up
 * to 2 decimals for currents and the daily energy (which is a bare `0` when zero). No PIKO writes a sign, an
 * exponent or a thousands separator, so `1.000` is unreadable, never guessed as 1.0 or 1000.
 */

/** What a cell held: a number, the off placeholder, nothing at all, or text that is not a number. */
export type CellKind = "number" | "placeholder" | "blank" | "unreadable";

export interface CellValue {
  value: number | null;
  kind: CellKind;
  /** Why the value is null, for the log; absent when the cell was read as the PIKO means it. */
  warning?: string;
}

/** The cell format of each number of decimals the table uses, built once: readCell runs for every value cell. */
const FORMATS: Array<{ pattern: RegExp; described: string } | undefined> = [];
for (const { decimals } of PAGE_FIELDS.map((field) => field.page)) {
  FORMATS[decimals] ??=
    decimals === 0
      ? { pattern: /^\d+$/, described: "whole numbers" }
      : {
          pattern: new RegExp(`^\\d+(?:\\.\\d{1,${decimals}})?$`),
          described: `digits with at most ${decimals} decimals`,
        };
}
/** A plain decimal number, to tell "a number in the wrong format" from "not a number" in the warning. */
const DECIMAL = /^-?\d+(?:\.\d+)?$/;
const OFF_PLACEHOLDER = /^x(?: ?x)*$/i;

export function readCell(field: PageField, text: string): CellValue {
  const { key } = field;
  const format = FORMATS[field.page.decimals]!;
  if (format.pattern.test(text)) {
    const value = Number(text);
    if (Number.isFinite(value)) return { value, kind: "number" };
    return {
      value: null,
      kind: "unreadable",
      warning: `${key}: '${excerpt(text, 20)}' is too large a number`,
    };
  }
  if (OFF_PLACEHOLDER.test(text)) {
    // The off page shows `x x x` for what is not being measured now; a counter is never zero for that.
    if (field.instantaneous) return { value: 0, kind: "placeholder" };
    return { value: null, kind: "unreadable", warning: `${key}: the inverter shows '${text}' for a counter` };
  }
  const shown = `${key}: cannot read '${excerpt(text, 20)}' as a number`;
  if (DECIMAL.test(text)) {
    return { value: null, kind: "unreadable", warning: `${shown}: the PIKO writes ${format.described} here` };
  }
  return { value: null, kind: text === "" ? "blank" : "unreadable", warning: shown };
}
