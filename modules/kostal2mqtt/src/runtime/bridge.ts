import type { BridgeSettings, InverterSettings } from "../config/bridgeSettings.js";
import { realTimers, type Timers } from "../lib/timers.js";
import type { Logger } from "../log/logger.js";
import { InverterError } from "../piko/errors.js";
import { statusPageUrl } from "../piko/inverterAddress.js";
import { InverterClient, type PollResult } from "../piko/inverterClient.js";
import type { FetchLimits } from "../piko/pageFetcher.js";
import type { BridgeEvent, InverterStatusReport, Output, OutputHealth } from "../ports/output.js";
import type { Reading } from "../reading/reading.js";
import type { BridgeControl, BridgeObserver, ReadNowOutcome, StatusListener } from "./bridgeControl.js";
import type { BackoffLimits, InverterHealth, NightOracle, StateChange } from "./inverterHealth.js";
import { InverterLoop, type InverterLoopListener, type PageSource } from "./inverterLoop.js";
import { OutputFanOut } from "./outputFanOut.js";
import { ReadingGuard } from "./readingGuard.js";
import { ReadingPublisher } from "./readingPublisher.js";

export interface BridgeOptions {
  outputs: Output[];
  log: Logger;
  limits: FetchLimits;
  now?: () => number;
  timers?: Timers;
  isNight?: NightOracle;
  /** How often a lasting fault is summarised in the log (one line per change otherwise). */
  faultSummaryMs?: number;
  /** Checks counters before they are published; by default one without a data folder. */
  guard?: ReadingGuard;
  /** Publish one reading with power 0.0 and totals held when an inverter goes to sleep (default true). */
  zeroOnSleep?: boolean;
  backoff?: BackoffLimits;
  /** Where an inverter's pages come from; by default its status page over HTTP. Tests pass fake inverters. */
  sourceFor?: (inverter: string, settings: InverterSettings) => PageSource;
  /** Jitter of the backoff; injected so that tests can pin it. */
  random?: () => number;
}

const STATUS_REFRESH_MS = 60_000;
const FAILING = new Set(["unreachable", "auth_error", "format_error"]);

/**
 * The running bridge: one loop per configured inverter, and the one fan-out of everything it learns (readings,
 * state changes, events) to every output and to the controllers that subscribed. Settings (interval, inverters)
 * apply live: a changed inverter is restarted, a removed one stopped.
 */
export class Bridge implements BridgeControl {
  private readonly loops = new Map<string, { loop: InverterLoop; settings: InverterSettings }>();
  private currentPollIntervalMs = 10_000;
  private readonly lastSummary = new Map<string, number>();
  private readonly lastStatusAt = new Map<string, number>();
  private readonly statusListeners = new Set<StatusListener>();
  private readonly observers = new Set<BridgeObserver>();
  private readonly now: () => number;
  private readonly outputs: OutputFanOut;
  private readonly publisher: ReadingPublisher;
  /** What the inverters' loops report to; private, so that nobody else can pose as a loop. */
  private readonly loopListener: InverterLoopListener = {
    stateChanged: (id, change) => this.onStateChange(id, change),
    readingArrived: (id, result, durationMs) => {
      this.tellObservers(id, (o) => o.pollFinished?.({ inverter: id, outcome: "ok", durationMs }));
      this.onReading(id, result);
    },
    pollFailed: (id, error, health, durationMs) => {
      const outcome = error instanceof InverterError ? error.kind : "error";
      this.tellObservers(id, (o) => o.pollFinished?.({ inverter: id, outcome, durationMs }));
      this.onPollError(id, error, health);
    },
  };
  /** The outputs as the publisher sees them: what reaches them reaches the observers too. */
  private readonly observedOutputs = {
    publishReading: (reading: Reading) => {
      this.outputs.publishReading(reading);
      this.tellObservers(reading.inverter, (o) => o.readingPublished?.(reading));
    },
    publishEvent: (event: BridgeEvent) => this.publishEvent(event),
  };

  constructor(private readonly options: BridgeOptions) {
    this.now = options.now ?? Date.now;
    this.outputs = new OutputFanOut(options.outputs, options.log);
    const guard =
      options.guard ??
      new ReadingGuard({ replacedAfter: 3, dataDir: null, warn: (m) => options.log.warn(m) });
    this.publisher = new ReadingPublisher(
      this.observedOutputs,
      guard,
      options.log,
      options.zeroOnSleep ?? true,
    );
  }

  async start(): Promise<void> {
    await this.outputs.start();
  }

  async stop(deadlineMs: number): Promise<void> {
    for (const { loop } of this.loops.values()) loop.stop();
    this.loops.clear();
    await this.outputs.stop(deadlineMs);
  }

  get pollIntervalMs(): number {
    return this.currentPollIntervalMs;
  }

  apply(settings: BridgeSettings): void {
    const pollIntervalMs = settings.pollIntervalSeconds * 1000;
    this.currentPollIntervalMs = pollIntervalMs;
    for (const [id, entry] of this.loops) {
      const wanted = settings.inverters.get(id);
      if (wanted === undefined || !wanted.enabled || !sameSettings(wanted, entry.settings)) {
        entry.loop.stop();
        this.loops.delete(id);
        this.options.log.info(
          `inverter ${id}: ${wanted === undefined ? "removed" : wanted.enabled ? "changed" : "disabled"}`,
        );
      } else {
        entry.loop.setPollInterval(pollIntervalMs);
      }
    }
    const started: InverterLoop[] = [];
    for (const [id, wanted] of settings.inverters) {
      if (!wanted.enabled || this.loops.has(id)) continue;
      const loop = this.loopFor(id, wanted, pollIntervalMs);
      this.loops.set(id, { loop, settings: { ...wanted } });
      this.options.log.info(
        `inverter ${id}: polling ${statusPageUrl(wanted.host).host} every ${pollIntervalMs / 1000} s`,
      );
      started.push(loop);
    }
    // Many inverters: their polls are spread over the interval instead of all firing in the same tick.
    started.forEach((loop, index) => loop.start((index * pollIntervalMs) / started.length));
  }

  async readNow(inverter?: string): Promise<ReadNowOutcome[] | undefined> {
    const targets =
      inverter === undefined
        ? [...this.loops.values()]
        : [this.loops.get(inverter)].filter((e) => e !== undefined);
    if (inverter !== undefined && targets.length === 0) return undefined;
    return Promise.all(
      targets.map(async ({ loop }) => {
        try {
          return { inverter: loop.id, result: await loop.readNow() };
        } catch (error) {
          if (error instanceof InverterError) return { inverter: loop.id, error };
          throw error;
        }
      }),
    );
  }

  inverterStatuses(): InverterStatusReport[] {
    return [...this.loops.values()].map(({ loop }) =>
      statusReport(loop.id, loop.health(), loop.latestReading()),
    );
  }

  outputHealth(): Record<string, OutputHealth> {
    return this.outputs.health();
  }

  announce(event: Omit<BridgeEvent, "at">): void {
    this.publishEvent({ ...event, at: new Date(this.now()).toISOString() });
  }

  onInverterStatus(listener: StatusListener): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  observe(observer: BridgeObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  private publishEvent(event: BridgeEvent): void {
    this.outputs.publishEvent(event);
    this.tellObservers(event.subject ?? "-", (o) => o.eventAnnounced?.(event));
  }

  private tellObservers(subject: string, call: (observer: BridgeObserver) => void): void {
    for (const observer of this.observers) {
      try {
        call(observer);
      } catch (error) {
        this.options.log.error(`${subject}: an observer failed (a bug); the bridge goes on`, error);
      }
    }
  }

  private onStateChange(id: string, change: StateChange): void {
    if (change.to === "asleep") this.publisher.asleep(id, change.at);
    const line = `inverter ${id}: ${change.from} -> ${change.to}: ${change.message}`;
    if (FAILING.has(change.to)) this.options.log.warn(line);
    else this.options.log.info(line);
    this.lastSummary.set(id, change.at);
    this.announce({
      type: "inverter_state",
      subject: id,
      from: change.from,
      to: change.to,
      message: change.message,
    });
    this.publishStatus(id);
  }

  private onReading(id: string, result: PollResult): void {
    this.publisher.publish(result.reading, result.warnings);
    // An unchanged status is re-published now and then, so `last_seen` stays current without a message per poll.
    if (this.now() - (this.lastStatusAt.get(id) ?? 0) >= STATUS_REFRESH_MS) this.publishStatus(id);
  }

  /** A lasting fault is summarised now and then, not logged per poll. */
  private onPollError(id: string, error: unknown, health: InverterHealth): void {
    if (!(error instanceof InverterError))
      this.options.log.error(`inverter ${id}: unexpected failure`, error);
    const every = this.options.faultSummaryMs ?? 30 * 60_000;
    const last = this.lastSummary.get(id) ?? 0;
    if (health.failures > 1 && this.now() - last >= every) {
      this.lastSummary.set(id, this.now());
      this.options.log.info(
        `inverter ${id}: still ${health.state} since ${new Date(health.since).toISOString()} ` +
          `(${health.failures} failed polls): ${health.message}`,
      );
    }
  }

  private loopFor(id: string, settings: InverterSettings, pollIntervalMs: number): InverterLoop {
    const { options } = this;
    const source =
      options.sourceFor?.(id, settings) ??
      new InverterClient({
        id,
        url: statusPageUrl(settings.host),
        credentials: { username: settings.username, password: settings.password },
        limits: options.limits,
        now: this.now,
      });
    return new InverterLoop({
      id,
      source,
      pollIntervalMs,
      listener: this.loopListener,
      now: this.now,
      timers: options.timers ?? realTimers,
      log: options.log,
      ...(options.isNight ? { isNight: options.isNight } : {}),
      ...(options.backoff ? { backoff: options.backoff } : {}),
      ...(options.random ? { random: options.random } : {}),
    });
  }

  private publishStatus(id: string): void {
    const entry = this.loops.get(id);
    if (entry === undefined) return;
    this.lastStatusAt.set(id, this.now());
    const report = statusReport(id, entry.loop.health(), entry.loop.latestReading());
    this.outputs.publishInverterStatus(report);
    for (const listener of this.statusListeners) {
      try {
        listener(report);
      } catch (error) {
        this.options.log.error(`inverter ${id}: a status listener failed (a bug); the bridge goes on`, error);
      }
    }
  }
}

function sameSettings(a: InverterSettings, b: InverterSettings): boolean {
  return (
    a.host === b.host && a.username === b.username && a.password === b.password && a.enabled === b.enabled
  );
}

function statusReport(id: string, health: InverterHealth, reading: Reading | null): InverterStatusReport {
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
