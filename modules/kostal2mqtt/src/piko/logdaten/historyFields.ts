import { unitSuffix, type Unit } from "../../reading/fields.js";

/**
 * The fields of a history row (a row of the old PIKO's `LogDaten.dat`), written once: the device's column name in
 * the file's header, the row's key on the wire, its unit and the divisor from the device's unit to it. Keys follow
 * the reading's conventions (reading/fields.ts): snake_case ending in the unit (`dc1_current_a`), the same names as
 * the live reading where the quantity is the same. The device writes currents in mA (the file's units line
 * `U[V], I[mA], P[W], E[kWh], F[Hz], R[kOhm]`); rows carry amperes. Columns the file has but a consumer cannot use
 * (temperatures in raw digits, the string and board status words, analogue inputs) are left out.
 */

/** The units of history values: the reading's, plus the insulation resistance the reading does not have. */
export type HistoryUnit = Unit | "kOhm";

export interface HistoryField {
  /** snake_case key on the wire, ending in its unit (codes have none). */
  readonly key: string;
  /** The column's name in the file's header line, e.g. `DC1 I`. */
  readonly column: string;
  /** null: a status or error code, an integer as the device writes it. */
  readonly unit: HistoryUnit | null;
  /** The device's value is divided by this (mA to A: 1000). */
  readonly divisor: number;
  readonly description: string;
}

function keyFor(name: string, unit: HistoryUnit | null): string {
  if (unit === null) return name;
  return `${name}${unit === "kOhm" ? "_kohm" : unitSuffix(unit)}`;
}

function field(
  name: string,
  column: string,
  unit: HistoryUnit | null,
  description: string,
  divisor = 1,
): HistoryField {
  return { key: keyFor(name, unit), column, unit, divisor, description };
}

const slots = [1, 2, 3] as const;

/** The fields in the order they are written in a row. */
export const HISTORY_FIELDS: readonly HistoryField[] = [
  ...slots.flatMap((n) => [
    field(`dc${n}_voltage`, `DC${n} U`, "V", `DC input ${n} voltage`),
    field(`dc${n}_current`, `DC${n} I`, "A", `DC input ${n} current (the device writes mA)`, 1000),
    field(`dc${n}_power`, `DC${n} P`, "W", `DC input ${n} power`),
  ]),
  ...slots.flatMap((n) => [
    field(`l${n}_voltage`, `AC${n} U`, "V", `Phase L${n} voltage`),
    field(`l${n}_current`, `AC${n} I`, "A", `Phase L${n} current (the device writes mA)`, 1000),
    field(`l${n}_power`, `AC${n} P`, "W", `Phase L${n} power fed in`),
  ]),
  field("grid_frequency", "AC F", "Hz", "Grid frequency"),
  field("ac_status", "AC S", null, "AC status word of the device"),
  field("error_code", "Err", null, "Error code of the device (0: none)"),
  field("ens_status", "ENS S", null, "Grid monitoring (ENS) status"),
  field("ens_error_code", "ENS Err", null, "Grid monitoring (ENS) error code"),
  field("energy_total", "total E", "kWh", "Lifetime energy fed in (only while connected to the grid)"),
  field("insulation_resistance", "Iso R", "kOhm", "Insulation resistance (only while connected to the grid)"),
];

/** The header's time column (the device's seconds counter) and its event column. */
export const TIME_COLUMN = "Zeit";
export const EVENT_COLUMN = "Ereignis";

export type HistoryValues = Readonly<Record<string, number | null>>;

/** One row of the device's history, with its true time. */
export interface HistoryRecord {
  readonly kind: "row";
  /** ISO 8601 UTC, ms precision: download time - `akt. Zeit` + `Zeit`. */
  readonly time: string;
  /** The device's seconds counter of the row (`Zeit`): strictly increasing on one device, the backfill's cursor. */
  readonly deviceSeconds: number;
  /** Every HISTORY_FIELDS key; null where the file has no such column or the cell is unreadable. */
  readonly values: HistoryValues;
}

/** A device event, e.g. `POR` (power-on reset). */
export interface HistoryEvent {
  readonly kind: "event";
  readonly time: string;
  readonly deviceSeconds: number;
  readonly event: string;
}

export type HistoryEntry = HistoryRecord | HistoryEvent;
