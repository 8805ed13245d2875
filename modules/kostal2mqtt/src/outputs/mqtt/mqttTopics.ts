import { MEASUREMENT_FIELDS } from "../../reading/fields.js";
import type { Reading } from "../../reading/reading.js";
import { formatMeasurement } from "../../reading/serialise.js";

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

/**
 * The original kostal2mqtt's nested document, so existing Node-RED flows and Telegraf configs keep working:
 * `state` is 1 when current/power > 0; `STATE.flag` 1 Aus, 2 Leerlauf, 3 Einspeisen, 0 other, -1 no data.
 */
export function legacyPayload(reading: Reading): string {
  const number = (value: number | null | undefined) => formatMeasurement(value ?? null);
  const flowing = (value: number | null | undefined) =>
    value === null || value === undefined ? "null" : value > 0 ? "1" : "0";
  const slot = (prefix: "dc" | "l", i: number, a: "voltage" | "current" | "power") => {
    const key = `${prefix}${i}_${a}_${a === "voltage" ? "v" : a === "current" ? "a" : "w"}` as keyof Reading;
    return reading[key] as number | null | undefined;
  };
  const strings = [1, 2, 3].map(
    (i) =>
      `"STRING${i}":{"voltage":${number(slot("dc", i, "voltage"))},"current":${number(slot("dc", i, "current"))},` +
      `"state":${flowing(slot("dc", i, "current"))}}`,
  );
  const phases = [1, 2, 3].map(
    (i) =>
      `"PHASE${i}":{"voltage":${number(slot("l", i, "voltage"))},"power":${number(slot("l", i, "power"))},` +
      `"state":${flowing(slot("l", i, "power"))}}`,
  );
  const text = reading.status_text;
  const [binary, flag] = /aus/i.test(text)
    ? ["0", 1]
    : /leerlauf/i.test(text)
      ? ["0", 2]
      : /einspeisen/i.test(text)
        ? ["1", 3]
        : ["null", 0];
  return (
    `{"PIKO":{"ENERGY":{"actual":${number(reading.ac_power_w)},"total":${number(reading.energy_total_kwh)},` +
    `"daily":${number(reading.energy_today_kwh)}},"IN":{${strings.join(",")}},"OUT":{${phases.join(",")}},` +
    `"STATE":{"string":${JSON.stringify(text)},"binary":${binary},"flag":${flag},"debug":"OK"}}}`
  );
}

/** The per-value topics of a reading: each measurement the reading has, as a plain number. */
export function perValueMessages(reading: Reading): Array<[field: string, payload: string]> {
  return MEASUREMENT_FIELDS.filter((field) => reading[field.key] !== undefined).map((field) => [
    field.key,
    formatMeasurement(reading[field.key] ?? null),
  ]);
}
