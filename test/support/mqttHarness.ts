import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import type { MqttConfig } from "../../modules/kostal2mqtt/src/config/schema.js";
import { createLogger } from "../../modules/kostal2mqtt/src/log/logger.js";
import type { Entry } from "../../modules/kostal2mqtt/src/outputs/deliveryQueue.js";
import {
  MqttOutput,
  type MqttMessage,
  type MqttOutputOptions,
} from "../../modules/kostal2mqtt/src/outputs/mqtt/mqttOutput.js";
import type { Reading } from "../../modules/kostal2mqtt/src/reading/reading.js";
import { StateFile } from "../../modules/kostal2mqtt/src/lib/stateFile.js";
import { assertValidReading, checkReadingLater } from "./readingSchema.js";
import { until } from "./until.js";

/** The MQTT output in-process against a broker on `port`, its log lines kept for assertions. */

export function mqttConfig(port: number, extra: Partial<MqttConfig> = {}): MqttConfig {
  return {
    host: "127.0.0.1",
    port,
    topic: "KOSTAL",
    username: "",
    password: "",
    clientId: "",
    keepaliveSeconds: 60,
    will: "",
    tls: false,
    caFile: "",
    certFile: "",
    keyFile: "",
    tlsInsecure: false,
    perValueTopics: false,
    payloadFormat: "json",
    discovery: true,
    discoveryPrefix: "homeassistant",
    messageExpirySeconds: 3600,
    ...extra,
  };
}

export interface Harness {
  output: MqttOutput;
  lines: string[];
  /** When each line was written (performance.now(), the monotonic clock). */
  lineTimes: number[];
  dataDir: string;
  /** Warning and error lines. */
  problems(): string[];
  waitConnected(timeoutMs?: number): Promise<void>;
}

/**
 * An output with its own data folder (as `run` gives it: the persisted queue lives there); `options` injects what
 * the output lets a test choose (e.g. a short publish deadline).
 */
export function mqttHarness(
  config: MqttConfig,
  dataDir = mkdtempSync(join(tmpdir(), "k2m-data-")),
  options: MqttOutputOptions = {},
): Harness {
  const lines: string[] = [];
  const lineTimes: number[] = [];
  const write = (line: string) => {
    lines.push(line);
    lineTimes.push(performance.now());
  };
  const log = createLogger({ level: "debug", write });
  const file = new StateFile<Array<Entry<MqttMessage>>>(dataDir, "queue-mqtt.json", write);
  const output = new MqttOutput(
    config,
    log,
    { maxItems: 1000, maxAgeMs: 3600_000 },
    { file, everyMs: 60_000 },
    options,
  );
  return {
    output,
    lines,
    lineTimes,
    dataDir,
    problems: () => lines.filter((line) => /\[(WRN|ERR)\]/.test(line)),
    waitConnected: async (timeoutMs = 10_000) => {
      await eventually(
        () => (output.health().state === "connected" ? true : undefined),
        timeoutMs,
        () => `the output connected; log:\n${lines.join("\n")}`,
      );
    },
  };
}

/** A PIKO 8.3 reading (three phases, three strings): its discovery document is about 5.6 KB. */
export function reading(tsMs: number, inverter = "dach"): Reading {
  const made: Reading = {
    schema_version: 1,
    inverter,
    model: "PIKO 8.3",
    name: "piko",
    rs485_address: 255,
    ts: new Date(tsMs).toISOString(),
    ts_ms: tsMs,
    status: "feeding_mpp",
    status_code: 3,
    status_text: "Einspeisen MPP",
    ac_power_w: 4120,
    energy_today_kwh: 21.3,
    energy_total_kwh: 69424,
    dc1_voltage_v: 512,
    dc1_current_a: 3.1,
    dc2_voltage_v: 498,
    dc2_current_a: 2.9,
    dc3_voltage_v: 0,
    dc3_current_a: 0,
    l1_voltage_v: 231,
    l1_power_w: 1370,
    l2_voltage_v: 232,
    l2_power_w: 1375,
    l3_voltage_v: 230,
    l3_power_w: 1375,
  };
  assertValidReading(made, "mqttHarness reading()");
  return made;
}

/** `<base>/<id>/state` carries the reading as a JSON object; `<base>/bridge/state` says online/offline. */
const isReadingMessage = (topic: string, payload: string) =>
  topic.endsWith("/state") && !topic.endsWith("/bridge/state") && payload.startsWith("{");

export interface Received {
  topic: string;
  payload: string;
  retain: boolean;
  qos: number;
}

/** A client that records what arrives on `topics`. */
export async function subscriber(
  url: string,
  topics: string[],
  options: mqtt.IClientOptions = {},
): Promise<{ client: MqttClient; messages: Received[] }> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, ...options });
  const messages: Received[] = [];
  client.on("message", (topic, payload, packet) => {
    const text = payload.toString("utf8");
    // What the output really sent must be a valid reading.
    if (isReadingMessage(topic, text)) checkReadingLater(text, `payload on ${topic}`);
    messages.push({ topic, payload: text, retain: packet.retain, qos: packet.qos });
  });
  await client.subscribeAsync(topics, { qos: 0 });
  return { client, messages };
}

/** Resolves with the first message on `topic` whose payload contains `text`. */
export function arrival(
  messages: Received[],
  topic: string,
  text = "",
  timeoutMs = 10_000,
): Promise<Received> {
  return until(
    () => messages.find((m) => m.topic === topic && m.payload.includes(text)),
    timeoutMs,
    `a message on ${topic} containing '${text}'`,
  );
}

/** `until`, with a description made when it times out (so it can show the log as it is then). */
export async function eventually<T>(
  check: () => T | undefined,
  timeoutMs: number,
  describe: () => string,
): Promise<T> {
  try {
    return await until(check, timeoutMs, "the condition");
  } catch (error) {
    throw new Error(`${(error as Error).message}: ${describe()}`, { cause: error });
  }
}

/** How long `action` took, in ms (monotonic clock). */
export async function timed(action: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await action();
  return performance.now() - start;
}
