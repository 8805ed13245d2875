import type { Timers } from "../lib/timers.js";
import type { Logger } from "../log/logger.js";

/**
 * The module twin as the controller uses it; the edgeHub session provides it (outputs/edgeHub/edgeHubSession.ts).
 * An interface, so that the controller depends on what it needs and tests hand it a recording fake.
 */
export interface TwinChannel {
  readonly isConnected: boolean;
  updateReported(patch: Record<string, unknown>): Promise<void>;
  /** Fetches the whole twin again (a desired patch skipped a version). */
  refetchTwin(): void;
}

/** Inverter states change often; the twin needs them now and then, not per poll (IoT Hub throttles twin updates). */
const REPORT_THROTTLE_MS = 30_000;

/**
 * Reported properties on their way to the twin: patches merge while they wait, and go out at once (`urgent`) or at
 * most every 30 s. What cannot go out now (edgeHub away, an update refused) waits, merged, for the connection.
 */
export class TwinReports {
  private pending: Record<string, unknown> = {};
  private timer: unknown = null;
  private lastFlush = 0;

  constructor(
    private readonly twin: TwinChannel,
    private readonly log: Logger,
    private readonly timers: Timers,
    private readonly now: () => number,
  ) {}

  report(patch: Record<string, unknown>, urgent: boolean): void {
    this.pending = mergeReported(this.pending, patch);
    if (this.timer !== null && !urgent) return;
    const wait = urgent ? 0 : Math.max(0, this.lastFlush + REPORT_THROTTLE_MS - this.now());
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = this.timers.setTimeout(() => void this.flush(), wait);
  }

  /** Drops what waits: at stop the session goes too, and the next start reports everything anew. */
  stop(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  private async flush(): Promise<void> {
    this.timer = null;
    if (!this.twin.isConnected || Object.keys(this.pending).length === 0) return;
    const patch = this.pending;
    this.pending = {};
    this.lastFlush = this.now();
    try {
      await this.twin.updateReported(patch);
    } catch (error) {
      this.pending = mergeReported(patch, this.pending);
      this.log.warn("reported properties wait for edgeHub", error);
    }
  }
}

export function mergeReported(
  base: Record<string, unknown>,
  patch: Record<string, unknown>,
): Record<string, unknown> {
  const result = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const before = result[key];
    // Maps (inverterState) merge entry by entry; acknowledgements ({value, ac, ...}) and the rest replace.
    const mergeable = isPlainObject(value) && isPlainObject(before) && !("ac" in value);
    result[key] = mergeable ? { ...before, ...value } : value;
  }
  return result;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
