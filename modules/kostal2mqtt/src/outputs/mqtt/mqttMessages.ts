import type { MqttConfig } from "../../config/schema.js";
import type { Reading } from "../../reading/reading.js";
import { serialiseReading } from "../../reading/serialise.js";
import type { BridgeEvent, HistoryMessage, InverterStatusReport } from "../../ports/output.js";
import { isPublishableTopic, legacyPayload, perValueMessages, type MqttTopics } from "./mqttTopics.js";
import type { MqttMessage } from "./publisher.js";

const ONLINE_STATES = new Set(["producing", "idle"]);

/**
 * Whether a persisted queue entry is a message this output may send: the shape MqttMessage says and a topic
 * without wildcards (a bad topic read back from disk would otherwise make the broker drop the connection).
 */
export function isMqttMessage(item: unknown): item is MqttMessage {
  if (typeof item !== "object" || item === null) return false;
  const m = item as Record<string, unknown>;
  return (
    typeof m.topic === "string" &&
    isPublishableTopic(m.topic) &&
    typeof m.payload === "string" &&
    typeof m.retain === "boolean" &&
    typeof m.expires === "boolean"
  );
}

/**
 * The messages of a reading: the retained state document, the original's legacy document, the per-value topics,
 * as configured. Readings expire (MQTT 5) so that a late subscriber is not handed stale data as live.
 */
export function readingMessages(
  topics: MqttTopics,
  config: Pick<MqttConfig, "payloadFormat" | "perValueTopics">,
  reading: Reading,
): MqttMessage[] {
  const id = reading.inverter;
  const messages: MqttMessage[] = [];
  if (config.payloadFormat !== "legacy")
    messages.push({
      topic: topics.state(id),
      payload: serialiseReading(reading),
      retain: true,
      expires: true,
    });
  if (config.payloadFormat !== "json")
    messages.push({ topic: topics.legacy, payload: legacyPayload(reading), retain: false, expires: true });
  if (config.perValueTopics) {
    for (const [field, value] of perValueMessages(reading))
      messages.push({ topic: topics.value(id, field), payload: value, retain: true, expires: true });
  }
  return messages;
}

/** An inverter's retained availability and status; none while it is starting. */
export function statusMessages(topics: MqttTopics, status: InverterStatusReport): MqttMessage[] {
  const { inverter: id, state, since, last_seen, message } = status;
  if (state === "starting") return [];
  const availability = ONLINE_STATES.has(state) ? "online" : "offline";
  return [
    { topic: topics.availability(id), payload: availability, retain: true, expires: false },
    {
      topic: topics.status(id),
      payload: JSON.stringify({ state, since, last_seen, message }),
      retain: true,
      expires: false,
    },
  ];
}

export function eventMessage(topics: MqttTopics, event: BridgeEvent): MqttMessage {
  const payload = JSON.stringify({ ...event, inverter: event.subject ?? null });
  return { topic: `${topics.base}/bridge/event`, payload, retain: false, expires: false };
}

/** A history entry: QoS as configured, never retained, never expiring (it is dated, not live). */
export function historyMessage(topics: MqttTopics, message: HistoryMessage): MqttMessage {
  return { topic: topics.history(message.inverter), payload: message.payload, retain: false, expires: false };
}
