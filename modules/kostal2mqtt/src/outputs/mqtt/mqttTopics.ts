import { LEGACY_FIELDS, MEASUREMENT_FIELDS, type LegacyField } from "../../reading/fields.js";
import type { Reading } from "../../reading/reading.js";
import { formatMeasurement } from "../../reading/serialise.js";
import { LEGACY_STATE } from "../../reading/status.js";

/**
 * The topic layout of the stand-alone bridge (`<base>` = MQTT_TOPIC, `<id>` = inverter id) and the payloads that
 * are not the reading itself. No topic ever contains `+` or `#`: ids are sanitised, the base is validated.
 */
export class MqttTopics {
  constructor(
    readonly base: string,
    readonly discoveryPrefix: string,
    private readonly willTopic: string,
  ) {}

  get bridgeState(): string {
    return this.willTopic || `${this.base}/bridge/state`;
  }

  /** The bridge's online/offline, also when MQTT_WILL names another will topic. */
  get bridgeStateDefault(): string {
    return `${this.base}/bridge/state`;
  }

  state(id: string): string {
    return `${this.base}/${safeLevel(id)}/state`;
  }

  availability(id: string): string {
    return `${this.base}/${safeLevel(id)}/availability`;
  }

  status(id: string): string {
    return `${this.base}/${safeLevel(id)}/status`;
  }

  /** The inverter's backfilled history rows and events (not retained: a stream, not a state). */
  history(id: string): string {
    return `${this.base}/${safeLevel(id)}/history`;
  }

  value(id: string, field: string): string {
    return `${this.base}/${safeLevel(id)}/${safeLevel(field)}`;
  }

  /** The original script's single topic. */
  get legacy(): string {
    return this.base;
  }

  discovery(id: string): string {
    return `${this.discoveryPrefix}/device/kostal2mqtt_${safeLevel(id)}/config`;
  }

  get homeAssistantStatus(): string {
    return `${this.discoveryPrefix}/status`;
  }
}

/** One topic level: anything but `[A-Za-z0-9_-]` becomes `_` (ids are validated already; this is the last guard). */
export function safeLevel(text: string): string {
  const level = text.replace(/[^A-Za-z0-9_-]/g, "_");
  return level === "" ? "_" : level;
}

export function isPublishableTopic(topic: string): boolean {
  return topic !== "" && !/[+#\u0000]/.test(topic);
}

type LegacyValue = (reading: Reading) => string;

const number = (value: number | null | undefined): string => formatMeasurement(value ?? null);
const flowing = (value: number | null | undefined): string =>
  value === null || value === undefined ? "null" : value > 0 ? "1" : "0";

/**
 * The original document's text, compiled once from the field table: the fixed text between values, and what goes
 * in each hole. Values are written in the order the original scraped them off the page (each field's page row
 * within its section: actual, total, daily); every slot is present, null when the model has none; a slot's
 * `state` follows its values.
 */
function compileLegacyDocument(): { texts: string[]; values: LegacyValue[] } {
  const holes: LegacyValue[] = [];
  const hole = (value: LegacyValue) => `@@${holes.push(value) - 1}@@`;
  const piko: Record<string, Record<string, unknown>> = {};
  const sections = new Map<string, LegacyField[]>();
  for (const field of LEGACY_FIELDS) {
    const parent = field.legacy.path.slice(0, -1).join(".");
    sections.set(parent, [...(sections.get(parent) ?? []), field]);
  }
  for (const fields of sections.values()) {
    let node: Record<string, unknown> = piko;
    for (const level of fields[0]!.legacy.path.slice(0, -1))
      node = (node[level] ??= {}) as Record<string, unknown>;
    const inPageOrder = [...fields].sort((a, b) => a.page.row - b.page.row);
    for (const field of inPageOrder) node[field.legacy.path.at(-1)!] = hole((r) => number(r[field.key]));
    const state = fields.find((field) => field.legacy.state);
    if (state) node.state = hole((r) => flowing(r[state.key]));
  }
  piko.STATE = {
    string: hole((r) => JSON.stringify(r.status_text)),
    binary: hole((r) => String(LEGACY_STATE[r.status].binary)),
    flag: hole((r) => String(LEGACY_STATE[r.status].flag)),
    debug: "OK",
  };
  const parts = JSON.stringify({ PIKO: piko }).split(/"@@(\d+)@@"/);
  return {
    texts: parts.filter((_, i) => i % 2 === 0),
    values: parts.filter((_, i) => i % 2 === 1).map((index) => holes[Number(index)]!),
  };
}

const LEGACY_DOCUMENT = compileLegacyDocument();

/**
 * The original kostal2mqtt's nested document, so existing Node-RED flows and Telegraf configs keep working:
 * `state` is 1 when current/power > 0; `STATE.flag` 1 off, 2 idle, 3 feeding, 0 other (reading/status.ts).
 */
export function legacyPayload(reading: Reading): string {
  const { texts, values } = LEGACY_DOCUMENT;
  let text = texts[0]!;
  for (let i = 0; i < values.length; i++) text += values[i]!(reading) + texts[i + 1]!;
  return text;
}

/** The per-value topics of a reading: each measurement the reading has, as a plain number. */
export function perValueMessages(reading: Reading): Array<[field: string, payload: string]> {
  return MEASUREMENT_FIELDS.filter((field) => reading[field.key] !== undefined).map((field) => [
    field.key,
    formatMeasurement(reading[field.key] ?? null),
  ]);
}
