import type { MqttClient } from "mqtt";
import type { Logger } from "../../log/logger.js";
import type { DeliveryQueue, Entry } from "../deliveryQueue.js";
import type { PublishRejected } from "../outputErrors.js";
import { verdict } from "./brokerAnswers.js";
import type { MqttMessage, Publisher } from "./publisher.js";

/** At most this many messages await their PUBACK at once (fewer if the broker's Receive Maximum says so). */
const BATCH = 64;
/** Distinct refusals logged at error level; past that they are counted in the health endpoint only. */
const LOGGED_REFUSALS = 20;

/**
 * Refused messages: dropped, counted, and said once for each topic and reason, with both, so a broker that denies a
 * topic on every poll is named once rather than never (or on every poll). The last refused payload of each topic
 * is kept: the retained state sent again on every reconnect would otherwise be refused again on every reconnect,
 * and a broker that hangs up on it (MQTT 3.1.1) would never keep a connection.
 */
export class Rejections {
  count = 0;
  last: string | undefined;
  private readonly told = new Set<string>();
  private readonly refused = new Map<string, string>();

  constructor(private readonly log: Logger) {}

  /** The broker refused exactly this message for good already. */
  refusedBefore(message: MqttMessage): boolean {
    return this.refused.get(message.topic) === message.payload;
  }

  record(rejection: PublishRejected, message: MqttMessage): void {
    this.refused.set(message.topic, message.payload);
    this.count++;
    this.last = `${rejection.topic}: ${rejection.reason}`;
    const key = `${rejection.topic}|${rejection.reasonCode ?? "none"}`;
    const line = `dropped the message to ${rejection.topic}: ${rejection.reason}; later messages go on (${this.count} dropped so far)`;
    if (this.told.has(key) || this.told.size > LOGGED_REFUSALS) {
      this.log.debug(line);
      return;
    }
    this.told.add(key);
    this.log.error(line);
    if (this.told.size > LOGGED_REFUSALS)
      this.log.warn("more refused topics: counted in the output's health (rejected), no longer logged");
  }
}

/**
 * Sends the queue, oldest first, in batches while connected. Each message's outcome goes through `verdict`:
 * delivered and refused messages leave the queue, others go back in front in their order. A message that was in
 * flight when the connection failed is a suspect and is sent alone next time, so a second failure names it.
 */
export class SendLoop {
  delivered = 0;
  /** Queued messages sent and not yet settled (the `online` of a connection is not one of them). */
  inFlight = 0;
  private readonly strikes = new WeakMap<Entry<MqttMessage>, number>();
  private running: Promise<void> | null = null;

  constructor(
    private readonly queue: DeliveryQueue<MqttMessage>,
    private readonly publisher: Publisher,
    /** The client to send on, or null while there is none that is connected and not stopping. */
    private readonly client: () => MqttClient | null,
    private readonly rejections: Rejections,
    private readonly log: Logger,
    /** The broker acknowledged this message. */
    private readonly onDelivered: (message: MqttMessage) => void = () => undefined,
  ) {}

  /** Sends what waits; resolves when the queue is empty or sending has to wait for the connection. */
  flush(): Promise<void> {
    this.running ??= this.run().then(
      (outcome) => {
        this.running = null;
        // A message queued while the last batch was settling; after a failure, the reconnect flushes instead.
        if (outcome === "empty" && this.queue.size > 0) void this.flush();
      },
      (error: unknown) => {
        this.running = null;
        this.log.error(
          "sending to the MQTT broker failed unexpectedly; the next message or connection retries",
          error,
        );
      },
    );
    return this.running;
  }

  /** Resolves when no batch is in flight any more. */
  async idle(): Promise<void> {
    await this.running;
  }

  private async run(): Promise<"empty" | "wait"> {
    for (;;) {
      const client = this.client();
      if (client === null) return "wait";
      if (this.queue.size === 0) return "empty";
      const room = Math.max(1, Math.min(BATCH, this.publisher.offer.receiveMaximum));
      const taken = this.queue.take(room).filter((entry) => {
        // A copy queued before the broker refused the original (a reconnect sends retained state again).
        if (!this.rejections.refusedBefore(entry.item)) return true;
        this.queue.ack([entry]);
        return false;
      });
      const suspect = taken.findIndex((entry) => this.strikes.has(entry));
      const batch = suspect === 0 ? taken.slice(0, 1) : suspect > 0 ? taken.slice(0, suspect) : taken;
      this.queue.requeue(taken.slice(batch.length));
      if (batch.length === 0) continue;
      this.inFlight = batch.length;
      const outcomes = await Promise.all(batch.map((entry) => this.publisher.send(client, entry.item)));
      this.inFlight = 0;
      const retry: Array<Entry<MqttMessage>> = [];
      batch.forEach((entry, i) => {
        const strikes = this.strikes.get(entry) ?? 0;
        const decided = verdict(outcomes[i] ?? null, entry.item, strikes, batch.length === 1);
        if (decided.kind === "retry") {
          if (decided.suspect) this.strikes.set(entry, strikes + 1);
          retry.push(entry);
          return;
        }
        this.strikes.delete(entry);
        this.queue.ack([entry]);
        if (decided.kind === "delivered") {
          this.delivered++;
          this.onDelivered(entry.item);
        } else this.rejections.record(decided.rejection, entry.item);
      });
      if (retry.length > 0) {
        this.queue.requeue(retry);
        return "wait";
      }
    }
  }
}
