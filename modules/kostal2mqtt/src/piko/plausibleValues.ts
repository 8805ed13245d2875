import type { Unit } from "../reading/fields.js";

/**
 * The widest plausible value per unit, for the readers of the newer interfaces (dxs.json, MP plus XML), which send
 * floats rather than the old page's fixed formats. A PIKO is at most 20 kW with strings below 1000 V; an unfitted
 * sensor or unsupported total answers garbage such as 4.17e32 (piko.md), which must not reach a dashboard as a
 * value. Energy totals of a 20 kW device over 40 years stay far below 10 GWh, and never go below 0.
 */
export const PLAUSIBLE: Readonly<Record<Unit, { readonly min: number; readonly max: number }>> = {
  W: { min: -100_000, max: 100_000 },
  V: { min: 0, max: 2_000 },
  A: { min: -1_000, max: 1_000 },
  kWh: { min: 0, max: 10_000_000 },
  Hz: { min: 40, max: 70 },
  // A battery's temperature in a house or a garage, with room for a faulty one to be reported as it is.
  "°C": { min: -40, max: 120 },
  "%": { min: 0, max: 100 },
  // cos phi; a device that writes it signed (inductive/capacitive) is within -1 .. 1 too.
  "": { min: -1, max: 1 },
};

/** The value, or null with a warning naming `where` when it is outside its unit's plausible range. */
export function plausibleValue(value: number, unit: Unit, where: string, warnings: string[]): number | null {
  const { min, max } = PLAUSIBLE[unit];
  if (value >= min && value <= max) return value;
  warnings.push(`${where}: ${value} is outside ${min} .. ${max} ${unit}, not a measurement`);
  return null;
}
