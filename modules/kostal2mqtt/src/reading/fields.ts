/**
 * The one field table of the normalised reading. It drives the parser's output, the JSON serialiser, the JSON
 * Schema file, per-value topics and Home Assistant discovery, so a field is added here and nowhere else.
 */

export type Unit = "W" | "V" | "A" | "kWh";

type SlotIndex = 1 | 2 | 3;
export type MeasurementKey =
  | "ac_power_w"
  | "energy_today_kwh"
  | "energy_total_kwh"
  | `dc${SlotIndex}_voltage_v`
  | `dc${SlotIndex}_current_a`
  | `l${SlotIndex}_voltage_v`
  | `l${SlotIndex}_power_w`;

export interface MeasurementField {
  /** snake_case key on the wire, ending in its unit. */
  readonly key: MeasurementKey;
  readonly unit: Unit;
  readonly description: string;
  /** Instantaneous values read 0.0 when the inverter shows its off placeholder (`x x x`); counters never do. */
  readonly instantaneous: boolean;
  /** Which DC string (dc) or AC phase (phase) slot the field belongs to; absent for whole-device fields. */
  readonly slot?: { readonly group: "dc" | "phase"; readonly index: 1 | 2 | 3 };
  readonly homeAssistant: {
    readonly deviceClass: "power" | "energy" | "voltage" | "current";
    readonly stateClass: "measurement" | "total_increasing";
  };
}

const SLOT_INDICES = [1, 2, 3] as const;

function dcFields(index: 1 | 2 | 3): MeasurementField[] {
  const slot = { group: "dc", index } as const;
  return [
    {
      key: `dc${index}_voltage_v` as MeasurementKey,
      unit: "V",
      description: `DC string ${index} voltage`,
      instantaneous: true,
      slot,
      homeAssistant: { deviceClass: "voltage", stateClass: "measurement" },
    },
    {
      key: `dc${index}_current_a` as MeasurementKey,
      unit: "A",
      description: `DC string ${index} current`,
      instantaneous: true,
      slot,
      homeAssistant: { deviceClass: "current", stateClass: "measurement" },
    },
  ];
}

function phaseFields(index: 1 | 2 | 3): MeasurementField[] {
  const slot = { group: "phase", index } as const;
  return [
    {
      key: `l${index}_voltage_v` as MeasurementKey,
      unit: "V",
      description: `AC phase L${index} voltage`,
      instantaneous: true,
      slot,
      homeAssistant: { deviceClass: "voltage", stateClass: "measurement" },
    },
    {
      key: `l${index}_power_w` as MeasurementKey,
      unit: "W",
      description: `AC phase L${index} power`,
      instantaneous: true,
      slot,
      homeAssistant: { deviceClass: "power", stateClass: "measurement" },
    },
  ];
}

export const MEASUREMENT_FIELDS: readonly MeasurementField[] = [
  {
    key: "ac_power_w",
    unit: "W",
    description: "AC power fed in now",
    instantaneous: true,
    homeAssistant: { deviceClass: "power", stateClass: "measurement" },
  },
  {
    key: "energy_today_kwh",
    unit: "kWh",
    description: "Energy fed in since the inverter's own start of day",
    instantaneous: false,
    homeAssistant: { deviceClass: "energy", stateClass: "total_increasing" },
  },
  {
    key: "energy_total_kwh",
    unit: "kWh",
    description: "Energy fed in over the inverter's lifetime",
    instantaneous: false,
    homeAssistant: { deviceClass: "energy", stateClass: "total_increasing" },
  },
  ...SLOT_INDICES.flatMap(dcFields),
  ...SLOT_INDICES.flatMap(phaseFields),
];

const FIELDS_BY_KEY = new Map(MEASUREMENT_FIELDS.map((field) => [field.key, field]));

export function measurementField(key: string): MeasurementField | undefined {
  return FIELDS_BY_KEY.get(key as MeasurementKey);
}

type Quantity = "voltage" | "current" | "power";
const QUANTITY_OF_UNIT: Readonly<Partial<Record<Unit, Quantity>>> = {
  V: "voltage",
  A: "current",
  W: "power",
};

/** slot group -> quantity -> index -> key, built once from the table: the page reader asks for every value cell. */
const SLOT_KEYS: Record<"dc" | "phase", Record<Quantity, Array<MeasurementKey | undefined>>> = {
  dc: { voltage: [], current: [], power: [] },
  phase: { voltage: [], current: [], power: [] },
};
for (const field of MEASUREMENT_FIELDS) {
  const quantity = QUANTITY_OF_UNIT[field.unit];
  if (field.slot && quantity) SLOT_KEYS[field.slot.group][quantity][field.slot.index] = field.key;
}

/**
 * The key of a DC string or AC phase quantity, e.g. slotKey("dc", 2, "voltage") = "dc2_voltage_v"; undefined for
 * a quantity the table does not have (a DC power, a phase current).
 */
export function slotKey(
  group: "dc" | "phase",
  index: number,
  quantity: Quantity,
): MeasurementKey | undefined {
  return SLOT_KEYS[group][quantity][index];
}
