import { measurementField, type MeasurementKey } from "../../reading/fields.js";
import type { PageContent } from "../../reading/reading.js";
import { PageFormat } from "../errors.js";
import { plausibleValue } from "../plausibleValues.js";
import { readXmlElements, type XmlElement } from "./xmlElements.js";

/**
 * Reads a PIKO MP / MP plus XML document (`/all.xml`, `/measurements.xml`, `/yields.xml`, ...) into the content
 * of a reading, the same PageContent the old status page gives. Pure: no I/O.
 *
 * MP plus devices feed one phase, so `AC_*` is L1, and the AC power is L1's power too (as the old page of the
 * single-phase PIKO 3.6 shows both). A one-tracker model writes `DC_Voltage`, a two-tracker one `DC_Voltage1`/`2`.
 * `Derating` (100.0 on every sample, feeding or not) is read as the power limitation, like dxs id 67110144: the
 * share of rated power the output may reach (inferred). Types the field table has no field for yet (Temp,
 * LINK_Voltage, Grid*) are not read; they join this table together with their fields.
 */

export interface MpplusContent extends PageContent {
  /** The serial as the device writes it, when it does (the reading's id may default to it). */
  identity: { serial?: string; firmware?: string };
}

/** Measurement Type -> the fields it fills and the unit the device must have written. */
const MEASUREMENTS: ReadonlyMap<string, { readonly keys: readonly MeasurementKey[]; readonly unit: string }> =
  new Map([
    ["AC_Power", { keys: ["ac_power_w", "l1_power_w"], unit: "W" }],
    ["AC_Voltage", { keys: ["l1_voltage_v"], unit: "V" }],
    ["AC_Current", { keys: ["l1_current_a"], unit: "A" }],
    ["AC_Frequency", { keys: ["grid_frequency_hz"], unit: "Hz" }],
    ["Derating", { keys: ["power_limitation_pct"], unit: "%" }],
    ["DC_Power Total", { keys: ["dc_power_w"], unit: "W" }],
    ["DC_Power1", { keys: ["dc1_power_w"], unit: "W" }],
    ["DC_Power2", { keys: ["dc2_power_w"], unit: "W" }],
    ["DC_Power3", { keys: ["dc3_power_w"], unit: "W" }],
    ["DC_Voltage", { keys: ["dc1_voltage_v"], unit: "V" }],
    ["DC_Current", { keys: ["dc1_current_a"], unit: "A" }],
    ["DC_Voltage1", { keys: ["dc1_voltage_v"], unit: "V" }],
    ["DC_Current1", { keys: ["dc1_current_a"], unit: "A" }],
    ["DC_Voltage2", { keys: ["dc2_voltage_v"], unit: "V" }],
    ["DC_Current2", { keys: ["dc2_current_a"], unit: "A" }],
    ["DC_Voltage3", { keys: ["dc3_voltage_v"], unit: "V" }],
    ["DC_Current3", { keys: ["dc3_current_a"], unit: "A" }],
  ]);

/** Yield units the total may come in, as the divisor into kWh. */
const YIELD_DIVISORS: ReadonlyMap<string, number> = new Map([
  ["Wh", 1000],
  ["kWh", 1],
]);

/** The device writes plain decimals (`226.2`, `50.000`); anything else (`nan`, `1e3`) is not a value it means. */
const DECIMAL = /^-?\d{1,12}(?:\.\d{1,9})?$/;

function number(text: string | undefined, where: string, warnings: string[]): number | null {
  if (text === undefined) return null; // a Measurement without Value: the device has no value now
  if (DECIMAL.test(text.trim())) return Number(text.trim());
  warnings.push(`${where}: '${text.slice(0, 20)}' is not a number`);
  return null;
}

function setValue(
  values: Map<MeasurementKey, number | null>,
  key: MeasurementKey,
  value: number | null,
  warnings: string[],
): void {
  if (values.has(key)) {
    warnings.push(`${key}: given twice, the second ignored`);
    return;
  }
  values.set(key, value === null ? null : plausibleValue(value, measurementField(key)!.unit, key, warnings));
}

function readMeasurement(
  element: XmlElement,
  values: Map<MeasurementKey, number | null>,
  warnings: string[],
): void {
  const type = element.attributes.get("Type") ?? "";
  const known = MEASUREMENTS.get(type);
  if (!known) return;
  const unit = element.attributes.get("Unit");
  if (unit !== known.unit) {
    // A value in another unit would be a guess at its scale; it is no value instead.
    warnings.push(`Measurement ${type}: unit '${unit ?? ""}', expected '${known.unit}'`);
    for (const key of known.keys) setValue(values, key, null, warnings);
    return;
  }
  const value = number(element.attributes.get("Value"), `Measurement ${type}`, warnings);
  for (const key of known.keys) setValue(values, key, value, warnings);
}

function readTotalYield(
  yieldElement: XmlElement,
  value: XmlElement | undefined,
  values: Map<MeasurementKey, number | null>,
  warnings: string[],
): void {
  const { attributes } = yieldElement;
  if (attributes.get("Type") !== "Produced" || attributes.get("Slot") !== "Total" || value === undefined)
    return;
  const divisor = YIELD_DIVISORS.get(attributes.get("Unit") ?? "");
  if (divisor === undefined) {
    warnings.push(`Yield Produced Total: unit '${attributes.get("Unit") ?? ""}', expected Wh or kWh`);
    setValue(values, "energy_total_kwh", null, warnings);
    return;
  }
  const raw = number(value.attributes.get("Value"), "Yield Produced Total", warnings);
  setValue(values, "energy_total_kwh", raw === null ? null : raw / divisor, warnings);
}

/** The content of one MP plus document; throws PageFormat when it is not one. */
export function readMpplusDocument(text: string): MpplusContent {
  const document = readXmlElements(text);
  const warnings = [...document.warnings];
  const device = document.elements.find((e) => e.name === "Device");
  if (!device || !/PIKO|MP/i.test(device.attributes.get("Name") ?? "")) {
    throw new PageFormat(
      `expected a PIKO MP plus document with a <Device Name="PIKO ..."> element, found none`,
    );
  }
  const values = new Map<MeasurementKey, number | null>();
  let statusText = "";
  let firmware: string | undefined;
  document.elements.forEach((element, index) => {
    if (element.name === "Measurement") readMeasurement(element, values, warnings);
    else if (element.name === "Yield") {
      const next = document.elements[index + 1];
      readTotalYield(element, next?.name === "YieldValue" ? next : undefined, values, warnings);
    } else if (element.name === "State") statusText = element.attributes.get("Value") ?? "";
    else if (
      element.name === "Software" &&
      element.attributes.get("Device") === "HMI" &&
      element.attributes.get("Name") === "APP"
    ) {
      firmware = element.attributes.get("Version");
    }
  });
  if (values.size === 0 && statusText === "") {
    throw new PageFormat(`expected Measurement, Yield or State elements in the MP plus document, found none`);
  }
  const busText = device.attributes.get("BusAddress")?.trim() ?? "";
  const bus = /^\d{1,3}$/.test(busText) ? Number(busText) : -1;
  const serial = device.attributes.get("Serial")?.trim();
  return {
    model: device.attributes.get("Name")!.trim(),
    name: device.attributes.get("NetBiosName")?.trim() ?? "",
    // The header needs an address; 255 is the factory default when the document has none that fits.
    rs485Address: bus >= 0 && bus <= 255 ? bus : 255,
    statusText,
    values,
    warnings,
    identity: { ...(serial ? { serial } : {}), ...(firmware ? { firmware } : {}) },
  };
}
