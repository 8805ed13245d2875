import type { MeasurementKey } from "../../reading/fields.js";

/**
 * The dxs ids of the newer PIKO API (web UI >= 6, PIKO BA) that the reading is made of (piko.md, "dxs.json").
 * The ids are KOSTAL's; which field each fills, and how its value is scaled into the field's unit, is written here
 * once. An id the field table has no field for yet (battery cycles and direction, operating hours)
 * is not listed: it joins this table together with its field.
 */

/** The operating status; its numbering is the reading's `status_code` (reading/status.ts). */
export const DXS_STATUS_ID = 16780032;

/** Device identity, read into the reading's header. */
export const DXS_IDENTITY_IDS = {
  serial: 16777728,
  name: 16777984,
  firmware: 16779265,
  uiVersion: 16779267,
  type: 16780544,
} as const;

export type IdentityFact = keyof typeof DXS_IDENTITY_IDS;

export interface DxsFieldId {
  readonly id: number;
  readonly key: MeasurementKey;
  /** The device's value divided by this is the field's value: today's yield comes in Wh, the field is kWh. */
  readonly divisor: number;
}

export const DXS_FIELD_IDS: readonly DxsFieldId[] = [
  { id: 67109120, key: "ac_power_w", divisor: 1 },
  { id: 251658754, key: "energy_today_kwh", divisor: 1000 },
  { id: 251658753, key: "energy_total_kwh", divisor: 1 },
  // PV inputs: I, U, P. On a PIKO BA the third input is the battery (piko.md).
  { id: 33555202, key: "dc1_voltage_v", divisor: 1 },
  { id: 33555201, key: "dc1_current_a", divisor: 1 },
  { id: 33555203, key: "dc1_power_w", divisor: 1 },
  { id: 33555458, key: "dc2_voltage_v", divisor: 1 },
  { id: 33555457, key: "dc2_current_a", divisor: 1 },
  { id: 33555459, key: "dc2_power_w", divisor: 1 },
  { id: 33555714, key: "dc3_voltage_v", divisor: 1 },
  { id: 33555713, key: "dc3_current_a", divisor: 1 },
  { id: 33555715, key: "dc3_power_w", divisor: 1 },
  // Grid phases: I, U, P.
  { id: 67109378, key: "l1_voltage_v", divisor: 1 },
  { id: 67109379, key: "l1_power_w", divisor: 1 },
  { id: 67109377, key: "l1_current_a", divisor: 1 },
  { id: 67109634, key: "l2_voltage_v", divisor: 1 },
  { id: 67109635, key: "l2_power_w", divisor: 1 },
  { id: 67109633, key: "l2_current_a", divisor: 1 },
  { id: 67109890, key: "l3_voltage_v", divisor: 1 },
  { id: 67109891, key: "l3_power_w", divisor: 1 },
  { id: 67109889, key: "l3_current_a", divisor: 1 },
  { id: 33556736, key: "dc_power_w", divisor: 1 },
  { id: 67110400, key: "grid_frequency_hz", divisor: 1 },
  { id: 67110656, key: "cos_phi", divisor: 1 },
  { id: 67110144, key: "power_limitation_pct", divisor: 1 },
  // Home: the household behind the energy meter the inverter reads. A device without a meter may answer 0 or
  // garbage floats (piko-dxs/...-garbage-floats-no-sensor.json); the garbage is caught as implausible.
  { id: 83887872, key: "home_consumption_w", divisor: 1 },
  { id: 83886336, key: "home_from_pv_w", divisor: 1 },
  { id: 83886592, key: "home_from_battery_w", divisor: 1 },
  { id: 83886848, key: "home_from_grid_w", divisor: 1 },
  { id: 83888128, key: "self_consumption_w", divisor: 1 },
  // Statistics: the day's counters come in Wh, the lifetime ones in kWh.
  { id: 251659010, key: "home_consumption_today_kwh", divisor: 1000 },
  { id: 251659009, key: "home_consumption_total_kwh", divisor: 1 },
  { id: 251659266, key: "self_consumption_today_kwh", divisor: 1000 },
  { id: 251659265, key: "self_consumption_total_kwh", divisor: 1 },
  // Battery (PIKO BA). Its current comes without a sign; the direction id is not read (its coding is unknown).
  { id: 33556226, key: "battery_voltage_v", divisor: 1 },
  { id: 33556238, key: "battery_current_a", divisor: 1 },
  { id: 33556227, key: "battery_temperature_c", divisor: 1 },
  { id: 33556229, key: "battery_soc_pct", divisor: 1 },
];

export const FIELD_BY_ID: ReadonlyMap<number, DxsFieldId> = new Map(DXS_FIELD_IDS.map((f) => [f.id, f]));

/** Every id the reader makes use of, in a fixed order: what a poll asks for. */
export const READING_IDS: readonly number[] = [
  DXS_STATUS_ID,
  ...Object.values(DXS_IDENTITY_IDS),
  ...DXS_FIELD_IDS.map((f) => f.id),
];
