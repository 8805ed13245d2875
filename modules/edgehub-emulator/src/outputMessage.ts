/**
 * A device-to-cloud message as edgeHub receives it from a module: the system properties the SDK encodes as
 * `$.xx` keys in the topic (azure-iot-device-mqtt mqtt.ts `_getEventTopicFromMessage`), the application
 * properties, and the body, exactly as sent.
 */
import { decodePropertyBag } from "./iothubTopics.js";

export interface OutputMessage {
  /** Position in the emulator's log, from 1; keeps counting across restarts. */
  readonly sequence: number;
  readonly deviceId: string;
  readonly moduleId: string;
  /** `$.on`: the output name of `sendOutputEvent`; undefined for `sendEvent`. */
  readonly output: string | undefined;
  readonly messageId: string | undefined;
  readonly correlationId: string | undefined;
  readonly userId: string | undefined;
  readonly contentType: string | undefined;
  readonly contentEncoding: string | undefined;
  /** `$.ctime`, else the `iothub-creation-time-utc` application property, as sent (not parsed). */
  readonly creationTimeUtc: string | undefined;
  readonly expiryTimeUtc: string | undefined;
  /** Application properties (last value wins for a repeated key), including `iothub-creation-time-utc`. */
  readonly properties: Readonly<Record<string, string>>;
  /** Every `$.`-prefixed key as sent, including the ones mapped to fields above. */
  readonly systemProperties: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** The MQTT QoS the module used (the SDK sends telemetry at QoS 1). */
  readonly qos: number;
  readonly topic: string;
  readonly receivedAt: Date;
}

export interface RawOutputMessage {
  sequence: number;
  deviceId: string;
  moduleId: string;
  topic: string;
  propertyBag: string;
  payload: Buffer;
  qos: number;
  receivedAt: Date;
}

export function toOutputMessage(raw: RawOutputMessage): OutputMessage {
  const properties: Record<string, string> = {};
  const systemProperties: Record<string, string> = {};
  for (const [key, value] of decodePropertyBag(raw.propertyBag)) {
    if (key.startsWith("$.")) systemProperties[key] = value;
    else properties[key] = value;
  }
  return {
    sequence: raw.sequence,
    deviceId: raw.deviceId,
    moduleId: raw.moduleId,
    output: systemProperties["$.on"],
    messageId: systemProperties["$.mid"],
    correlationId: systemProperties["$.cid"],
    userId: systemProperties["$.uid"],
    contentType: systemProperties["$.ct"],
    contentEncoding: systemProperties["$.ce"],
    creationTimeUtc: systemProperties["$.ctime"] ?? properties["iothub-creation-time-utc"],
    expiryTimeUtc: systemProperties["$.exp"],
    properties,
    systemProperties,
    body: Buffer.from(raw.payload), // a copy: the broker may reuse its buffers
    qos: raw.qos,
    topic: raw.topic,
    receivedAt: raw.receivedAt,
  };
}

/** The body parsed as UTF-8 JSON (throws a SyntaxError if it is not JSON). */
export function parseJsonBody(message: OutputMessage): unknown {
  return JSON.parse(message.body.toString("utf8")) as unknown;
}
