/**
 * The units and slot groups the field table (fields.ts) is written in: how every consumer names a unit, and the
 * slots a PIKO has several of. Re-exported by fields.ts, the one place a field's facts are read from.
 */

/**
 * How each consumer names a unit. Keyed by the unit the reading's keys end in (`suffix`; the unit in lower case
 * unless given), which for the old page's units is also the unit text the PIKO writes after a value cell; a new
 * unit does not compile until it has its DTDL and Home Assistant names. The DTDL names are the QuantitativeTypes
 * extension's (DTDL.quantitativeTypes.v1.md); that extension has no semantic type for a percentage of rated power
 * or a power factor (its only ratio type is RelativeHumidity), so those are plain double telemetry (`dtdl: null`)
 * rather than mislabelled. Home Assistant's device class fixes which units it accepts, so it belongs to the unit,
 * not to the field: `power_factor` takes no unit (or %), and a limitation in % has no device class at all.
 */
export const UNITS = {
  W: { quantity: "power", dtdl: { semantic: "Power", unit: "watt" }, homeAssistant: "power" },
  V: { quantity: "voltage", dtdl: { semantic: "Voltage", unit: "volt" }, homeAssistant: "voltage" },
  A: { quantity: "current", dtdl: { semantic: "Current", unit: "ampere" }, homeAssistant: "current" },
  kWh: { quantity: "energy", dtdl: { semantic: "Energy", unit: "kilowattHour" }, homeAssistant: "energy" },
  Hz: { quantity: "frequency", dtdl: { semantic: "Frequency", unit: "hertz" }, homeAssistant: "frequency" },
  "°C": {
    quantity: "temperature",
    suffix: "c",
    dtdl: { semantic: "Temperature", unit: "degreeCelsius" },
    homeAssistant: "temperature",
  },
  "%": { quantity: "ratio", suffix: "pct", dtdl: null, homeAssistant: null },
  /** cos phi has no unit: its key is the quantity's name, and Home Assistant gets no unit_of_measurement. */
  "": { quantity: "power_factor", suffix: "", dtdl: null, homeAssistant: "power_factor" },
} as const satisfies Record<
  string,
  {
    quantity: string;
    suffix?: string;
    dtdl: { semantic: string; unit: string } | null;
    homeAssistant: string | null;
  }
>;

export type Unit = keyof typeof UNITS;
export type Quantity = (typeof UNITS)[Unit]["quantity"];

/** How a key ends for a unit: `_w`, `_kwh`, `_pct`; nothing for cos phi. */
export function unitSuffix(unit: Unit): string {
  const spec = UNITS[unit];
  const suffix = "suffix" in spec ? spec.suffix : unit.toLowerCase();
  return suffix === "" ? "" : `_${suffix}`;
}

/**
 * The slots a PIKO has several of: DC strings (inputs, "String N" on the page, `IN.STRINGN` in the original's
 * document) and AC phases (outputs, "LN", `OUT.PHASEN`). A model without a slot simply lacks its fields.
 */
export const SLOT_GROUPS = {
  dc: { keyPrefix: "dc", indices: [1, 2, 3], legacy: { section: "IN", prefix: "STRING" } },
  phase: { keyPrefix: "l", indices: [1, 2, 3], legacy: { section: "OUT", prefix: "PHASE" } },
} as const;

export type SlotGroup = keyof typeof SLOT_GROUPS;
export type SlotIndex = (typeof SLOT_GROUPS)[SlotGroup]["indices"][number];
