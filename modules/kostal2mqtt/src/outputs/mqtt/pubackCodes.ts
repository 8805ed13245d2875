import { createRequire } from "node:module";
import { reasonText } from "./brokerAnswers.js";

/**
 * mosquitto 2 answers a PUBLISH over its `message_size_limit` with PUBACK 0x95 (packet too large), a code MQTT 5
 * does not list for PUBACK. mqtt-packet 9 (MQTT.js 5's parser) refuses such a PUBACK as malformed: MQTT.js emits
 * an error naming no message, never settles that publish, and the parser drops the rest of what it was reading,
 * other PUBACKs included. Accepting every failure code (0x80 and up) in PUBACK and PUBREC lets MQTT.js settle the
 * publish with the code as its error, which the output then reads like any other refusal.
 *
 * The table is patched in the copy of mqtt-packet that MQTT.js itself loads (resolved from MQTT.js's folder).
 * Should that fail (another layout), nothing breaks: the send deadline still settles the publish, only without
 * the broker's reason. Returns null when patched, else why not.
 */
export function acceptEveryPubackReasonCode(): string | null {
  try {
    const fromHere = createRequire(import.meta.url);
    const fromMqtt = createRequire(fromHere.resolve("mqtt"));
    const constants = fromMqtt("mqtt-packet/constants") as {
      MQTT5_PUBACK_PUBREC_CODES?: Record<number, string>;
    };
    const codes = constants.MQTT5_PUBACK_PUBREC_CODES;
    if (codes === undefined || typeof codes !== "object") return "mqtt-packet has no PUBACK code table";
    for (let code = 0x80; code <= 0xff; code++) codes[code] ??= reasonText(code);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
