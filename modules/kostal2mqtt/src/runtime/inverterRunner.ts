import { InverterClient, type PollResult } from "../piko/inverterClient.js";
import type { Credentials, FetchLimits } from "../piko/pageFetcher.js";
import { Poller, realTimers, type Timers } from "../poller.js";
import type { Reading } from "../reading/reading.js";
import {
  InverterHealthTracker,
  type BackoffLimits,
  type InverterHealth,
  type NightOracle,
  type StateChange,
} from "./inverterHealth.js";

export interface InverterRunnerSink {
  onReading(reading: Reading, warnings: string[]): void;
  onStateChange(change: StateChange, health: InverterHealth): void;
  onPollError(inverter: string, error: unknown, health: InverterHealth): void;
}

export interface InverterRunnerOptions {
  id: string;
  url: URL;
  credentials: Credentials;
  limits: FetchLimits;
  intervalMs: number;
  sink: InverterRunnerSink;
  now?: () => number;
  timers?: Timers;
  isNight?: NightOracle;
  backoff?: BackoffLimits;
}

/**
 * One inverter: its client, its health, and its poll loop. The loop polls at the interval while the inverter
 * answers and backs off while it does not; `readNow` polls at once (sharing a request already in flight).
 */
export class InverterRunner {
  readonly id: string;
  private readonly client: InverterClient;
  private readonly tracker: InverterHealthTracker;
  private readonly poller: Poller;
  private intervalMs: number;
  private lastReading: Reading | null = null;
  private inFlight: Promise<PollResult> | null = null;

  constructor(private readonly options: InverterRunnerOptions) {
    const now = options.now ?? Date.now;
    this.id = options.id;
    this.intervalMs = options.intervalMs;
    this.client = new InverterClient({
      id: options.id,
      url: options.url,
      credentials: options.credentials,
      limits: options.limits,
      now,
    });
    this.tracker = new InverterHealthTracker(now(), options.isNight, options.backoff);
    this.poller = new Poller({
      source: { id: options.id, read: () => this.poll() },
      delayMs: () => this.tracker.nextPollDelay(this.intervalMs),
      timers: options.timers ?? realTimers,
      now,
      onReading: () => undefined,
      onError: () => undefined,
    });
  }

  start(firstDelayMs = 0): void {
    this.poller.start(firstDelayMs);
  }

  stop(): void {
    this.poller.stop();
    this.client.close();
  }

  setInterval(ms: number): void {
    const shorter = ms < this.intervalMs;
    this.intervalMs = ms;
    if (shorter) this.poller.pollSoon();
  }

  health(): InverterHealth {
    return this.tracker.snapshot();
  }

  latestReading(): Reading | null {
    return this.lastReading;
  }

  /** Polls now; rejects with the inverter's typed error. The result goes to the outputs like any poll. */
  readNow(): Promise<PollResult> {
    return this.poll();
  }

  /** A poll asked for while one runs shares it, so a reading reaches the outputs once. */
  private poll(): Promise<PollResult> {
    this.inFlight ??= this.pollOnce().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async pollOnce(): Promise<PollResult> {
    const now = this.options.now ?? Date.now;
    const { sink } = this.options;
    try {
      const result = await this.client.read();
      this.lastReading = result.reading;
      const change = this.tracker.recordReading(result.reading, now());
      if (change) sink.onStateChange(change, this.tracker.snapshot());
      sink.onReading(result.reading, result.warnings);
      return result;
    } catch (error) {
      const change = this.tracker.recordError(error, now());
      if (change) sink.onStateChange(change, this.tracker.snapshot());
      sink.onPollError(this.id, error, this.tracker.snapshot());
      throw error;
    }
  }
}
