import type { DesiredProperties } from "../../config/desiredProperties.js";
import type { Logger, Redactor } from "../../log/logger.js";
import { isInverterId } from "../../reading/reading.js";
import type { Bridge } from "../../runtime/bridge.js";
import type { InverterStatusReport } from "../output.js";
import type { EdgeHubSession, MethodHandler } from "./edgeHubSession.js";

export interface ModuleInfo {
  version: string;
  startedAt: string;
}

const REPORT_THROTTLE_MS = 30_000;

/**
 * The module twin and direct methods, tied to the bridge: desired properties applied live and acknowledged, the
 * module's own state and each inverter's state reported (throttled, and again after every reconnect), `readNow`
 * and `getStatus` answered. Reported patches that cannot go out now wait, merged, for the connection.
 */
export class ModuleTwinSync {
  private pending: Record<string, unknown> = {};
  private readonly inverterState: Record<string, unknown> = {};
  /** Inverters in the reported state that an earlier run left and this one has not judged yet. */
  private leftByEarlierRun: string[] = [];
  /** The inverters the twin (or the environment) names, enabled or not, as last applied. */
  private configured: ReadonlyMap<string, { enabled: boolean }>;
  private flushTimer: NodeJS.Timeout | undefined;
  private lastFlush = 0;
  session: EdgeHubSession | null = null;

  constructor(
    private readonly bridge: Bridge,
    private readonly desired: DesiredProperties,
    private readonly info: ModuleInfo,
    private readonly log: Logger,
    private readonly redactor: Redactor,
  ) {
    this.configured = desired.currentInverters;
  }

  readonly methods: Record<string, MethodHandler> = {
    readNow: (payload) => this.readNow(payload),
    getStatus: () => Promise.resolve({ status: 200, payload: this.status() }),
  };

  onDesired(document: unknown, whole: boolean): void {
    const evaluation = whole ? this.desired.replace(document) : this.desired.patch(document);
    if (evaluation === null) return;
    for (const settings of evaluation.settings.inverters.values()) this.redactor.add(settings.password);
    this.bridge.apply(evaluation.settings);
    for (const [key, ack] of Object.entries(evaluation.reported)) {
      if (ack === null) continue;
      const type = ack.ac === 400 ? "config_rejected" : "config_applied";
      if (ack.ac !== 203)
        this.bridge.publishEvent({ type, subject: undefined, message: `${key}: ${ack.ad}` });
      const line = `desired ${key} (version ${ack.av}): ${ack.ad}`;
      if (ack.ac === 400) this.log.warn(line);
      else this.log.info(line);
    }
    const inverterChanges = this.configuredInvertersChanged(evaluation.settings.inverters);
    const moduleReport = this.moduleReport();
    if (moduleReport.state !== "polling") this.log.warn(`${String(moduleReport.message)}`);
    this.report({ ...evaluation.reported, ...inverterChanges, module: moduleReport }, true);
    if (evaluation.gap) this.session?.refetchTwin();
  }

  /**
   * Inverters no longer named leave the reported state (null deletes the key in the twin), so that the twin never
   * says `producing` for an inverter nobody polls; disabled ones stay, marked as such.
   */
  private configuredInvertersChanged(
    inverters: ReadonlyMap<string, { enabled: boolean }>,
  ): Record<string, unknown> {
    const changes: Record<string, unknown> = {};
    const since = new Date().toISOString();
    const before = new Set([...this.configured.keys(), ...this.leftByEarlierRun]);
    this.leftByEarlierRun = [];
    for (const id of before) {
      if (inverters.has(id)) continue;
      this.log.info(`inverter ${id}: removed from the configuration`);
      delete this.inverterState[id];
      changes[id] = null;
    }
    for (const [id, settings] of inverters) {
      if (settings.enabled || this.configured.get(id)?.enabled === false) continue;
      this.log.info(`inverter ${id}: disabled`);
      this.inverterState[id] = { model: null, name: null, state: "disabled", since, lastReading: null };
      changes[id] = this.inverterState[id];
    }
    this.configured = new Map([...inverters].map(([id, settings]) => [id, { enabled: settings.enabled }]));
    return Object.keys(changes).length === 0 ? {} : { inverterState: changes };
  }

  /** What the twin reports from before (a restart): inverters no longer configured are cleared with the next report. */
  onReported(reported: unknown): void {
    if (!isPlainObject(reported)) return;
    const { inverterState, inverters } = reported;
    if (isPlainObject(inverterState))
      this.leftByEarlierRun = Object.keys(inverterState).filter((id) => !id.startsWith("$"));
    if (isPlainObject(inverters) && isPlainObject(inverters.value))
      this.desired.rememberReported(Object.keys(inverters.value).filter((id) => !id.startsWith("$")));
  }

  onConnected(): void {
    this.report({ module: this.moduleReport(), inverterState: { ...this.inverterState } }, true);
  }

  onInverterStatus(status: InverterStatusReport): void {
    this.inverterState[status.inverter] = {
      model: status.model ?? null,
      name: status.name ?? null,
      state: status.state,
      since: status.since,
      lastReading: status.last_seen,
    };
    this.report({ inverterState: { [status.inverter]: this.inverterState[status.inverter] } }, false);
  }

  status(): Record<string, unknown> {
    return {
      module: this.moduleReport(),
      inverters: this.bridge.inverterStatuses(),
      outputs: this.bridge.outputHealth(),
    };
  }

  private moduleReport(): Record<string, unknown> {
    const ids = this.bridge.inverterIds();
    const base = { version: this.info.version, startedAt: this.info.startedAt };
    if (ids.length > 0) return { ...base, state: "polling", message: `polling ${ids.length} inverter(s)` };
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

  private async readNow(payload: unknown): Promise<{ status: number; payload: unknown }> {
    let inverter: string | undefined;
    if (payload !== null && payload !== undefined && payload !== "") {
      if (typeof payload !== "object" || Array.isArray(payload)) {
        return { status: 400, payload: { error: 'the payload must be {} or {"inverter": "<id>"}' } };
      }
      const value = (payload as Record<string, unknown>).inverter;
      if (value !== undefined && (typeof value !== "string" || !isInverterId(value))) {
        return { status: 400, payload: { error: "inverter must be an inverter id ([a-z0-9_-])" } };
      }
      inverter = value;
    }
    const results = await this.bridge.readNow(inverter);
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

  /** Merges a reported patch into what waits and sends it now (`urgent`) or at most every 30 s. */
  private report(patch: Record<string, unknown>, urgent: boolean): void {
    this.pending = mergeReported(this.pending, patch);
    const wait = urgent ? 0 : Math.max(0, this.lastFlush + REPORT_THROTTLE_MS - Date.now());
    if (this.flushTimer !== undefined && !urgent) return;
    clearTimeout(this.flushTimer);
    this.flushTimer = setTimeout(() => void this.flush(), wait);
    this.flushTimer.unref();
  }

  private async flush(): Promise<void> {
    this.flushTimer = undefined;
    const session = this.session;
    if (!session?.isConnected || Object.keys(this.pending).length === 0) return;
    const patch = this.pending;
    this.pending = {};
    this.lastFlush = Date.now();
    try {
      await session.updateReported(patch);
    } catch (error) {
      this.pending = mergeReported(patch, this.pending);
      this.log.warn("reported properties wait for edgeHub", error);
    }
  }
}

function mergeReported(
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

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
