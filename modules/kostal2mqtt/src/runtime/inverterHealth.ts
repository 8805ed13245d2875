import { INVERTER_BACKOFF, jittered } from "../config/defaults.js";
import { InverterAuth, InverterUnreachable, PageFormat } from "../piko/errors.js";
import type { InverterState, InverterStatusReport } from "../ports/output.js";
import type { Reading } from "../reading/reading.js";

/**
 * The state of one inverter as the outputs report it (events, `<base>/<id>/status`, reported properties), and how
 * soon to poll it again. Pure: time comes in as arguments. Only what the inverter answers moves it: a failure of
 * anything downstream (an output, a controller) is never the inverter's state.
 */

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

/** How far polls of a failing inverter are spread (RETRY_MAX_SECONDS, AUTH_RETRY_SECONDS). */
export interface BackoffLimits {
  maxMs: number;
  authStartMs: number;
  authMaxMs: number;
}

/** The limits when RETRY_MAX_SECONDS and AUTH_RETRY_SECONDS are not set (config/defaults.ts). */
export const DEFAULT_BACKOFF: BackoffLimits = {
  maxMs: INVERTER_BACKOFF.maxMs,
  authStartMs: INVERTER_BACKOFF.authStartMs,
  authMaxMs: INVERTER_BACKOFF.authStartMs * INVERTER_BACKOFF.authMaxFactor,
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
  nextPollDelay(pollIntervalMs: number, random: () => number = Math.random): number {
    const { state, failures } = this.health;
    if (state === "producing" || state === "idle" || state === "starting" || failures === 0)
      return pollIntervalMs;
    if (state === "auth_error") {
      // Never hammer a device with wrong credentials: it may lock the account or fall over.
      const { authStartMs, authMaxMs } = this.backoff;
      return jittered(Math.min(authStartMs * 2 ** (failures - 1), authMaxMs), random);
    }
    const capMs = Math.max(pollIntervalMs, this.backoff.maxMs);
    return jittered(Math.min(pollIntervalMs * 2 ** failures, capMs), random);
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

/** What the outputs and listeners are told of an inverter: its health, and its model and name once known. */
export function statusReport(
  id: string,
  health: InverterHealth,
  reading: Reading | null,
): InverterStatusReport {
  return {
    inverter: id,
    state: health.state,
    since: new Date(health.since).toISOString(),
    last_seen: health.lastSeen === null ? null : new Date(health.lastSeen).toISOString(),
    message: health.message,
    failures: health.failures,
    ...(reading ? { model: reading.model, name: reading.name } : {}),
  };
}
