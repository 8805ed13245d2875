import type { MqttClient } from "mqtt";
import type { Logger } from "../../log/logger.js";
import { PublishRejected } from "../outputErrors.js";
import type { MqttMessage } from "./publisher.js";

/** How long a retained message may take to come back before it counts as dropped. */
const READ_BACK_MS = 5000;
/** SUBACK's failure code in MQTT 3.1.1. */
const SUBSCRIBE_FAILED = 0x80;

/**
 * MQTT 3.1.1 has no reason code in PUBACK: mosquitto acknowledges a PUBLISH that its ACL denies or that is over
 * its message_size_limit, and drops it without a word. On a 3.1.1 connection, the first retained message to each
 * topic is therefore read back: the bridge subscribes to that topic, and the broker's retained copy must be one the
 * bridge sent since. A topic whose copy does not come back is reported once as a refusal, with what may be the
 * cause (a broker that lets us write a topic but not read it looks the same, and the line says so).
 */
export class ReadBack {
  private client: MqttClient | null = null;
  private readonly pending = new Map<string, { payloads: Set<string>; timer?: NodeJS.Timeout }>();
  /** Read back on this connection. */
  private readonly confirmed = new Set<string>();
  /** Reported: never checked again. */
  private readonly reported = new Set<string>();

  constructor(
    private readonly log: Logger,
    private readonly onDropped: (rejection: PublishRejected, message: MqttMessage) => void,
    private readonly waitMs = READ_BACK_MS,
  ) {}

  /** A new connection: checked only when it is MQTT 3.1.1 and retained messages exist on the broker. */
  connected(client: MqttClient, needed: boolean): void {
    this.disconnected();
    this.confirmed.clear();
    this.client = needed ? client : null;
  }

  /** Checks in progress end with the connection; the subscriptions they made are withdrawn. */
  disconnected(): void {
    for (const [topic, check] of this.pending) {
      clearTimeout(check.timer);
      this.client?.unsubscribe(topic);
    }
    this.pending.clear();
    this.client = null;
  }

  /** The broker acknowledged `message`. */
  acknowledged(message: MqttMessage): void {
    const { topic, payload } = message;
    const client = this.client;
    if (client === null || !message.retain || this.confirmed.has(topic) || this.reported.has(topic)) return;
    const running = this.pending.get(topic);
    if (running !== undefined) {
      running.payloads.add(payload);
      return;
    }
    const check: { payloads: Set<string>; timer?: NodeJS.Timeout } = { payloads: new Set([payload]) };
    this.pending.set(topic, check);
    client.subscribe(topic, { qos: 0 }, (error, granted) => {
      if (this.pending.get(topic) !== check) return;
      if (error || granted?.[0]?.qos === SUBSCRIBE_FAILED) {
        this.log.debug(`cannot read ${topic} back to check that the broker kept it`);
        this.pending.delete(topic);
        return;
      }
      check.timer = setTimeout(() => this.expired(topic, check, message), this.waitMs);
      check.timer.unref();
    });
  }

  /** A message from the broker: true when it was a read-back (not for anyone else). */
  received(topic: string, payload: string): boolean {
    const check = this.pending.get(topic);
    if (check === undefined) return false;
    if (check.payloads.has(payload)) {
      clearTimeout(check.timer);
      this.pending.delete(topic);
      this.confirmed.add(topic);
      this.client?.unsubscribe(topic);
    }
    return true;
  }

  private expired(topic: string, check: { payloads: Set<string> }, message: MqttMessage): void {
    if (this.pending.get(topic) !== check) return;
    this.pending.delete(topic);
    this.client?.unsubscribe(topic);
    this.reported.add(topic);
    const reason = `the MQTT 3.1.1 broker acknowledged it but does not hand it back within ${this.waitMs / 1000} s: it drops it silently (an ACL, a message size limit?) or does not let us read it`;
    this.onDropped(new PublishRejected(topic, null, reason), message);
  }
}
