import { PAGE_LABELS, type Language } from "./languages.js";
import { MODELS, type ModelId } from "./models.js";
import type { InverterValues } from "./solarDay.js";
import { buildTemplate, type PageTemplate, type SlotIndex, type SlotKey } from "./pageTemplate.js";

/**
 * Renders the status page of a simulated PIKO as the device sends it: latin1 bytes, CRLF line ends. The markup of
 * each (model, language) is built once (pageTemplate.ts) and shared by every simulator in the process; a render
 * formats about twenty numbers, splices them between the precomputed runs and encodes the page once.
 */

export interface StringValues {
  readonly voltageV: number;
  readonly currentA: number;
}

export interface PhaseValues {
  readonly voltageV: number;
  readonly powerW: number;
}

/**
 * What the page shows: the inverter's values (when off, the page prints `x x x` instead of AC power and the
 * string/phase values; entries beyond the model's slots are ignored) and who the inverter is.
 */
export interface PageValues extends InverterValues {
  readonly model: ModelId;
  readonly language: Language;
  /** Device name, `[A-Za-z0-9]` (the device allows no other characters). */
  readonly name: string;
  /** RS485 bus address, 1-255. */
  readonly rs485Address: number;
}

/** Device names: the PIKO settings page takes letters and digits only (piko.md). */
export const DEVICE_NAME = /^[A-Za-z0-9]{1,32}$/;

/** What an off page shows for every instantaneous value (`&nbsp` without `;`, as the device writes it). */
export const OFF_PLACEHOLDER = "x x x&nbsp";

const templates = new Map<string, PageTemplate>();

/** The precomputed template of a model and language (built on first use, then shared). */
export function pageTemplate(model: ModelId, language: Language): PageTemplate {
  const key = `${model}/${language}`;
  let template = templates.get(key);
  if (template === undefined) {
    const inverter = MODELS[model];
    const labels = PAGE_LABELS[language];
    if (inverter === undefined || labels === undefined) {
      throw new RangeError(`no PIKO page for model '${model}' in language '${language}'`);
    }
    template = buildTemplate(inverter, labels);
    templates.set(key, template);
  }
  return template;
}

function finite(value: number, what: string): number {
  if (!Number.isFinite(value)) throw new RangeError(`${what} must be a finite number, got ${value}`);
  return value;
}

/** Watts, volts and kWh totals: whole numbers. */
export function formatInteger(value: number, what = "value"): string {
  const rounded = Math.round(finite(value, what));
  return rounded === 0 ? "0" : String(rounded);
}

/** Currents: two decimals. */
export function formatCurrent(value: number, what = "current"): string {
  const text = finite(value, what).toFixed(2);
  return text === "-0.00" ? "0.00" : text;
}

/** Daily energy: two decimals, but a bare `0` when zero (the quirk that broke float patterns elsewhere). */
export function formatDailyEnergy(value: number): string {
  const text = formatCurrent(value, "daily energy");
  return text === "0.00" ? "0" : text;
}

function slotValue<T>(list: readonly T[], index: SlotIndex, what: string): T {
  const entry = list[index - 1];
  if (entry === undefined) throw new RangeError(`no ${what} ${index} values for this model`);
  return entry;
}

type SlotText = (values: PageValues) => string;

function dcText(index: SlotIndex, quantity: "voltage" | "current"): SlotText {
  return (values) => {
    if (values.state === "off") return OFF_PLACEHOLDER;
    const entry = slotValue(values.strings, index, "string");
    return quantity === "voltage"
      ? formatInteger(entry.voltageV, `string ${index} voltage`)
      : formatCurrent(entry.currentA, `string ${index} current`);
  };
}

function phaseText(index: SlotIndex, quantity: "voltage" | "power"): SlotText {
  return (values) => {
    if (values.state === "off") return OFF_PLACEHOLDER;
    const entry = slotValue(values.phases, index, "phase");
    return formatInteger(quantity === "voltage" ? entry.voltageV : entry.powerW, `L${index} ${quantity}`);
  };
}

const SLOT_TEXT: Readonly<Record<SlotKey, SlotText>> = {
  identity: (values) => `${values.name} (${values.rs485Address})`,
  address: (values) => String(values.rs485Address),
  status: (values) => PAGE_LABELS[values.language].states[values.state],
  acPower: (values) =>
    values.state === "off" ? OFF_PLACEHOLDER : formatInteger(values.acPowerW, "AC power"),
  energyTotal: (values) => formatInteger(values.energyTotalKwh, "total energy"),
  energyToday: (values) => formatDailyEnergy(values.energyTodayKwh),
  dc1Voltage: dcText(1, "voltage"),
  dc1Current: dcText(1, "current"),
  dc2Voltage: dcText(2, "voltage"),
  dc2Current: dcText(2, "current"),
  dc3Voltage: dcText(3, "voltage"),
  dc3Current: dcText(3, "current"),
  l1Voltage: phaseText(1, "voltage"),
  l1Power: phaseText(1, "power"),
  l2Voltage: phaseText(2, "voltage"),
  l2Power: phaseText(2, "power"),
  l3Voltage: phaseText(3, "voltage"),
  l3Power: phaseText(3, "power"),
};

function checkIdentity(values: PageValues): void {
  if (!DEVICE_NAME.test(values.name)) {
    throw new RangeError(`device name must be 1-32 letters or digits, got '${values.name}'`);
  }
  const address = values.rs485Address;
  if (!Number.isInteger(address) || address < 1 || address > 255) {
    throw new RangeError(`RS485 address must be an integer 1-255, got ${address}`);
  }
}

/** The status page for these values: latin1 bytes with CRLF line ends, ready to send. */
export function renderStatusPage(values: PageValues): Buffer {
  checkIdentity(values);
  const { statics, slots } = pageTemplate(values.model, values.language);
  // Concatenating ~40 short strings and encoding once measured faster than copying into one buffer piecewise.
  let page = statics[0]!;
  for (let i = 0; i < slots.length; i++) page += SLOT_TEXT[slots[i]!](values) + statics[i + 1]!;
  return Buffer.from(page, "latin1");
}
