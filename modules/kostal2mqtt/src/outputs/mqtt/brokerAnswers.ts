import { OutputUnavailable, PublishRejected } from "../outputErrors.js";

/**
 * What the broker's answers mean for the bridge, as pure functions: reason codes in words, a library error
 * translated to PublishRejected (final for that message) or OutputUnavailable (transient), the size of a PUBLISH
 * on the wire, and what the broker offers (CONNACK). The verdict on a message after a send is the send loop's,
 * shared with edgeHub (outputs/sendLoop.ts), and re-exported here for the MQTT side's readers.
 */

export { verdict, type Verdict } from "../sendLoop.js";

const REASON_NAMES: Readonly<Record<number, string>> = {
  0x80: "unspecified error",
  0x81: "malformed packet",
  0x82: "protocol error",
  0x83: "implementation specific error",
  0x87: "not authorised",
  0x89: "server busy",
  0x8b: "server shutting down",
  0x8d: "keep alive timeout",
  0x8e: "session taken over",
  0x90: "topic name invalid",
  0x91: "packet identifier in use",
  0x93: "receive maximum exceeded",
  0x95: "packet too large",
  0x96: "message rate too high",
  0x97: "quota exceeded",
  0x98: "administrative action",
  0x99: "payload format invalid",
  0x9a: "retain not supported",
  0x9b: "QoS not supported",
  0x9c: "use another server",
  0x9d: "server moved",
};

export const REASON = { notAuthorised: 0x87, takenOver: 0x8e, tooLarge: 0x95, noRetain: 0x9a, noQos: 0x9b };

/** `packet too large (0x95)`; a code MQTT 5 does not define is called unknown, with its number. */
export function reasonText(code: number): string {
  const hex = `0x${code.toString(16).padStart(2, "0")}`;
  const name = REASON_NAMES[code];
  return name === undefined ? `unknown reason code ${hex}` : `${name} (${hex})`;
}

/** The one PUBACK failure after which the same message may go through: the packet id clashed, ours to fix. */
const RETRYABLE_PUBACK = new Set([0x91]);

/**
 * A failed publish as one of the two error types: a reason code of 0x80 or more (PUBACK) is the broker's final
 * word on that message, whether or not we know the code; anything else (connection closed, no answer) is transient.
 */
export function translatePublishError(error: unknown, topic: string): PublishRejected | OutputUnavailable {
  if (error instanceof PublishRejected || error instanceof OutputUnavailable) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "number" && code >= 0x80 && !RETRYABLE_PUBACK.has(code))
    return new PublishRejected(topic, code, `the broker refused it: ${reasonText(code)}`, { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new OutputUnavailable(message, true, { cause: error });
}

function varIntLength(value: number): number {
  return value < 128 ? 1 : value < 16_384 ? 2 : value < 2_097_152 ? 3 : 4;
}

/** The bytes a PUBLISH takes on the wire, to compare with the broker's Maximum Packet Size (MQTT 5 CONNACK). */
export function publishPacketSize(
  topic: string,
  payload: string,
  qos: 0 | 1,
  v5: boolean,
  messageExpiry: boolean,
): number {
  // A v5 property list: the expiry interval is an identifier byte and four bytes.
  const properties = v5 && messageExpiry ? 5 : 0;
  const remaining =
    2 +
    Buffer.byteLength(topic) +
    (qos > 0 ? 2 : 0) +
    (v5 ? varIntLength(properties) + properties : 0) +
    Buffer.byteLength(payload);
  return 1 + varIntLength(remaining) + remaining;
}

/** What the broker takes, as far as we know: it starts as what the bridge asks for and only ever shrinks. */
export interface BrokerOffer {
  maxQos: 0 | 1;
  retain: boolean;
  /** Bytes; null when the broker announced no limit (a 3.1.1 broker never does). */
  maxPacketSize: number | null;
  /** How many QoS 1 messages may await their PUBACK at once. */
  receiveMaximum: number;
}

export const FULL_OFFER: Readonly<BrokerOffer> = {
  maxQos: 1,
  retain: true,
  maxPacketSize: null,
  receiveMaximum: 65_535,
};

export interface ConnackProperties {
  maximumQoS?: number;
  retainAvailable?: boolean;
  maximumPacketSize?: number;
  receiveMaximum?: number;
}

/** The offer after a successful CONNACK: its properties narrow what we knew; absent ones mean no limit. */
export function offerFromConnack(known: BrokerOffer, properties: ConnackProperties | undefined): BrokerOffer {
  return {
    maxQos: properties?.maximumQoS === 0 ? 0 : known.maxQos,
    retain: properties?.retainAvailable === false ? false : known.retain,
    maxPacketSize: properties?.maximumPacketSize ?? null,
    receiveMaximum: properties?.receiveMaximum ?? FULL_OFFER.receiveMaximum,
  };
}

/** A refused CONNECT (MQTT 5 CONNACK) that names what the broker lacks: what to give up to be let in. */
export function lackFromRefusal(code: number): "retain" | "qos" | null {
  return code === REASON.noRetain ? "retain" : code === REASON.noQos ? "qos" : null;
}

/** What the bridge's consumers lose, said once when the broker lacks it. */
export const WHAT_IS_LOST: Readonly<Record<"retain" | "qos", string>> = {
  retain:
    "the broker has no retained messages: publishing without retain; Home Assistant discovery and state survive no restart of Home Assistant, and a new subscriber sees nothing until the next message",
  qos: "the broker offers no QoS 1: publishing with QoS 0; a message in flight when the connection drops is lost",
};
