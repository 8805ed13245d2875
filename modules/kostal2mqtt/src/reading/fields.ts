/**
 * The one field table of the normalised reading (house style point 2, after OpenDTU's per-channel field lists):
 * every fact about a measurement is written here once, and the page interpreter, the JSON serialiser, the JSON
 * Schema, the DTDL model, Home Assistant discovery, the legacy document and the README's table are generated from
 * it. A field is added here and nowhere else; `MeasurementKey` is derived from the table, so code naming a field
 * the table lacks does not compile. The header, which every reading carries whatever the model, is in
 * headerFields.ts.
 */

export {
  HEADER_FIELDS,
  HEADER_KEYS,
  INVERTER_ID_PATTERN,
  SCHEMA_VERSION,
  type ReadingHeader,
} from "./headerFields.js";

import { SLOT_GROUPS, UNITS, type Quantity, type SlotGroup, type SlotIndex, type Unit } from "./units.js";

/** The units and slot groups the table is written in (units.ts), for whoever reads the table. */
export * from "./units.js";

/** The original script's document holds the whole-device values here: `PIKO.ENERGY.<legacy>`. */
const LEGACY_DEVICE_SECTION = "ENERGY";

/** What the table says about one field (or, in a slot block, about that field of every slot). */
interface FieldSpec {
  readonly unit: Unit;
  /** Human name, used as is by Home Assistant (entity name), DTDL and the JSON Schema; `#` is the slot number. */
  readonly description: string;
  /** A counter keeps its value when the inverter is off (and is total_increasing); anything else reads 0.0 then. */
  readonly counter: boolean;
  /** Decimals Home Assistant shows (`suggested_display_precision`). */
  readonly displayPrecision: number;
  /**
   * false for what the inverter measures beyond its own PV conversion (the household, the battery): that goes on
   * while the inverter sleeps, so a sleeping inverter's value is unknown (null), not 0.0. Default true.
   */
  readonly stopsWhenAsleep?: false;
  /** Where the old status page shows the value; absent for a value only the newer interfaces (dxs, MP plus) give. */
  readonly page?: {
    /** The row among the energy rows (Aktuell, Gesamtenergie, Tagesenergie) or within a String/L block. */
    readonly row: number;
    /** The label before the value cell, in the three UI languages (de, en, nl); matched without case. */
    readonly labels: readonly string[];
    /** The PIKO writes whole numbers (0) or up to this many decimals; anything else is unreadable, not guessed. */
    readonly decimals: number;
    /** Zero is written as a bare `0`, not with its decimals (the daily energy: piko.md). */
    readonly bareZero?: true;
  };
  /**
   * The key in the original script's document; `state: true` on the value whose > 0 is the slot's `state`. Absent
   * for a value the original never had: its document keeps the original's shape.
   */
  readonly legacy?: { readonly name: string; readonly state?: boolean };
}

interface DeviceFieldSpec extends FieldSpec {
  readonly key: string;
}

interface SlotBlockSpec {
  readonly group: SlotGroup;
  /** Expanded slot by slot: dc1_voltage_v, dc1_current_a, dc2_voltage_v, ... */
  readonly fields: ReadonlyArray<FieldSpec & { readonly name: string }>;
}

const VOLTAGE_LABELS = ["Spannung", "voltage", "spanning"] as const;

/** Home consumption: what the household uses now, where it comes from, and its counters. */
function homeFields() {
  const power = <Key extends string>(key: Key, description: string) =>
    ({ key, unit: "W", description, counter: false, displayPrecision: 0, stopsWhenAsleep: false }) as const;
  const energy = <Key extends string>(key: Key, description: string) =>
    ({ key, unit: "kWh", description, counter: true, displayPrecision: 2 }) as const;
  return [
    power("home_consumption_w", "Power the household uses now"),
    power("home_from_pv_w", "Household power covered by the PV generator now"),
    power("home_from_battery_w", "Household power covered by the battery now"),
    power("home_from_grid_w", "Household power drawn from the grid now"),
    power("self_consumption_w", "PV power used in the household now"),
    energy("home_consumption_today_kwh", "Energy the household used since the inverter's start of day"),
    energy("home_consumption_total_kwh", "Energy the household used over the meter's lifetime"),
    energy("self_consumption_today_kwh", "PV energy used in the household since the inverter's start of day"),
    energy("self_consumption_total_kwh", "PV energy used in the household over the meter's lifetime"),
  ] as const;
}

/** The table, in the order fields are written in a reading. */
const FIELD_TABLE = [
  {
    key: "ac_power_w",
    unit: "W",
    description: "AC power fed in now",
    counter: false,
    displayPrecision: 0,
    page: { row: 0, labels: ["aktuell", "current", "actueel"], decimals: 0 },
    legacy: { name: "actual" },
  },
  {
    key: "energy_today_kwh",
    unit: "kWh",
    description: "Energy fed in since the inverter's own start of day",
    counter: true,
    displayPrecision: 2,
    page: { row: 2, labels: ["Tagesenergie", "daily energy", "dagenergie"], decimals: 2, bareZero: true },
    legacy: { name: "daily" },
  },
  {
    key: "energy_total_kwh",
    unit: "kWh",
    description: "Energy fed in over the inverter's lifetime",
    counter: true,
    displayPrecision: 2,
    page: { row: 1, labels: ["Gesamtenergie", "total energy", "totale energie"], decimals: 0 },
    legacy: { name: "total" },
  },
  {
    group: "dc",
    fields: [
      {
        name: "voltage_v",
        unit: "V",
        description: "DC string # voltage",
        counter: false,
        displayPrecision: 0,
        page: { row: 0, labels: VOLTAGE_LABELS, decimals: 0 },
        legacy: { name: "voltage" },
      },
      {
        name: "current_a",
        unit: "A",
        description: "DC string # current",
        counter: false,
        displayPrecision: 2,
        page: { row: 1, labels: ["Strom", "current", "stroom"], decimals: 2 },
        legacy: { name: "current", state: true },
      },
      {
        name: "power_w",
        unit: "W",
        description: "DC string # power",
        counter: false,
        displayPrecision: 0,
      },
    ],
  },
  {
    group: "phase",
    fields: [
      {
        name: "voltage_v",
        unit: "V",
        description: "AC phase L# voltage",
        counter: false,
        displayPrecision: 0,
        page: { row: 0, labels: VOLTAGE_LABELS, decimals: 0 },
        legacy: { name: "voltage" },
      },
      {
        name: "power_w",
        unit: "W",
        description: "AC phase L# power",
        counter: false,
        displayPrecision: 0,
        page: { row: 1, labels: ["Leistung", "power", "vermogen"], decimals: 0 },
        legacy: { name: "power", state: true },
      },
      {
        name: "current_a",
        unit: "A",
        description: "AC phase L# current",
        counter: false,
        displayPrecision: 2,
      },
    ],
  },
  // Values the old page never shows (dxs.json, MP plus): after every field it has, so its readings keep their order.
  {
    key: "dc_power_w",
    unit: "W",
    description: "DC power of all strings together",
    counter: false,
    displayPrecision: 0,
  },
  {
    key: "grid_frequency_hz",
    unit: "Hz",
    description: "Grid frequency",
    counter: false,
    displayPrecision: 2,
  },
  {
    key: "cos_phi",
    unit: "",
    description: "Power factor (cos phi) of the AC output",
    counter: false,
    displayPrecision: 2,
  },
  {
    key: "power_limitation_pct",
    unit: "%",
    description: "Output limited to this share of the rated power (100 when not limited)",
    counter: false,
    displayPrecision: 0,
  },
  // The household behind an energy meter the inverter reads, and a PIKO BA's battery (dxs.json only).
  ...homeFields(),
  {
    key: "battery_voltage_v",
    unit: "V",
    description: "Battery voltage",
    counter: false,
    displayPrecision: 1,
    stopsWhenAsleep: false,
  },
  {
    key: "battery_current_a",
    unit: "A",
    description: "Battery current, charging or discharging (the device gives no sign)",
    counter: false,
    displayPrecision: 2,
    stopsWhenAsleep: false,
  },
  {
    key: "battery_temperature_c",
    unit: "°C",
    description: "Battery temperature",
    counter: false,
    displayPrecision: 1,
    stopsWhenAsleep: false,
  },
  {
    key: "battery_soc_pct",
    unit: "%",
    description: "Battery state of charge",
    counter: false,
    displayPrecision: 0,
    stopsWhenAsleep: false,
  },
] as const satisfies ReadonlyArray<DeviceFieldSpec | SlotBlockSpec>;

type KeysOf<Entry> = Entry extends { readonly key: infer Key extends string }
  ? Key
  : Entry extends { readonly group: infer G extends SlotGroup; readonly fields: ReadonlyArray<infer F> }
    ? F extends { readonly name: infer Name extends string }
      ? `${(typeof SLOT_GROUPS)[G]["keyPrefix"]}${(typeof SLOT_GROUPS)[G]["indices"][number]}_${Name}`
      : never
    : never;

/** Every key a reading can carry besides the header, derived from the table. */
export type MeasurementKey = KeysOf<(typeof FIELD_TABLE)[number]>;

/** One field of the reading, with every fact the table gives and those that follow from its unit. */
export interface MeasurementField {
  /** snake_case key on the wire, ending in its unit. */
  readonly key: MeasurementKey;
  /** The table row it comes from: the field itself, or for slot fields all slots (`dc#_voltage_v`, "DC string voltage"). */
  readonly family: { readonly key: string; readonly description: string };
  readonly unit: Unit;
  readonly quantity: Quantity;
  readonly description: string;
  /** Instantaneous values read 0.0 when the inverter shows its off placeholder (`x x x`); counters never do. */
  readonly instantaneous: boolean;
  /** An instantaneous value that is 0.0 while the inverter sleeps (its own power, voltages, currents). */
  readonly zeroWhenAsleep: boolean;
  /** Which DC string (dc) or AC phase (phase) slot the field belongs to; absent for whole-device fields. */
  readonly slot?: { readonly group: SlotGroup; readonly index: SlotIndex };
  /** Where the old status page shows it; undefined for a value only the newer interfaces give. */
  readonly page: FieldSpec["page"];
  /** Its DTDL semantic type and unit; null where the QuantitativeTypes extension has none (plain double). */
  readonly dtdl: { readonly semantic: string; readonly unit: string } | null;
  readonly homeAssistant: {
    /** unit_of_measurement; absent for cos phi, which has none. */
    readonly unit?: Unit;
    /** device_class; absent where Home Assistant has none for the quantity (a percentage of rated power). */
    readonly deviceClass?: NonNullable<(typeof UNITS)[Unit]["homeAssistant"]>;
    readonly stateClass: "measurement" | "total_increasing";
    readonly displayPrecision: number;
  };
  /** Path in the original script's document below `PIKO`, and whether its > 0 is the slot's `state`; absent for
   * a value the original never had. */
  readonly legacy?: { readonly path: readonly string[]; readonly state: boolean };
}

function field(
  spec: FieldSpec,
  key: string,
  slot?: MeasurementField["slot"] & { readonly familyKey: string },
): MeasurementField {
  const unit = UNITS[spec.unit];
  const legacySlot = slot && SLOT_GROUPS[slot.group].legacy;
  return {
    key: key as MeasurementKey,
    family: slot
      ? { key: slot.familyKey, description: spec.description.replace(/ \S*#/, "") }
      : { key, description: spec.description },
    unit: spec.unit,
    quantity: unit.quantity,
    description: slot ? spec.description.replace("#", String(slot.index)) : spec.description,
    instantaneous: !spec.counter,
    zeroWhenAsleep: !spec.counter && spec.stopsWhenAsleep !== false,
    ...(slot && { slot: { group: slot.group, index: slot.index } }),
    page: spec.page,
    dtdl: unit.dtdl,
    homeAssistant: {
      ...(spec.unit !== "" && { unit: spec.unit }),
      ...(unit.homeAssistant !== null && { deviceClass: unit.homeAssistant }),
      stateClass: spec.counter ? "total_increasing" : "measurement",
      displayPrecision: spec.displayPrecision,
    },
    ...(spec.legacy && {
      legacy: {
        path: legacySlot
          ? [legacySlot.section, `${legacySlot.prefix}${slot.index}`, spec.legacy.name]
          : [LEGACY_DEVICE_SECTION, spec.legacy.name],
        state: spec.legacy.state === true,
      },
    }),
  };
}

function expand(table: ReadonlyArray<DeviceFieldSpec | SlotBlockSpec>): MeasurementField[] {
  const fields: MeasurementField[] = [];
  for (const entry of table) {
    if ("key" in entry) {
      fields.push(field(entry, entry.key));
      continue;
    }
    const { keyPrefix, indices } = SLOT_GROUPS[entry.group];
    for (const index of indices) {
      for (const spec of entry.fields) {
        const slot = { group: entry.group, index, familyKey: `${keyPrefix}#_${spec.name}` };
        fields.push(field(spec, `${keyPrefix}${index}_${spec.name}`, slot));
      }
    }
  }
  return fields;
}

/** Every measurement field, in the order a reading writes them. */
export const MEASUREMENT_FIELDS: readonly MeasurementField[] = expand(FIELD_TABLE);

const FIELDS_BY_KEY = new Map(MEASUREMENT_FIELDS.map((f) => [f.key as string, f]));

export function measurementField(key: string): MeasurementField | undefined {
  return FIELDS_BY_KEY.get(key);
}

/** A field the old status page shows: its reader, the legacy document and the schema's required keys use these. */
export type PageField = MeasurementField & { readonly page: NonNullable<MeasurementField["page"]> };

/** A field of the original script's document (all of them are on the old page). */
export type LegacyField = PageField & { readonly legacy: NonNullable<MeasurementField["legacy"]> };

const onPage = (f: MeasurementField): f is PageField => f.page !== undefined;

/** The fields the old status page has, in reading order. */
export const PAGE_FIELDS: readonly PageField[] = MEASUREMENT_FIELDS.filter(onPage);

/** The fields of the original script's document, in reading order. */
export const LEGACY_FIELDS: readonly LegacyField[] = PAGE_FIELDS.filter((f): f is LegacyField => !!f.legacy);

/**
 * The whole-device fields of the old page (no slot), which every model shows: a reading always carries them.
 * Whole-device values only the newer interfaces give (dc_power_w, grid_frequency_hz, ...) are not among them.
 */
export const DEVICE_FIELDS: readonly PageField[] = PAGE_FIELDS.filter((f) => !f.slot);

/** group -> index -> that slot's page fields in table order, built once: the page reader asks for them per page. */
const SLOT_FIELDS = new Map<SlotGroup, Array<PageField[] | undefined>>();
for (const f of PAGE_FIELDS) {
  if (!f.slot) continue;
  const byIndex = SLOT_FIELDS.get(f.slot.group) ?? [];
  SLOT_FIELDS.set(f.slot.group, byIndex);
  (byIndex[f.slot.index] ??= []).push(f);
}

const NO_FIELDS: readonly PageField[] = [];

/**
 * The page fields of one DC string or AC phase, e.g. slotFields("dc", 2) = dc2_voltage_v, dc2_current_a (not
 * dc2_power_w, which only the newer interfaces give).
 */
export function slotFields(group: SlotGroup, index: number): readonly PageField[] {
  return SLOT_FIELDS.get(group)?.[index] ?? NO_FIELDS;
}

/** The field of a slot quantity, e.g. slotField("dc", 2, "voltage") = dc2_voltage_v; undefined when none. */
export function slotField(group: SlotGroup, index: number, quantity: Quantity): PageField | undefined {
  for (const f of slotFields(group, index)) if (f.quantity === quantity) return f;
  return undefined;
}
