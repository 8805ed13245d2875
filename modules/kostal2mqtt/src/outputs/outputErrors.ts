/**
 * The two ways an output's send can fail, translated once at the adapter from whatever the library threw (kept as
 * `cause`). What to do next is decided by type alone: a rejection is final for that message (drop it, count it,
 * say it), an unavailable output is transient (keep the message, try again when the output is back). The
 * decision itself is `verdict` in sendLoop.ts; what a drop leaves behind is `Rejections` below.
 */
import type { Logger } from "../log/logger.js";

/** The destination refused this message for good: sending it again would be refused again. */
export class PublishRejected extends Error {
  constructor(
    readonly topic: string,
    /** The destination's reason code (MQTT 5 PUBACK, DISCONNECT or our own 0x95 check), null when it gave none. */
    readonly reasonCode: number | null,
    /** Why, in words, for the log and the health endpoint. */
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`${topic}: ${reason}`, options);
    this.name = "PublishRejected";
  }
}

/**
 * The destination cannot take the message now. `inFlight` says whether the message had been sent when the
 * connection failed or went unanswered: such a message may be the one the destination cannot bear, so it is
 * suspected, unlike one that was never sent.
 */
export class OutputUnavailable extends Error {
  constructor(
    message: string,
    readonly inFlight: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "OutputUnavailable";
  }
}

/** A message as the log and the refusal memory see it: where it goes (topic, edgeHub output) and its body. */
export interface Described {
  topic: string;
  payload: string;
}

/** Distinct refusals logged at error level; past that they are counted in the health endpoint only. */
const LOGGED_REFUSALS = 20;

/**
 * Refused messages: dropped, counted, and said once for each topic and reason, with both, so a destination that
 * denies a topic on every poll is named once rather than never (or on every poll). The last refused payload of
 * each topic is kept: the retained state sent again on every reconnect would otherwise be refused again on every
 * reconnect, and a broker that hangs up on it (MQTT 3.1.1) would never keep a connection.
 */
export class Rejections {
  count = 0;
  last: string | undefined;
  private readonly told = new Set<string>();
  private readonly refused = new Map<string, string>();

  constructor(private readonly log: Logger) {}

  /** The destination refused exactly this message for good already. */
  refusedBefore(message: Described): boolean {
    return this.refused.get(message.topic) === message.payload;
  }

  record(rejection: PublishRejected, message: Described): void {
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
