import type { Logger } from "../log/logger.js";
import type { Timers } from "../lib/timers.js";
import type { PollResult } from "../piko/inverterClient.js";
import type { HistoryFilter, LogDaten } from "../piko/logdaten/logDatenParser.js";
import type { Reading } from "../reading/reading.js";
import {
  InverterHealthTracker,
  type BackoffLimits,
  type InverterHealth,
  type NightOracle,
  type StateChange,
} from "./inverterHealth.js";

/** Where an inverter's readings come from: its status page over HTTP (piko/inverterClient.ts), or a fake. */
export interface PageSource {
  /** Rejects with the inverter's typed error (InverterUnreachable, InverterAuth, PageFormat). */
  read(): Promise<PollResult>;
  /** Cancels a read in flight and frees the connection. */
  close(): void;
  /** The inverter's history (old PIKOs' LogDaten.dat); absent where the device keeps none the bridge can read. */
  history?(keep?: HistoryFilter): Promise<LogDaten>;
}

/**
 * What the loop reports, in this order per poll: a state change (if any), then the reading or the failure, with
 * how long the inverter took to answer (ms, on the injected clock).
 */
export interface InverterLoopListener {
  stateChanged(inverter: string, change: StateChange): void;
  readingArrived(inverter: string, result: PollResult, durationMs: number): void;
  pollFailed(inverter: string, error: unknown, health: InverterHealth, durationMs: number): void;
}

export interface InverterLoopOptions {
  id: string;
  source: PageSource;
  pollIntervalMs: number;
  listener: InverterLoopListener;
  now: () => number;
  timers: Timers;
  log: Logger;
  isNight?: NightOracle;
  backoff?: BackoffLimits;
  /** Jitter of the backoff; injected so that tests can pin it. */
  random?: () => number;
}

/**
 * One inverter's loop: its schedule, its backoff and its one poll in flight. Polls are chained with setTimeout
 * after each one completes, so they never overlap and a slow inverter only delays itself; while the inverter
 * fails, the pause grows (inverterHealth.ts). `readNow` shares the poll in flight, or starts one: a PIKO serves one
 * request at a time and falls over when hammered (piko.md), and a reading reaches the outputs once.
 *
 * Only the page source's answer decides the inverter's state. The listener (the bridge) contains its own faults;
 * should it throw all the same, that is logged as a bug and is never taken for the inverter's failure.
 */
export class InverterLoop {
  readonly id: string;
  private readonly tracker: InverterHealthTracker;
  private pollIntervalMs: number;
  private timer: unknown = null;
  private running = false;
  private inFlight: Promise<PollResult> | null = null;
  /** A history download in progress: polls wait for it, as it waits for the poll in flight. */
  private download: Promise<LogDaten> | null = null;
  private lastReading: Reading | null = null;

  constructor(private readonly options: InverterLoopOptions) {
    this.id = options.id;
    this.pollIntervalMs = options.pollIntervalMs;
    this.tracker = new InverterHealthTracker(options.now(), options.isNight, options.backoff);
  }

  /** Starts the schedule; the first poll after `firstDelayMs` (the bridge spreads many inverters over the interval). */
  start(firstDelayMs = 0): void {
    if (this.running) return;
    this.running = true;
    this.schedule(firstDelayMs);
  }

  /** Cancels the next poll and the one in flight; nothing is reported after this. */
  stop(): void {
    this.running = false;
    if (this.timer !== null) this.options.timers.clearTimeout(this.timer);
    this.timer = null;
    this.options.source.close();
  }

  /** A shorter interval takes effect at once (the waiting poll runs now); a longer one from the next pause. */
  setPollInterval(pollIntervalMs: number): void {
    const shorter = pollIntervalMs < this.pollIntervalMs;
    this.pollIntervalMs = pollIntervalMs;
    if (shorter && this.running && this.timer !== null) {
      this.options.timers.clearTimeout(this.timer);
      this.schedule(0);
    }
  }

  health(): InverterHealth {
    return this.tracker.snapshot();
  }

  latestReading(): Reading | null {
    return this.lastReading;
  }

  /** Polls now (or joins the poll in flight); the result goes to the outputs like any poll's. */
  readNow(): Promise<PollResult> {
    return this.poll();
  }

  /** Whether the inverter's source has a history to download. */
  get hasHistory(): boolean {
    return this.options.source.history !== undefined;
  }

  /**
   * Downloads the inverter's history between polls: after the poll in flight (and any other download), and no poll
   * starts until it is done, as the device serves one connection at a time (piko.md).
   */
  async readHistory(keep?: HistoryFilter): Promise<LogDaten> {
    const { source } = this.options;
    if (source.history === undefined) throw new RangeError(`inverter ${this.id} keeps no history to read`);
    while (this.inFlight !== null || this.download !== null) {
      await (this.inFlight ?? this.download)?.catch(() => undefined);
    }
    const download = source.history(keep);
    this.download = download;
    try {
      return await download;
    } finally {
      this.download = null;
    }
  }

  private schedule(delayMs: number): void {
    this.timer = this.options.timers.setTimeout(() => {
      this.timer = null;
      void this.scheduledPoll();
    }, delayMs);
  }

  private async scheduledPoll(): Promise<void> {
    const { now, random } = this.options;
    const startedAt = now();
    // The outcome was reported by the poll itself; here it only decides the pause.
    await this.poll().catch(() => undefined);
    if (!this.running) return;
    const pause = this.tracker.nextPollDelay(this.pollIntervalMs, random);
    this.schedule(Math.max(0, pause - (now() - startedAt)));
  }

  private poll(): Promise<PollResult> {
    const download = this.download;
    this.inFlight ??= (
      download === null
        ? this.pollOnce()
        : download.then(
            () => this.pollOnce(),
            () => this.pollOnce(),
          )
    ).finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async pollOnce(): Promise<PollResult> {
    const { source, now, listener } = this.options;
    const startedAt = now();
    let result: PollResult;
    try {
      result = await source.read();
    } catch (error) {
      if (this.running) {
        const durationMs = now() - startedAt;
        const change = this.tracker.recordError(error, now());
        if (change) this.tell("state change", () => listener.stateChanged(this.id, change));
        const health = this.tracker.snapshot();
        this.tell("failed poll", () => listener.pollFailed(this.id, error, health, durationMs));
      }
      throw error;
    }
    if (this.running) {
      const durationMs = now() - startedAt;
      this.lastReading = result.reading;
      const change = this.tracker.recordReading(result.reading, now());
      if (change) this.tell("state change", () => listener.stateChanged(this.id, change));
      this.tell("reading", () => listener.readingArrived(this.id, result, durationMs));
    }
    return result;
  }

  private tell(what: string, call: () => void): void {
    try {
      call();
    } catch (error) {
      this.options.log.error(
        `inverter ${this.id}: handling its ${what} failed (a bug); the loop goes on`,
        error,
      );
    }
  }
}
