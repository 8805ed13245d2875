import type { BridgeSettings, InverterSettings } from "../config/bridgeSettings.js";
import { realTimers } from "../lib/timers.js";
import { InverterError } from "../piko/errors.js";
import { statusPageUrl } from "../piko/inverterAddress.js";
import type { PollResult } from "../piko/inverterClient.js";
import type { BridgeEvent, InverterStatusReport, OutputHealth } from "../ports/output.js";
import type { Reading } from "../reading/reading.js";
import type {
  BackfillOutcome,
  BridgeControl,
  BridgeObserver,
  ReadingCache,
  ReadNowOutcome,
  SettingsListener,
  StatusListener,
} from "./bridgeControl.js";
import { HistoryBackfill } from "./historyBackfill.js";
import { statusReport, type InverterHealth, type StateChange } from "./inverterHealth.js";
import { InverterLoop, type InverterLoopListener } from "./inverterLoop.js";
import { firstPollDelayMs } from "./startSchedule.js";
import { InverterSources, sameInverterSettings } from "./inverterSources.js";
import { BridgeListeners } from "./bridgeListeners.js";
import { OutputFanOut } from "./outputFanOut.js";
import { ReadingGuard } from "./readingGuard.js";
import { ReadingPublisher } from "./readingPublisher.js";
import type { BridgeOptions } from "./bridgeOptions.js";

export type { BridgeOptions } from "./bridgeOptions.js";

/** A gap worth a backfill: longer than two polls and a quarter of an hour (the device logs every 15 min). */
const BACKFILL_SLACK_MS = 15 * 60_000;

const STATUS_REFRESH_MS = 60_000;
const FAILING = new Set(["unreachable", "auth_error", "format_error"]);
const HEALTHY = new Set(["producing", "idle"]);

/**
 * The running bridge: one loop per configured inverter, and the one fan-out of everything it learns (readings,
 * state changes, events) to every output and to the controllers that subscribed. Settings (interval, inverters)
 * apply live: a changed inverter is restarted, a removed one stopped.
 */
export class Bridge implements BridgeControl, ReadingCache {
  private readonly loops = new Map<string, { loop: InverterLoop; settings: InverterSettings }>();
  private currentPollIntervalMs = 10_000;
  private readonly lastSummary = new Map<string, number>();
  private readonly lastStatusAt = new Map<string, number>();
  private readonly sources: InverterSources;
  private readonly listeners: BridgeListeners;
  private readonly now: () => number;
  private readonly outputs: OutputFanOut;
  private readonly publisher: ReadingPublisher;
  private readonly history: HistoryBackfill | null;
  /** What the inverters' loops report to; private, so that nobody else can pose as a loop. */
  private readonly loopListener: InverterLoopListener = {
    stateChanged: (id, change) => this.onStateChange(id, change),
    readingArrived: (id, result, durationMs) => {
      this.listeners.tell(id, (o) => o.pollFinished?.({ inverter: id, outcome: "ok", durationMs }));
      this.onReading(id, result);
    },
    pollFailed: (id, error, health, durationMs) => {
      const outcome = error instanceof InverterError ? error.kind : "error";
      this.listeners.tell(id, (o) => o.pollFinished?.({ inverter: id, outcome, durationMs }));
      this.onPollError(id, error, health);
    },
  };
  /** The outputs as the publisher sees them: what reaches them reaches the observers too. */
  private readonly observedOutputs = {
    publishReading: (reading: Reading) => {
      this.outputs.publishReading(reading);
      this.listeners.tell(reading.inverter, (o) => o.readingPublished?.(reading));
    },
    publishEvent: (event: BridgeEvent) => this.publishEvent(event),
  };

  constructor(private readonly options: BridgeOptions) {
    this.now = options.now ?? Date.now;
    this.listeners = new BridgeListeners(options.log);
    this.sources = new InverterSources({
      log: options.log,
      limits: options.limits,
      now: this.now,
      ...(options.sourceFor && { sourceFor: options.sourceFor }),
    });
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
    this.history =
      options.history === undefined
        ? null
        : new HistoryBackfill({
            dataDir: options.history.dataDir,
            publish: (message) => this.outputs.publishHistory(message),
            log: options.log,
            now: this.now,
          });
  }

  async start(): Promise<void> {
    await this.outputs.start();
  }

  async stop(deadlineMs: number): Promise<void> {
    for (const { loop } of this.loops.values()) loop.stop();
    this.loops.clear();
    this.history?.saveAll();
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
      if (wanted === undefined || !wanted.enabled || !sameInverterSettings(wanted, entry.settings)) {
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
      const bus = wanted.rs485Address === undefined ? "" : ` (RS485 address ${wanted.rs485Address})`;
      this.options.log.info(
        `inverter ${id}: polling ${statusPageUrl(wanted.host).host}${bus} every ${pollIntervalMs / 1000} s`,
      );
      started.push(loop);
    }
    started.forEach((loop, index) => loop.start(firstPollDelayMs(index, started.length, pollIntervalMs)));
    this.listeners.settingsApplied(settings);
  }

  lastReading(inverter: string): Reading | null {
    return this.loops.has(inverter) ? this.publisher.last(inverter) : null;
  }

  onSettingsApplied(listener: SettingsListener): () => void {
    return this.listeners.onSettingsApplied(listener);
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

  async backfillHistory(inverter?: string, sinceMs?: number): Promise<BackfillOutcome[] | undefined> {
    const ids = inverter === undefined ? [...this.loops.keys()] : this.loops.has(inverter) ? [inverter] : [];
    if (inverter !== undefined && ids.length === 0) return undefined;
    return Promise.all(
      ids.map(async (id): Promise<BackfillOutcome> => {
        try {
          return { inverter: id, count: await this.backfill(id, sinceMs) };
        } catch (error) {
          if (error instanceof InverterError || error instanceof RangeError)
            return { inverter: id, error: `${error.name}: ${error.message}` };
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
    return this.listeners.onInverterStatus(listener);
  }

  observe(observer: BridgeObserver): () => void {
    return this.listeners.observe(observer);
  }

  private publishEvent(event: BridgeEvent): void {
    this.outputs.publishEvent(event);
    this.listeners.tell(event.subject ?? "-", (o) => o.eventAnnounced?.(event));
  }

  private onStateChange(id: string, change: StateChange): void {
    if (change.to === "asleep") this.publisher.asleep(id, change.at);
    if (change.to === "asleep" && HEALTHY.has(change.from)) this.history?.wentToSleep(id);
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
    const gapMs = 2 * this.currentPollIntervalMs + BACKFILL_SLACK_MS;
    const gapFrom = this.history?.readingPublished(id, result.reading.ts_ms, gapMs) ?? null;
    if (gapFrom !== null && this.loops.get(id)?.loop.hasHistory === true) {
      this.options.log.info(
        `inverter ${id}: no reading since ${new Date(gapFrom).toISOString()}; backfilling its history`,
      );
      this.backfill(id, gapFrom).catch((error: unknown) =>
        this.options.log.warn(`inverter ${id}: history backfill failed: ${(error as Error).message}`),
      );
    }
    // An unchanged status is re-published now and then, so `last_seen` stays current without a message per poll.
    if (this.now() - (this.lastStatusAt.get(id) ?? 0) >= STATUS_REFRESH_MS) this.publishStatus(id);
  }

  /** Downloads the inverter's history between its polls and publishes what is new. */
  private backfill(id: string, sinceMs?: number): Promise<number> {
    const loop = this.loops.get(id)?.loop;
    if (loop === undefined || this.history === null) {
      return Promise.reject(new RangeError("history backfill is off"));
    }
    return this.history.run(id, (keep) => loop.readHistory(keep), sinceMs);
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
    const source = this.sources.open(id, settings);
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
    this.listeners.statusChanged(report);
  }
}
