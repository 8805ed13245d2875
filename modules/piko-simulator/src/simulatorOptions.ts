import type { Clock } from "./clock.js";
import { isProtocol, PROTOCOLS, type Protocol } from "./deviceGeneration.js";
import { isLanguage, LANGUAGES, type Language } from "./languages.js";
import { isModelId, MODEL_IDS, type ModelId } from "./models.js";
import { DEVICE_NAME } from "./pageRenderer.js";

/** The settings of one simulated PIKO, their defaults (the factory settings where the device has them) and checks. */

export type NightBehaviour = "silent" | "refuse";

export interface PikoSimulatorOptions {
  /** Default "10.1". */
  model?: ModelId;
  /** UI language of the page; default "de" (the factory setting). */
  language?: Language;
  /** Device name, `[A-Za-z0-9]`; default "piko". */
  name?: string;
  /** RS485 bus address, 1-255; default 255. */
  rs485Address?: number;
  /**
   * Simulated time. Required: what the page shows (asleep at night, feeding by day) follows it, so the time of day
   * is always a choice (a ManualClock, an AcceleratedClock from a chosen start, or systemClock for real time).
   */
  clock: Clock;
  /** Default "pvserver", the factory user. */
  username?: string;
  /** Default "pvwr", the factory password. */
  password?: string;
  /** Seeds the clouds, string layout and random faults; default 1. */
  seed?: number;
  /** At night: "silent" accepts connections and never answers (a timeout), "refuse" resets them. Default silent. */
  nightBehaviour?: NightBehaviour;
  /** Lifetime total at the clock's time when the simulator is created, kWh; default 39116. */
  startTotalKwh?: number;
  /** Site local time, hours east of UTC; default +1. */
  utcOffsetHours?: number;
  /** The device generation: old status page (`html`, default), dxs.json API (`dxs`) or MP plus XML (`mpplus`). */
  protocol?: Protocol;
  /** Serial number the dxs and MP plus devices name themselves by; default made from the seed. */
  serial?: string;
  /** Household load behind a consumption meter (dxs home consumption ids), W; default 0: no meter fitted. */
  homeLoadW?: number;
}

export type ResolvedOptions = Required<
  Omit<PikoSimulatorOptions, "startTotalKwh" | "utcOffsetHours" | "serial">
> &
  Pick<PikoSimulatorOptions, "startTotalKwh" | "utcOffsetHours" | "serial">;

/** The options with their defaults; throws one RangeError naming every bad setting. */
export function resolveOptions(options: PikoSimulatorOptions): ResolvedOptions {
  const resolved: ResolvedOptions = {
    model: options.model ?? "10.1",
    language: options.language ?? "de",
    name: options.name ?? "piko",
    rs485Address: options.rs485Address ?? 255,
    clock: options.clock,
    username: options.username ?? "pvserver",
    password: options.password ?? "pvwr",
    seed: options.seed ?? 1,
    nightBehaviour: options.nightBehaviour ?? "silent",
    startTotalKwh: options.startTotalKwh,
    utcOffsetHours: options.utcOffsetHours,
    protocol: options.protocol ?? "html",
    serial: options.serial,
    homeLoadW: options.homeLoadW ?? 0,
  };
  const { model, language, name, rs485Address, username, nightBehaviour, seed, protocol, serial, homeLoadW } =
    resolved;
  const problems = [
    !isModelId(model) && `model must be one of ${MODEL_IDS.join(", ")}`,
    !isLanguage(language) && `language must be one of ${LANGUAGES.join(", ")}`,
    !DEVICE_NAME.test(name) && "name must be 1-32 letters or digits",
    !(Number.isInteger(rs485Address) && rs485Address >= 1 && rs485Address <= 255) &&
      "rs485Address must be a whole number 1-255",
    (username === "" || username.includes(":")) && "username must be non-empty and without ':'",
    nightBehaviour !== "silent" && nightBehaviour !== "refuse" && "nightBehaviour must be silent or refuse",
    !Number.isInteger(seed) && "seed must be a whole number",
    !isProtocol(protocol) && `protocol must be one of ${PROTOCOLS.join(", ")}`,
    serial !== undefined && !/^[A-Za-z0-9]{1,32}$/.test(serial) && "serial must be 1-32 letters or digits",
    !(Number.isFinite(homeLoadW) && homeLoadW >= 0 && homeLoadW <= 50_000) &&
      "homeLoadW must be 0 to 50000 W",
  ].filter((problem): problem is string => problem !== false);
  if (problems.length > 0) throw new RangeError(`invalid PIKO simulator options: ${problems.join("; ")}`);
  return resolved;
}
