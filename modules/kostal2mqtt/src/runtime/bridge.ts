import type { Logger } from "../log/logger.js";
import { InverterError } from "../piko/errors.js";
import { statusPageUrl } from "../piko/inverterAddress.js";
import type { PollResult } from "../piko/inverterClient.js";
import type { FetchLimits } from "../piko/pageFetcher.js";
import type { Timers } from "../poller.js";
import type { Reading } from "../reading/reading.js";
import type { BridgeEvent, InverterStatusReport, Output, OutputHealth } from "../outputs/output.js";
import type { BackoffLimits, InverterHealth, NightOracle, StateChange } from "./inverterHealth.js";
import { InverterRunner } from "./inverterRunner.js";
import { ReadingGuard } from "./readingGuard.js";
import { ReadingPublisher } from "./readingPublisher.js";

export interface InverterSettings {
  host: string;
  username: string;
  password: string;
  enabled: boolean;
}

export interface BridgeSettings {
  pollIntervalSeconds: number;
  inverters: ReadonlyMap<string, InverterSettings>;
}

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
}

export interface InverterStatus extends InverterStatusReport {
  failures: number;
}

const STATUS_REFRESH_MS = 60_000;
const FAILING = new Set(["unreachable", "auth_error", "format_error"]);

/**
 * The running bridge: one runner per configured inverter, every reading and state change fanned out to every
 * output. Settings (interval, inverters) apply live: a changed inverter is restarted, a removed one stopped.
 */
export class Bridge {
  private readonly runners = new Map<string, { runner: InverterRunner; settings: InverterSettings }>();
  private intervalMs = 10_000;
  private readonly lastSummary = new Map<string, number>();
  private readonly lastStatusAt = new Map<string, number>();
  private readonly now: () => number;

  private readonly publisher: ReadingPublisher;

  constructor(private readonly options: BridgeOptions) {
    this.now = options.now ?? Date.now;
    const guard =
      options.guard ??
      new ReadingGuard({ replacedAfter: 3, dataDir: null, warn: (m) => options.log.warn(m) });
    this.publisher = new ReadingPublisher(options.outputs, guard, options.log, options.zeroOnSleep ?? true);
  }

  async start(): Promise<void> {
    await Promise.all(this.options.outputs.map((output) => output.start()));
  }

  async stop(deadlineMs: number): Promise<void> {
    for (const { runner } of this.runners.values()) runner.stop();
    this.runners.clear();
    await Promise.all(this.options.outputs.map((output) => output.stop(deadlineMs)));
  }

  /** The interval between two polls of an inverter, as last applied. */
  get pollIntervalMs(): number {
    return this.intervalMs;
  }

  inverterIds(): string[] {
    return [...this.runners.keys()];
  }

  apply(settings: BridgeSettings): void {
    this.intervalMs = settings.pollIntervalSeconds * 1000;
    for (const [id, entry] of this.runners) {
      const wanted = settings.inverters.get(id);
      if (wanted === undefined || !wanted.enabled || !sameSettings(wanted, entry.settings)) {
        entry.runner.stop();
        this.runners.delete(id);
        this.options.log.info(
          `inverter ${id}: ${wanted === undefined ? "removed" : wanted.enabled ? "changed" : "disabled"}`,
        );
      } else {
        entry.runner.setInterval(this.intervalMs);
      }
    }
    const started: InverterRunner[] = [];
    for (const [id, wanted] of settings.inverters) {
      if (!wanted.enabled || this.runners.has(id)) continue;
      const runner = new InverterRunner({
        id,
        url: statusPageUrl(wanted.host),
        credentials: { username: wanted.username, password: wanted.password },
        limits: this.options.limits,
        intervalMs: this.intervalMs,
        sink: this.sinkFor(id),
        now: this.now,
        ...(this.options.timers ? { timers: this.options.timers } : {}),
        ...(this.options.isNight ? { isNight: this.options.isNight } : {}),
        ...(this.options.backoff ? { backoff: this.options.backoff } : {}),
      });
      this.runners.set(id, { runner, settings: { ...wanted } });
      this.options.log.info(
        `inverter ${id}: polling ${statusPageUrl(wanted.host).host} every ${this.intervalMs / 1000} s`,
      );
      started.push(runner);
    }
    // Many inverters: their polls are spread over the interval instead of all firing in the same tick.
    started.forEach((runner, index) => runner.start((index * this.intervalMs) / started.length));
  }

  /** Polls one inverter (or all) now. Unknown id: undefined. */
  async readNow(
    id?: string,
  ): Promise<Array<{ inverter: string; result?: PollResult; error?: InverterError }> | undefined> {
    const targets =
      id === undefined ? [...this.runners.values()] : [this.runners.get(id)].filter((e) => e !== undefined);
    if (id !== undefined && targets.length === 0) return undefined;
    return Promise.all(
      targets.map(async ({ runner }) => {
        try {
          return { inverter: runner.id, result: await runner.readNow() };
        } catch (error) {
          if (error instanceof InverterError) return { inverter: runner.id, error };
          throw error;
        }
      }),
    );
  }

  inverterStatuses(): InverterStatus[] {
    return [...this.runners.values()].map(({ runner }) =>
      statusReport(runner.id, runner.health(), runner.latestReading()),
    );
  }

  outputHealth(): Record<string, OutputHealth> {
    return Object.fromEntries(this.options.outputs.map((output) => [output.name, output.health()]));
  }

  /** Sends an event to every output (also used for configuration and output changes). */
  publishEvent(event: Omit<BridgeEvent, "at">): void {
    const full: BridgeEvent = { ...event, at: new Date(this.now()).toISOString() };
    for (const output of this.options.outputs) output.publishEvent(full);
  }

  private sinkFor(id: string) {
    return {
      onReading: (reading: Reading, warnings: string[]) => {
        this.publisher.publish(reading, warnings);
        this.refreshStatus(id);
      },
      onStateChange: (change: StateChange) => this.onStateChange(id, change),
      onPollError: (inverter: string, error: unknown, health: InverterHealth) =>
        this.onPollError(inverter, error, health),
    };
  }

  private onStateChange(id: string, change: StateChange): void {
    if (change.to === "asleep") this.publisher.asleep(id, change.at);
    const line = `inverter ${id}: ${change.from} -> ${change.to}: ${change.message}`;
    if (FAILING.has(change.to)) this.options.log.warn(line);
    else this.options.log.info(line);
    this.lastSummary.set(id, change.at);
    this.publishEvent({
      type: "inverter_state",
      subject: id,
      from: change.from,
      to: change.to,
      message: change.message,
    });
    this.publishStatus(id);
  }

  /** Re-publishes an unchanged status now and then, so `last_seen` stays current without a message per poll. */
  private refreshStatus(id: string): void {
    const last = this.lastStatusAt.get(id) ?? 0;
    if (this.now() - last < STATUS_REFRESH_MS) return;
    this.publishStatus(id);
  }

  private publishStatus(id: string): void {
    const entry = this.runners.get(id);
    if (entry === undefined) return;
    this.lastStatusAt.set(id, this.now());
    const report = statusReport(id, entry.runner.health(), entry.runner.latestReading());
    for (const output of this.options.outputs) output.publishInverterStatus(report);
  }

  private onPollError(inverter: string, error: unknown, health: InverterHealth): void {
    if (!(error instanceof InverterError))
      this.options.log.error(`inverter ${inverter}: unexpected failure`, error);
    const every = this.options.faultSummaryMs ?? 30 * 60_000;
    const last = this.lastSummary.get(inverter) ?? 0;
    if (health.failures > 1 && this.now() - last >= every) {
      this.lastSummary.set(inverter, this.now());
      this.options.log.info(
        `inverter ${inverter}: still ${health.state} since ${new Date(health.since).toISOString()} ` +
          `(${health.failures} failed polls): ${health.message}`,
      );
    }
  }
}

function sameSettings(a: InverterSettings, b: InverterSettings): boolean {
  return (
    a.host === b.host && a.username === b.username && a.password === b.password && a.enabled === b.enabled
  );
}

function statusReport(id: string, health: InverterHealth, reading: Reading | null): InverterStatus {
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
