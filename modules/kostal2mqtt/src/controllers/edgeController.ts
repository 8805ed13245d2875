import type { DesiredProperties } from "../config/desiredProperties.js";
import { realTimers, type Timers } from "../lib/timers.js";
import type { Logger, Redactor } from "../log/logger.js";
import type { InverterStatusReport } from "../ports/output.js";
import { isInverterId } from "../reading/reading.js";
import type { BridgeControl } from "../runtime/bridgeControl.js";
import { isPlainObject, TwinReports, type TwinChannel } from "./twinReports.js";

export interface ModuleInfo {
  version: string;
  startedAt: string;
}

/** A direct method's answer: an HTTP-like status and a JSON payload. */
export interface MethodAnswer {
  status: number;
  payload: unknown;
}

export interface EdgeControllerOptions {
  control: BridgeControl;
  twin: TwinChannel;
  desired: DesiredProperties;
  info: ModuleInfo;
  log: Logger;
  redactor: Redactor;
  now?: () => number;
  timers?: Timers;
}

/**
 * The module twin and direct methods, steering the bridge through its control interface: desired properties
 * applied live and acknowledged, the module's own state and each inverter's state reported (throttled, and again
 * after every reconnect), `readNow` and `getStatus` answered. The edgeHub session calls the handlers below; the
 * composition root starts the controller (it then hears of inverter states) and stops it.
 */
export class EdgeController {
  private readonly inverterState: Record<string, unknown> = {};
  /** Inverters in the reported state that an earlier run left and this one has not judged yet. */
  private leftByEarlierRun: string[] = [];
  /** The inverters the twin (or the environment) names, enabled or not, as last applied. */
  private configured: ReadonlyMap<string, { enabled: boolean }>;
  private readonly reports: TwinReports;
  private readonly now: () => number;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly options: EdgeControllerOptions) {
    this.configured = options.desired.currentInverters;
    this.now = options.now ?? Date.now;
    this.reports = new TwinReports(options.twin, options.log, options.timers ?? realTimers, this.now);
  }

  start(): void {
    this.unsubscribe ??= this.options.control.onInverterStatus((status) => this.onInverterStatus(status));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.reports.stop();
  }

  /** The direct methods by name, as a transport registers them. */
  readonly methods: Readonly<Record<string, (payload: unknown) => Promise<MethodAnswer>>> = {
    readNow: (payload) => this.readNow(payload),
    getStatus: () => this.getStatus(),
    backfillHistory: (payload) => this.backfillHistory(payload),
  };

  /** The whole desired document (after every (re)connect) or a patch. */
  onDesired(document: unknown, whole: boolean): void {
    const { desired, control, log, redactor } = this.options;
    const evaluation = whole ? desired.replace(document) : desired.patch(document);
    if (evaluation === null) return;
    for (const settings of evaluation.settings.inverters.values()) redactor.add(settings.password);
    control.apply(evaluation.settings);
    for (const [key, ack] of Object.entries(evaluation.reported)) {
      if (ack === null) continue;
      const type = ack.ac === 400 ? "config_rejected" : "config_applied";
      if (ack.ac !== 203) control.announce({ type, subject: undefined, message: `${key}: ${ack.ad}` });
      const line = `desired ${key} (version ${ack.av}): ${ack.ad}`;
      if (ack.ac === 400) log.warn(line);
      else log.info(line);
    }
    const inverterChanges = this.configuredInvertersChanged(evaluation.settings.inverters);
    const moduleReport = this.moduleReport();
    if (moduleReport.state !== "polling") log.warn(`${String(moduleReport.message)}`);
    this.reports.report({ ...evaluation.reported, ...inverterChanges, module: moduleReport }, true);
    if (evaluation.gap) this.options.twin.refetchTwin();
  }

  /** What the twin reports from before (a restart): inverters no longer configured are cleared with the next report. */
  onReported(reported: unknown): void {
    if (!isPlainObject(reported)) return;
    const { inverterState, inverters } = reported;
    if (isPlainObject(inverterState))
      this.leftByEarlierRun = Object.keys(inverterState).filter((id) => !id.startsWith("$"));
    if (isPlainObject(inverters) && isPlainObject(inverters.value))
      this.options.desired.rememberReported(Object.keys(inverters.value).filter((id) => !id.startsWith("$")));
  }

  onConnected(): void {
    this.reports.report({ module: this.moduleReport(), inverterState: { ...this.inverterState } }, true);
  }

  /** The direct method `getStatus`: the module, every polled inverter, every output. */
  getStatus(): Promise<MethodAnswer> {
    const { control } = this.options;
    const payload = {
      module: this.moduleReport(),
      inverters: control.inverterStatuses(),
      outputs: control.outputHealth(),
    };
    return Promise.resolve({ status: 200, payload });
  }

  /** An inverter's state as the bridge published it (the subscription `start` makes calls this). */
  onInverterStatus(status: Omit<InverterStatusReport, "failures">): void {
    this.inverterState[status.inverter] = {
      model: status.model ?? null,
      name: status.name ?? null,
      state: status.state,
      since: status.since,
      lastReading: status.last_seen,
    };
    this.reports.report({ inverterState: { [status.inverter]: this.inverterState[status.inverter] } }, false);
  }

  /**
   * Inverters no longer named leave the reported state (null deletes the key in the twin), so that the twin never
   * says `producing` for an inverter nobody polls; disabled ones stay, marked as such.
   */
  private configuredInvertersChanged(
    inverters: ReadonlyMap<string, { enabled: boolean }>,
  ): Record<string, unknown> {
    const { log } = this.options;
    const changes: Record<string, unknown> = {};
    const since = new Date(this.now()).toISOString();
    const before = new Set([...this.configured.keys(), ...this.leftByEarlierRun]);
    this.leftByEarlierRun = [];
    for (const id of before) {
      if (inverters.has(id)) continue;
      log.info(`inverter ${id}: removed from the configuration`);
      delete this.inverterState[id];
      changes[id] = null;
    }
    for (const [id, settings] of inverters) {
      if (settings.enabled || this.configured.get(id)?.enabled === false) continue;
      log.info(`inverter ${id}: disabled`);
      this.inverterState[id] = { model: null, name: null, state: "disabled", since, lastReading: null };
      changes[id] = this.inverterState[id];
    }
    this.configured = new Map([...inverters].map(([id, settings]) => [id, { enabled: settings.enabled }]));
    return Object.keys(changes).length === 0 ? {} : { inverterState: changes };
  }

  private moduleReport(): Record<string, unknown> {
    const polled = this.options.control.inverterStatuses().length;
    const base = { version: this.options.info.version, startedAt: this.options.info.startedAt };
    if (polled > 0) return { ...base, state: "polling", message: `polling ${polled} inverter(s)` };
    if (this.configured.size > 0)
      return {
        ...base,
        state: "disabled",
        message: "every configured inverter is disabled: nothing is polled",
      };
    return {
      ...base,
      state: "waiting for configuration",
      message: "no inverter configured: set KOSTAL_HOST or the desired property inverters",
    };
  }

  /** The direct method `readNow`: `{}` polls every inverter, `{"inverter": "<id>"}` one. */
  async readNow(payload: unknown): Promise<MethodAnswer> {
    let inverter: string | undefined;
    if (payload !== null && payload !== undefined && payload !== "") {
      if (!isPlainObject(payload)) {
        return { status: 400, payload: { error: 'the payload must be {} or {"inverter": "<id>"}' } };
      }
      const value = payload.inverter;
      if (value !== undefined && (typeof value !== "string" || !isInverterId(value))) {
        return { status: 400, payload: { error: "inverter must be an inverter id ([a-z0-9_-])" } };
      }
      inverter = value;
    }
    const results = await this.options.control.readNow(inverter);
    if (results === undefined)
      return { status: 404, payload: { error: `no inverter '${inverter}' is configured` } };
    if (results.length === 0) return { status: 503, payload: { error: "no inverter is configured yet" } };
    const readings = results.flatMap((r) => (r.result ? [r.result.reading] : []));
    const errors = results.flatMap((r) =>
      r.error ? [{ inverter: r.inverter, error: `${r.error.name}: ${r.error.message}` }] : [],
    );
    if (readings.length === 0) {
      return {
        status: 503,
        payload: { error: errors.map((e) => `${e.inverter}: ${e.error}`).join("; "), errors },
      };
    }
    return { status: 200, payload: { readings, errors } };
  }

  /**
   * The direct method `backfillHistory`: `{}` or `{"inverter": "<id>", "since": "<ISO time>"}` downloads the
   * history of one inverter (or of every one that keeps it) and publishes the entries not published yet; 200 with
   * the count per inverter, 400 for a bad payload, 404 for an unknown inverter.
   */
  async backfillHistory(payload: unknown): Promise<MethodAnswer> {
    const usage = 'the payload must be {} or {"inverter": "<id>", "since": "<ISO-8601 time>"}';
    const given = payload === null || payload === undefined || payload === "" ? {} : payload;
    if (!isPlainObject(given)) return { status: 400, payload: { error: usage } };
    const { inverter, since, ...rest } = given;
    if (Object.keys(rest).length > 0) return { status: 400, payload: { error: usage } };
    if (inverter !== undefined && (typeof inverter !== "string" || !isInverterId(inverter))) {
      return { status: 400, payload: { error: "inverter must be an inverter id ([a-z0-9_-])" } };
    }
    const sinceMs =
      typeof since === "string" && /^\d{4}-\d{2}-\d{2}/.test(since) ? Date.parse(since) : Number.NaN;
    if (since !== undefined && Number.isNaN(sinceMs)) {
      return { status: 400, payload: { error: "since must be an ISO-8601 time, e.g. 2024-06-21T12:00:00Z" } };
    }
    const outcomes = await this.options.control.backfillHistory(
      inverter,
      since === undefined ? undefined : sinceMs,
    );
    if (outcomes === undefined)
      return { status: 404, payload: { error: `no inverter '${inverter}' is configured` } };
    const count = outcomes.reduce((sum, outcome) => sum + (outcome.count ?? 0), 0);
    return { status: 200, payload: { count, inverters: outcomes } };
  }
}
