import type { OutputMessage } from "../../modules/edgehub-emulator/src/index.js";

/** What the tests read from the telemetry the edgeHub emulator received. */

/** The measurement time (`ts_ms`) of a reading the module sent. */
export const readingTs = (message: OutputMessage): number =>
  (JSON.parse(message.body.toString("utf8")) as { ts_ms: number }).ts_ms;

/**
 * Each telemetry reading once, in the order of its first arrival: a resend after a lost acknowledgement is a
 * duplicate with the same messageId, which consumers drop. `keep` picks among them.
 */
export function firstArrivals(
  messages: readonly OutputMessage[],
  keep: (message: OutputMessage) => boolean,
): OutputMessage[] {
  const seen = new Set<string>();
  return messages.filter((m) => {
    if (m.output !== "telemetry" || seen.has(m.messageId ?? "")) return false;
    seen.add(m.messageId ?? "");
    return keep(m);
  });
}
