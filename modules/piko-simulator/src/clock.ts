/**
 * The simulator's sense of time (epoch milliseconds). Everything the page shows is a function of the clock, so a
 * demo can run a day in minutes and a test can jump straight to dusk without waiting.
 */

export interface Clock {
  /** Simulated time, epoch ms. */
  now(): number;
}

/** Real time. */
export const systemClock: Clock = { now: () => Date.now() };

export interface AcceleratedClockOptions {
  /** How many simulated milliseconds pass per real millisecond; 1 = real time, 60 = a day in 24 minutes. */
  speed: number;
  /** Simulated time at the moment the clock is created, epoch ms; default: the real time then. */
  startMs?: number;
  /** The real clock it follows (injectable for tests); default the system clock. */
  base?: Clock;
}

/** Simulated time that runs `speed` times faster than its base clock, from a given start. */
export class AcceleratedClock implements Clock {
  readonly speed: number;
  readonly startMs: number;
  private readonly base: Clock;
  private readonly baseStartMs: number;

  constructor(options: AcceleratedClockOptions) {
    if (!Number.isFinite(options.speed) || options.speed <= 0) {
      throw new RangeError(`clock speed must be a number above 0, got ${options.speed}`);
    }
    this.speed = options.speed;
    this.base = options.base ?? systemClock;
    this.baseStartMs = this.base.now();
    this.startMs = options.startMs ?? this.baseStartMs;
  }

  now(): number {
    return this.startMs + Math.floor((this.base.now() - this.baseStartMs) * this.speed);
  }
}

/** A clock that only moves when told to: for tests. */
export class ManualClock implements Clock {
  private ms: number;

  constructor(startMs: number) {
    this.ms = ManualClock.check(startMs);
  }

  now(): number {
    return this.ms;
  }

  /** Jumps to an epoch ms (backwards too: a test may want to look at a moment again). */
  set(ms: number): void {
    this.ms = ManualClock.check(ms);
  }

  advance(ms: number): void {
    this.ms = ManualClock.check(this.ms + ms);
  }

  private static check(ms: number): number {
    if (!Number.isFinite(ms)) throw new RangeError(`clock time must be a finite number, got ${ms}`);
    return ms;
  }
}
