/**
 * The two ways an output's send can fail, translated once at the adapter from whatever the library threw (kept as
 * `cause`). What to do next is decided by type alone: a rejection is final for that message (drop it, count it,
 * say it), an unavailable output is transient (keep the message, try again when the output is back).
 */

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
