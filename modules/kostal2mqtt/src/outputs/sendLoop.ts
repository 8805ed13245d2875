import { realTimers, type Timers } from "../lib/timers.js";
import type { Logger } from "../log/logger.js";
import type { DeliveryQueue, Entry } from "./deliveryQueue.js";
import { OutputUnavailable, PublishRejected, Rejections, type Described } from "./outputErrors.js";

/**
 * The one send loop of every output (MQTT broker, edgeHub): take from the queue, send, ack or requeue. An output
 * gives it a `send(item)` that resolves when the destination took the item and throws PublishRejected or
 * OutputUnavailable otherwise (translated at the output's adapter); what happens next is decided by the error's
 * type alone, in `verdict` below.
 */

export type Verdict =
  { kind: "delivered" } | { kind: "drop"; rejection: PublishRejected } | { kind: "retry"; suspect: boolean };

/**
 * The one place where a send's outcome decides the message's fate. A rejection drops it. A failure while it was in
 * flight makes it a suspect: a destination that hangs up on a message (MQTT 3.1.1 brokers over their size limit do)
 * or never answers it would otherwise be sent it forever. A suspect is sent alone; failing again alone, it is the
 * message the destination cannot take, and is dropped. A failure before it was sent puts no blame on it.
 */
export function verdict(
  outcome: PublishRejected | OutputUnavailable | null,
  message: Described,
  strikes: number,
  alone: boolean,
  destination = "the destination",
): Verdict {
  if (outcome === null) return { kind: "delivered" };
  if (outcome instanceof PublishRejected) return { kind: "drop", rejection: outcome };
  if (!outcome.inFlight) return { kind: "retry", suspect: false };
  if (alone && strikes >= 1) {
    const bytes = Buffer.byteLength(message.payload);
    const reason = `${destination} closed the connection or left it unanswered twice while this message (${bytes} bytes) was being sent alone (${outcome.message}); too large for it?`;
    return { kind: "drop", rejection: new PublishRejected(message.topic, null, reason, { cause: outcome }) };
  }
  return { kind: "retry", suspect: true };
}

/** What a failed send threw, as one of the two types: anything else is a fault of the adapter, kept as cause. */
export function asOutputError(error: unknown): PublishRejected | OutputUnavailable {
  if (error instanceof PublishRejected || error instanceof OutputUnavailable) return error;
  const message = error instanceof Error ? error.message : String(error);
  // Transient, but in flight: were it the message's fault, sending it alone twice finds out (no silent hang).
  return new OutputUnavailable(`unexpected failure: ${message}`, true, { cause: error });
}

export interface SendLoopOptions<T> {
  queue: DeliveryQueue<T>;
  /** Sends one item; resolves when the destination took it, throws PublishRejected or OutputUnavailable. */
  send: (item: T) => Promise<void>;
  /** Whether to send now: connected and not stopping. Asked before every send. */
  ready: () => boolean;
  /** How many items may be in flight at once (a broker's Receive Maximum may lower it at any time). */
  window: () => number;
  /** The item's destination and body, for the log and the refusal memory. */
  describe: (item: T) => Described;
  rejections: Rejections;
  log: Logger;
  /** The destination, in words, for the log ("the MQTT broker", "edgeHub"). */
  destination: string;
  /** The destination took this item. */
  onDelivered?: (item: T) => void;
  /** Items failed transiently and wait for the next connection (`waiting` of them); once per flush. */
  onUnavailable?: (error: OutputUnavailable, waiting: number) => void;
  /** For `drain`'s deadline; tests pass fakes. */
  timers?: Timers;
}

export type FlushOutcome = "empty" | "wait";

/**
 * Sends the queue oldest first, at most a window in flight (sliding), while `ready()`. Delivered and dropped items leave the queue;
 * the others go back in front, in their order, and the loop stops until the output calls `flush` again (on
 * reconnect). An item that was in flight when the connection failed is a suspect and goes alone next time.
 */
export class SendLoop<T> {
  delivered = 0;
  /** Items sent and not yet settled. */
  inFlight = 0;
  private readonly strikes = new WeakMap<Entry<T>, number>();
  private running: Promise<FlushOutcome> | null = null;
  private readonly timers: Timers;

  constructor(private readonly options: SendLoopOptions<T>) {
    this.timers = options.timers ?? realTimers;
  }

  /** Sends what waits; resolves when the queue is empty or sending has to wait for the connection. */
  flush(): Promise<FlushOutcome> {
    this.running ??= this.run().then(
      (outcome) => {
        this.running = null;
        // An item queued as the last send was settling; after a failure, the reconnect flushes instead.
        if (outcome === "empty" && this.options.queue.size > 0) void this.flush();
        return outcome;
      },
      (error: unknown) => {
        this.running = null;
        this.options.log.error(
          `sending to ${this.options.destination} failed unexpectedly; the next message or connection retries`,
          error,
        );
        return "wait" as const;
      },
    );
    return this.running;
  }

  /** Resolves when nothing is in flight any more. */
  async idle(): Promise<void> {
    await this.running;
  }

  /**
   * At stop: sends until the queue is empty, sending has to wait for a connection, or `ms` have passed, whichever
   * comes first (no polling: it waits on the loop itself). True when nothing is left to send.
   */
  async drain(ms: number): Promise<boolean> {
    let timer: unknown;
    const late = new Promise<"late">((resolve) => {
      timer = this.timers.setTimeout(() => resolve("late"), ms);
      (timer as { unref?: () => void } | null)?.unref?.();
    });
    try {
      for (;;) {
        const outcome = await Promise.race([this.flush(), late]);
        if (outcome !== "empty" || this.options.queue.size === 0) break;
      }
    } finally {
      this.timers.clearTimeout(timer);
    }
    return this.options.queue.size === 0 && this.inFlight === 0;
  }

  /**
   * A sliding window: the next item goes as soon as any in flight settles (not after the whole window). A suspect
   * waits until nothing is in flight and then goes alone, with nothing sent beside it. Once a send fails
   * transiently nothing more is sent; when the last in flight has settled, the failed items go back in front in
   * the order they were sent and the loop waits for the next `flush`.
   */
  private run(): Promise<FlushOutcome> {
    const { queue, rejections, describe } = this.options;
    const flight = new Map<Entry<T>, { order: number; alone: boolean }>();
    const retry: Array<{ entry: Entry<T>; order: number }> = [];
    let unavailable: OutputUnavailable | null = null;
    let sent = 0;
    let suspectAlone = false;

    return new Promise<FlushOutcome>((resolve, reject) => {
      const finish = (outcome: FlushOutcome) => {
        this.inFlight = 0;
        resolve(outcome);
      };
      const send = (entry: Entry<T>) => {
        const alone = flight.size === 0;
        for (const other of flight.values()) other.alone = false;
        flight.set(entry, { order: sent++, alone });
        this.inFlight = flight.size;
        void this.sendOne(entry.item).then((outcome) => {
          try {
            settle(entry, outcome);
            pump();
          } catch (error) {
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        });
      };
      const settle = (entry: Entry<T>, outcome: PublishRejected | OutputUnavailable | null) => {
        const { order, alone } = flight.get(entry)!;
        flight.delete(entry);
        this.inFlight = flight.size;
        if (this.strikes.has(entry)) suspectAlone = false;
        const strikes = this.strikes.get(entry) ?? 0;
        const decided = verdict(outcome, describe(entry.item), strikes, alone, this.options.destination);
        if (decided.kind === "retry") {
          if (decided.suspect) this.strikes.set(entry, strikes + 1);
          if (outcome instanceof OutputUnavailable) unavailable ??= outcome;
          retry.push({ entry, order });
          return;
        }
        this.strikes.delete(entry);
        queue.ack([entry]);
        if (decided.kind === "delivered") {
          this.delivered++;
          this.options.onDelivered?.(entry.item);
        } else rejections.record(decided.rejection, describe(entry.item));
      };
      const pump = () => {
        while (retry.length === 0 && !suspectAlone && this.options.ready() && queue.size > 0) {
          if (flight.size >= Math.max(1, this.options.window())) return;
          const [entry] = queue.take(1);
          if (entry === undefined) break;
          // A copy queued before the destination refused the original (a reconnect sends retained state again).
          if (rejections.refusedBefore(describe(entry.item))) {
            queue.ack([entry]);
            continue;
          }
          if (this.strikes.has(entry)) {
            if (flight.size > 0) {
              queue.requeue([entry]);
              return;
            }
            suspectAlone = true;
          }
          send(entry);
        }
        if (flight.size > 0) return;
        if (retry.length > 0) {
          retry.sort((a, b) => a.order - b.order);
          queue.requeue(retry.map(({ entry }) => entry));
          if (unavailable !== null) this.options.onUnavailable?.(unavailable, retry.length);
          finish("wait");
          return;
        }
        finish(this.options.ready() ? "empty" : "wait");
      };
      try {
        pump();
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }

  private sendOne(item: T): Promise<PublishRejected | OutputUnavailable | null> {
    try {
      return this.options.send(item).then(() => null, asOutputError);
    } catch (error) {
      return Promise.resolve(asOutputError(error));
    }
  }
}
