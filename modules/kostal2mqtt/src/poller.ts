import type { PollResult } from "./piko/inverterClient.js";

/** Timers as an injected edge, so tests drive time instead of sleeping. */
export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface PollSource {
  readonly id: string;
  read(): Promise<PollResult>;
}

export interface PollerOptions {
  source: PollSource;
  /** The pause after a poll before the next one starts: fixed, or backing off as the caller decides. */
  delayMs: () => number;
  timers?: Timers;
  now?: () => number;
  onReading(result: PollResult): void;
  onError(error: unknown): void;
}

/**
 * One loop per inverter: polls are chained with setTimeout after each one completes, so they never overlap and a
 * slow inverter only delays itself. `stop()` cancels the next poll; a poll in flight finishes into the void.
 */
export class Poller {
  private handle: unknown = null;
  private running = false;
  private readonly timers: Timers;

  constructor(private readonly options: PollerOptions) {
    this.timers = options.timers ?? realTimers;
  }

  /** Starts the loop; the first poll after `firstDelayMs` (used to spread many inverters over the interval). */
  start(firstDelayMs = 0): void {
    if (this.running) return;
    this.running = true;
    this.schedule(firstDelayMs);
  }

  stop(): void {
    this.running = false;
    if (this.handle !== null) this.timers.clearTimeout(this.handle);
    this.handle = null;
  }

  /** Polls now instead of at the scheduled time (e.g. after the interval was shortened). */
  pollSoon(): void {
    if (!this.running || this.handle === null) return;
    this.timers.clearTimeout(this.handle);
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    this.handle = this.timers.setTimeout(() => {
      this.handle = null;
      void this.pollOnce();
    }, delayMs);
  }

  private async pollOnce(): Promise<void> {
    const now = this.options.now ?? Date.now;
    const startedAt = now();
    try {
      const result = await this.options.source.read();
      // A handler's own failure is reported like a failed poll: the loop must go on either way.
      if (this.running) this.options.onReading(result);
    } catch (error) {
      if (this.running) this.options.onError(error);
    }
    if (this.running) this.schedule(Math.max(0, this.options.delayMs() - (now() - startedAt)));
  }
}
