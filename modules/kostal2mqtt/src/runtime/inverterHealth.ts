import { InverterAuth, InverterUnreachable, PageFormat } from "../piko/errors.js";
import type { Reading } from "../reading/reading.js";

/**
 * The state of one inverter as the outputs report it (events, `<base>/<id>/status`, reported properties), and how
 * soon to poll it again. Pure: time comes in as arguments.
 */
export type InverterState =
  "starting" | "producing" | "idle" | "asleep" | "unreachable" | "auth_error" | "format_error";

export interface InverterHealth {
  state: InverterState;
  /** Since when (epoch ms) the inverter is in this state. */
  since: number;
  /** When it last answered with a readable page (epoch ms), or null. */
  lastSeen: number | null;
  message: string;
  /** Failed polls in a row. */
  failures: number;
}

export interface StateChange {
  from: InverterState;
  to: InverterState;
  at: number;
  message: string;
}

/** Whether it is night at the inverter's place; null when no location is configured. */
export type NightOracle = (atMs: number) => boolean | null;

export const MAX_BACKOFF_MS = 5 * 60_000;
export const AUTH_BACKOFF_START_MS = 60_000;
export const MAX_AUTH_BACKOFF_MS = 30 * 60_000;

/** How far polls of a failing inverter are spread (RETRY_MAX_SECONDS, AUTH_RETRY_SECONDS). */
export interface BackoffLimits {
  maxMs: number;
  authStartMs: number;
  authMaxMs: number;
}

export const DEFAULT_BACKOFF: BackoffLimits = {
  maxMs: MAX_BACKOFF_MS,
  authStartMs: AUTH_BACKOFF_START_MS,
  authMaxMs: MAX_AUTH_BACKOFF_MS,
};

const PRODUCING_STATUSES = new Set(["feeding_mpp", "feeding_limited", "feeding"]);

export class InverterHealthTracker {
  private health: InverterHealth;

  constructor(
    startedAt: number,
    private readonly isNight: NightOracle = () => null,
    private readonly backoff: BackoffLimits = DEFAULT_BACKOFF,
  ) {
    this.health = {
      state: "starting",
      since: startedAt,
      lastSeen: null,
      message: "not polled yet",
      failures: 0,
    };
  }

  snapshot(): InverterHealth {
    return { ...this.health };
  }

  recordReading(reading: Reading, at: number): StateChange | null {
    const producing = PRODUCING_STATUSES.has(reading.status) || (reading.ac_power_w ?? 0) > 0;
    this.health.lastSeen = at;
    this.health.failures = 0;
    const message = producing
      ? `producing ${String(reading.ac_power_w ?? "?")} W (${reading.status_text})`
      : `answering, not producing (${reading.status_text || "no status"})`;
    return this.moveTo(producing ? "producing" : "idle", at, message);
  }

  recordError(error: unknown, at: number): StateChange | null {
    this.health.failures++;
    const message = error instanceof Error ? error.message : String(error);
    return this.moveTo(this.failureState(error, at), at, message);
  }

  /** How long to wait before the next poll: the interval while answering, backing off while failing. */
  nextPollDelay(intervalMs: number, random: () => number = Math.random): number {
    const { state, failures } = this.health;
    if (state === "producing" || state === "idle" || state === "starting" || failures === 0)
      return intervalMs;
    const jitter = 0.9 + 0.2 * random();
    if (state === "auth_error") {
      // Never hammer a device with wrong credentials: it may lock the account or fall over.
      const { authStartMs, authMaxMs } = this.backoff;
      return Math.round(Math.min(authStartMs * 2 ** (failures - 1), authMaxMs) * jitter);
    }
    return Math.round(
      Math.min(intervalMs * 2 ** failures, Math.max(intervalMs, this.backoff.maxMs)) * jitter,
    );
  }

  private failureState(error: unknown, at: number): InverterState {
    if (error instanceof InverterAuth) return "auth_error";
    if (error instanceof PageFormat) return "format_error";
    if (!(error instanceof InverterUnreachable)) return "format_error";
    const night = this.isNight(at);
    if (night !== null) return night ? "asleep" : "unreachable";
    // Without a location: an inverter that went off or idle and then stopped answering has gone to sleep.
    const before = this.health.state;
    return before === "idle" || before === "asleep" ? "asleep" : "unreachable";
  }

  private moveTo(state: InverterState, at: number, message: string): StateChange | null {
    const from = this.health.state;
    this.health.message = message;
    if (from === state) return null;
    this.health.state = state;
    this.health.since = at;
    return { from, to: state, at, message };
  }
}
