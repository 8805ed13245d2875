/**
 * The bridge's tunables that are not settings: each named once, here, with the reason for its value. The schema
 * takes the defaults of the settings that derive from them (RETRY_MAX_SECONDS, AUTH_RETRY_SECONDS) from here too,
 * so a number never sits in two files. Nothing here reads the environment.
 */

/** How many messages an output keeps while its destination is away, and for how long; then the oldest go. */
export const QUEUE_LIMITS = Object.freeze({
  /** About a day of readings of two inverters polled every 10 s with per-value topics off. */
  maxItems: 10_000,
  /** A reading older than a day is history, not live data: a consumer must not take it for the present. */
  maxAgeMs: 24 * 3600_000,
});

/** How often a queue with undelivered messages is written to the data folder (and once more at stop). */
export const QUEUE_SAVE_EVERY_MS = 2000;

/**
 * The largest status page read from an inverter. A PIKO page is about 8 KiB; a device that streams without end
 * (or a wrong host serving a download) must not fill the memory.
 */
export const PAGE_MAX_BYTES = 256 * 1024;

/** How long a stop (SIGTERM) may take to flush the outputs before they are closed; Docker kills after 10 s. */
export const STOP_DEADLINE_MS = 5000;

/**
 * Backoff of a failing inverter: the cap and the start after refused credentials, and how far the latter may grow
 * (AUTH_RETRY_SECONDS x 30). Wrong logins are never hammered: a PIKO may lock the account or fall over.
 */
export const INVERTER_BACKOFF = Object.freeze({
  maxMs: 5 * 60_000,
  authStartMs: 60_000,
  authMaxFactor: 30,
});

/**
 * The one jitter of every backoff (inverter polls, broker and edgeHub reconnects): a delay is spread over
 * +-10 %, so that restarted devices and bridges do not retry in step. `jittered` applies it.
 */
export const BACKOFF_JITTER = 0.1;

/** `ms` spread by BACKOFF_JITTER; `random` is injected so tests can pin it (0: shortest, 1: longest). */
export function jittered(ms: number, random: () => number = Math.random): number {
  return Math.round(ms * (1 - BACKOFF_JITTER + 2 * BACKOFF_JITTER * random()));
}

/** Reconnect backoff of the outputs' clients (edgeHub session), first pause and cap. */
export const RECONNECT_BACKOFF = Object.freeze({ baseMs: 1000, capMs: 60_000 });

/**
 * The mirror servers (mirror/): how old the last reading may grow before it is no longer served (a few polls:
 * a reading that old is no longer the inverter's present), and the bounds that keep a misbehaving consumer from
 * costing memory: connections at once, request head and POST body sizes, and time to send a request.
 */
export const MIRROR_LIMITS = Object.freeze({
  staleAfterPolls: 3,
  maxConnections: 16,
  maxHeaderBytes: 8 * 1024,
  maxBodyBytes: 1024,
  requestTimeoutMs: 5000,
});
