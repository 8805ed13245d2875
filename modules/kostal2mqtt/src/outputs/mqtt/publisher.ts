import type { IClientPublishOptions, MqttClient } from "mqtt";
import { OutputUnavailable, PublishRejected } from "../outputErrors.js";
import {
  FULL_OFFER,
  publishPacketSize,
  REASON,
  translatePublishError,
  type BrokerOffer,
} from "./brokerAnswers.js";

export interface MqttMessage {
  topic: string;
  payload: string;
  retain: boolean;
  /** Readings expire (MQTT v5) so a late subscriber is not handed stale data as live. */
  expires: boolean;
}

export type SendOutcome = PublishRejected | OutputUnavailable | null;

interface Pending {
  client: MqttClient;
  callback: (error?: Error) => void;
  settle: (outcome: SendOutcome) => void;
}

/**
 * One PUBLISH at a time over MQTT.js, as the broker takes it (its QoS, retain and size limits), settled exactly
 * once: null when the broker acknowledged it, else a typed error. Never later than the deadline: a publish
 * MQTT.js never settles (a PUBACK it could not read, a half-open connection) fails as unanswered.
 */
export class Publisher {
  offer: BrokerOffer = { ...FULL_OFFER };
  v5 = true;
  private readonly pending = new Set<Pending>();

  constructor(
    private readonly deadlineMs: number,
    private readonly expirySeconds: number,
    /** A publish went unanswered: the connection is not to be trusted any more. */
    private readonly onUnanswered: (client: MqttClient) => void,
  ) {}

  get inFlight(): number {
    return this.pending.size;
  }

  /** The send loop's form: resolves when the broker acknowledged, throws the typed error otherwise. */
  async publish(client: MqttClient, message: MqttMessage): Promise<void> {
    const outcome = await this.send(client, message);
    if (outcome !== null) throw outcome;
  }

  send(client: MqttClient, message: MqttMessage): Promise<SendOutcome> {
    const { topic, payload } = message;
    const qos = this.offer.maxQos;
    const expires = message.expires && this.v5;
    const max = this.offer.maxPacketSize;
    if (max !== null) {
      const size = publishPacketSize(topic, payload, qos, this.v5, expires);
      if (size > max) {
        const reason = `packet too large: ${size} bytes, the broker takes at most ${max} (its Maximum Packet Size)`;
        return Promise.resolve(new PublishRejected(topic, REASON.tooLarge, reason));
      }
    }
    // Not sent at all: MQTT.js would keep it and send it by itself on reconnect, behind the queue's back.
    if (!client.connected || client.disconnecting)
      return Promise.resolve(new OutputUnavailable("not connected", false));
    const options: IClientPublishOptions = { qos, retain: message.retain && this.offer.retain };
    if (expires) options.properties = { messageExpiryInterval: this.expirySeconds };
    return new Promise<SendOutcome>((resolve) => {
      let settled = false;
      const pending: Pending = {
        client,
        callback: (error?: Error) => pending.settle(error ? translatePublishError(error, topic) : null),
        settle: (outcome) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          this.pending.delete(pending);
          resolve(outcome);
        },
      };
      const timer = setTimeout(() => {
        const seconds = this.deadlineMs / 1000;
        pending.settle(new OutputUnavailable(`no answer from the broker within ${seconds} s`, true));
        forget(pending);
        this.onUnanswered(client);
      }, this.deadlineMs);
      timer.unref();
      this.pending.add(pending);
      client.publish(topic, payload, options, pending.callback);
    });
  }

  /**
   * The connection is gone (or the output stops): every publish in flight failed with it, transiently. They are
   * also taken out of MQTT.js, which would otherwise send them again by itself after reconnecting, the message
   * the broker hangs up on included, and keep its callback forever.
   */
  failAll(reason: string): void {
    for (const pending of [...this.pending]) {
      pending.settle(new OutputUnavailable(reason, true));
      forget(pending);
    }
  }
}

/** Takes a publish out of MQTT.js's outgoing table and store (its callback then gets 'Message removed'). */
function forget(pending: Pending): void {
  const outgoing = pending.client.outgoing as Record<number, { cb?: unknown } | undefined>;
  for (const [id, entry] of Object.entries(outgoing)) {
    if (entry?.cb === pending.callback) pending.client.removeOutgoingMessage(Number(id));
  }
}
