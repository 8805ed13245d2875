import type { ProtocolSetting } from "../piko/protocolProbe.js";
import type { BridgeSettings, InverterSettings } from "./bridgeSettings.js";
import { inverterId } from "./formats.js";
import {
  INVERTER_ENTRY,
  inverterFieldProblem,
  isInverterKey,
  sharedWebServerProblems,
} from "./inverterSettings.js";
import { configSettings, settingAt, validateSetting } from "./settingInfo.js";

/**
 * The module twin's desired properties, validated by the schema's own rules (the setting's format for
 * `pollIntervalSeconds`, the inverter entry's for each of `inverters`), and the Plug and Play
 * acknowledgements for the reported properties (`{value, ac, av, ad}`; ac 200 applied, 400 rejected with the
 * reason, 203 a default the module chose). A rejected value leaves the last good one in force. Passwords are
 * write-only: an acknowledgement never carries one.
 */

export interface Ack {
  value: unknown;
  ac: 200 | 203 | 400;
  av: number;
  ad: string;
}

export interface EnvDefaults {
  pollIntervalSeconds: number;
  /** The inverters the environment names (KOSTAL_HOST or KOSTAL_INVERTERS), if any. */
  inverters: ReadonlyMap<string, InverterSettings>;
  /** The variable that named them, for acknowledgements; KOSTAL_HOST when not said. */
  origin?: "KOSTAL_HOST" | "KOSTAL_INVERTERS";
  username: string;
  password: string;
}

export interface Evaluation {
  settings: BridgeSettings;
  /** Reported properties to patch: an ack per known property, null to clear the ack of a key no longer desired. */
  reported: Record<string, Ack | null>;
  /** A patch skipped a version: the caller should fetch the whole twin. */
  gap: boolean;
}

const MAX_INVERTERS = 64;
/** The setting the twin's `pollIntervalSeconds` changes (SCRAPE_INTERVAL). */
const INTERVAL = settingAt("scrapeIntervalSeconds");
/** The desired properties the schema names as the twin's way to change a live setting. */
const KNOWN = new Set(configSettings().flatMap((s) => (s.twin === null ? [] : [s.twin.split(".")[0]!])));
const ENTRY_KEYS = Object.keys(INVERTER_ENTRY).join(", ");

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Merges a twin patch into a document the way IoT Hub does: objects merge, null deletes, the rest replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  const result: Json = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    // A new object is merged into nothing, so that its own nulls are dropped as IoT Hub drops them.
    else if (isObject(value)) result[key] = mergePatch(isObject(result[key]) ? result[key] : {}, value);
    else result[key] = value;
  }
  return result;
}

/** The id as the schema's rule for KOSTAL_ID says it, or null (an id is a map key, never a secret). */
function idProblem(id: string): string | null {
  try {
    inverterId(id);
    return null;
  } catch (error) {
    return `inverter id '${id.slice(0, 64)}' ${error instanceof Error ? error.message : "is not valid"}`;
  }
}

function validateInverter(id: string, entry: unknown, defaults: EnvDefaults): InverterSettings | string[] {
  const badId = idProblem(id);
  if (badId !== null) return [badId];
  if (!isObject(entry)) return [`${id}: must be an object {${ENTRY_KEYS}}`];
  const unknown = Object.keys(entry).filter((key) => !isInverterKey(key));
  if (unknown.length > 0)
    return [`${id}: unknown key ${unknown.map((k) => `'${k.slice(0, 32)}'`).join(", ")}`];
  const problems = Object.entries(entry).flatMap(([key, value]) => {
    const problem = isInverterKey(key) ? inverterFieldProblem(key, value) : null;
    return problem === null ? [] : [`${id}.${key}: ${problem}`];
  });
  if (problems.length > 0) return problems;
  const enabled = (entry.enabled as boolean | undefined) ?? INVERTER_ENTRY.enabled.default;
  // The environment's inverter may be named by its id alone ({"enabled": false} turns it off); another needs a
  // host, enabled or not, so that every configured inverter has an address it can be switched on with.
  const inherited = defaults.inverters.get(id);
  if (entry.host === undefined && inherited === undefined)
    return [`${id}.host: missing (the address of the inverter)`];
  // A bus address belongs to its host: it is inherited only with the host.
  const rs485Address =
    (entry.rs485Address as number | undefined) ??
    (entry.host === undefined ? inherited?.rs485Address : undefined);
  return {
    host: typeof entry.host === "string" ? entry.host.trim() : (inherited?.host ?? ""),
    username: (entry.username as string | undefined) ?? inherited?.username ?? defaults.username,
    password: (entry.password as string | undefined) ?? inherited?.password ?? defaults.password,
    enabled,
    protocol:
      (entry.protocol as ProtocolSetting | undefined) ??
      inherited?.protocol ??
      INVERTER_ENTRY.protocol.default,
    mirrorPort: (entry.mirrorPort as number | undefined) ?? inherited?.mirrorPort ?? 0,
    ...(rs485Address !== undefined && { rs485Address }),
  };
}

/** Inverter entries of a desired `inverters` map (keys starting with `$` are IoT Hub's metadata). */
function inverterEntries(value: Json): Array<[string, unknown]> {
  return Object.entries(value).filter(([key]) => !key.startsWith("$"));
}

/** The inverters of an `inverters` map, and every problem of it, each led by its entry's path (`garage.host: ...`). */
export function checkInverters(
  value: unknown,
  defaults: EnvDefaults,
): { inverters: Map<string, InverterSettings>; problems: string[] } {
  const inverters = new Map<string, InverterSettings>();
  if (!isObject(value))
    return { inverters, problems: [`must be an object mapping inverter ids to {${ENTRY_KEYS}}`] };
  const entries = inverterEntries(value);
  if (entries.length > MAX_INVERTERS) return { inverters, problems: [`at most ${MAX_INVERTERS} inverters`] };
  const problems: string[] = [];
  for (const [id, entry] of entries) {
    const checked = validateInverter(id, entry, defaults);
    if (Array.isArray(checked)) problems.push(...checked);
    else inverters.set(id, checked);
  }
  problems.push(...sharedWebServerProblems(inverters));
  return { inverters, problems };
}

export function validateInverters(
  value: unknown,
  defaults: EnvDefaults,
): Map<string, InverterSettings> | string {
  const { inverters, problems } = checkInverters(value, defaults);
  return problems.length > 0 ? problems.join("; ") : inverters;
}

/**
 * What the reported `inverters` value shows: everything but the passwords. IoT Hub merges reported patches, so an
 * inverter reported before and gone now is sent as null, which deletes it there.
 */
export function publicInverters(
  inverters: ReadonlyMap<string, InverterSettings>,
  reportedBefore: Iterable<string> = [],
): Json {
  const value: Json = {};
  for (const id of reportedBefore) if (!inverters.has(id)) value[id] = null;
  for (const [id, s] of inverters) {
    const bus = s.rs485Address === undefined ? {} : { rs485Address: s.rs485Address };
    value[id] = {
      host: s.host,
      username: s.username,
      enabled: s.enabled,
      protocol: s.protocol ?? "auto",
      mirrorPort: s.mirrorPort ?? 0,
      ...bus,
    };
  }
  return value;
}

export class DesiredProperties {
  private desired: Json = {};
  private version = 0;
  private interval: number;
  private inverters: ReadonlyMap<string, InverterSettings>;
  private readonly acked = new Set<string>();
  /** The inverter ids the last `inverters` acknowledgement showed. */
  private reportedIds: string[] = [];

  constructor(private readonly defaults: EnvDefaults) {
    this.interval = defaults.pollIntervalSeconds;
    this.inverters = defaults.inverters;
  }

  get currentVersion(): number {
    return this.version;
  }

  /** Inverter ids an earlier run left in the reported `inverters` value: the next acknowledgement clears them. */
  rememberReported(ids: Iterable<string>): void {
    this.reportedIds = [...new Set([...this.reportedIds, ...ids])];
  }

  /** The inverters in force: the environment's until the twin names others. */
  get currentInverters(): ReadonlyMap<string, InverterSettings> {
    return this.inverters;
  }

  /** The whole desired document (twin GET); null when it is not newer than what was applied. */
  replace(desired: unknown): Evaluation | null {
    // A copy: the SDK hands over its live desired object and changes it in place with every patch.
    const doc = isObject(desired) ? (JSON.parse(JSON.stringify(desired)) as Json) : {};
    const version = typeof doc.$version === "number" ? doc.$version : 0;
    if (version !== 0 && version <= this.version) return null;
    this.desired = doc;
    this.version = version;
    return this.evaluate(false);
  }

  /** A desired patch; null when it is older than what was applied. */
  patch(patch: unknown): Evaluation | null {
    const doc = isObject(patch) ? patch : {};
    const version = typeof doc.$version === "number" ? doc.$version : this.version + 1;
    if (version <= this.version) return null;
    const gap = version > this.version + 1;
    this.desired = mergePatch(this.desired, doc);
    this.version = version;
    return this.evaluate(gap);
  }

  private evaluate(gap: boolean): Evaluation {
    const reported: Record<string, Ack | null> = {};
    const av = this.version;
    const interval = this.desired.pollIntervalSeconds;
    if (interval === undefined) {
      this.interval = this.defaults.pollIntervalSeconds;
      reported.pollIntervalSeconds = {
        value: this.interval,
        ac: 203,
        av: 0,
        ad: `default (${INTERVAL.env})`,
      };
    } else {
      const problem = validateSetting(INTERVAL.path, interval);
      if (problem === null) this.interval = interval as number;
      reported.pollIntervalSeconds =
        problem === null
          ? { value: this.interval, ac: 200, av, ad: "applied" }
          : {
              value: this.interval,
              ac: 400,
              av,
              ad: `rejected: ${problem}; ${this.interval} s stays in force`,
            };
    }
    reported.inverters = this.evaluateInverters(av);
    const unknownNow = Object.keys(this.desired).filter((key) => !KNOWN.has(key) && !key.startsWith("$"));
    for (const key of unknownNow) {
      reported[key] = { value: null, ac: 400, av, ad: "rejected: unknown property" };
      this.acked.add(key);
    }
    for (const key of [...this.acked]) {
      if (!unknownNow.includes(key)) {
        reported[key] = null;
        this.acked.delete(key);
      }
    }
    return { settings: { pollIntervalSeconds: this.interval, inverters: this.inverters }, reported, gap };
  }

  /**
   * An absent or empty map means "the environment's inverter" (KOSTAL_HOST): a manifest that ships
   * `"inverters": {}` must not silently stop the polling. A non-empty map replaces the environment's inverter;
   * turning every inverter off is an explicit act (`"enabled": false`), which the acknowledgement spells out.
   */
  private evaluateInverters(av: number): Ack {
    const ack = this.inverterAck(av);
    const value = publicInverters(this.inverters, this.reportedIds);
    this.reportedIds = [...this.inverters.keys()];
    return { value, ...ack };
  }

  private inverterAck(av: number): Omit<Ack, "value"> {
    const desired = this.desired.inverters;
    const useEnvironment = (ad: string, ac: 200 | 203, version: number) => {
      this.inverters = this.defaults.inverters;
      return { ac, av: version, ad };
    };
    const fallback =
      this.defaults.inverters.size > 0
        ? `default (${this.defaults.origin ?? "KOSTAL_HOST"})`
        : "no inverter in KOSTAL_HOST either: waiting for configuration";
    if (desired === undefined) return useEnvironment(fallback, 203, 0);
    if (isObject(desired) && inverterEntries(desired).length === 0)
      return useEnvironment(`applied: no inverter in the twin; ${fallback}`, 200, av);
    const checked = validateInverters(desired, this.defaults);
    if (typeof checked === "string") {
      return { ac: 400, av, ad: `rejected: ${checked}; the last good set stays in force` };
    }
    this.inverters = checked;
    const enabled = [...checked.values()].filter((settings) => settings.enabled).length;
    const ad =
      enabled === 0
        ? "applied: every inverter is disabled, none is polled"
        : `applied: ${enabled} inverter(s) polled`;
    return { ac: 200, av, ad };
  }
}
