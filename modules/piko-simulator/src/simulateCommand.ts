import { parseArgs } from "node:util";
import { AcceleratedClock, systemClock, type Clock } from "./clock.js";
import { DAY_MS, type DaySchedule } from "./dayCurve.js";
import { isProtocol, PROTOCOLS, type Protocol } from "./deviceGeneration.js";
import { parseFaultSpec, type Fault } from "./faults.js";
import { isLanguage, LANGUAGES, type Language } from "./languages.js";
import { isModelId, MODEL_IDS, type ModelId } from "./models.js";
import { DEVICE_NAME } from "./pageRenderer.js";
import { PikoSimulator, type NightBehaviour } from "./server.js";
import { SITE_UTC_OFFSET_HOURS, type SolarDay } from "./solarDay.js";

/**
 * `kostal2mqtt simulate ...`: one simulated PIKO on 127.0.0.1 for demos and manual tests. All argument problems
 * are reported together in one Error; the log line names the URL and user, never the password. Started while it
 * is night at the simulated site, it says so in a second line: when the sun rises there, and how to start by day.
 *
 * Times are the simulated site's (UTC+01:00 all year, see solarDay.ts), not the machine's: `--start 09:00` is
 * 09:00 there today, and an ISO time without an offset is read in the site's time too. Only an ISO time with `Z`
 * or an offset is an absolute moment. So the same command line means the same simulated day on any machine.
 */

export const SIMULATE_USAGE =
  "simulate [--port N] [--model 10.1|8.3|5.5|4.2|3.6|3.0] [--language de|en|nl] [--speed X] [--name NAME] " +
  "[--username U] [--password P] [--start HH:MM|ISO-TIME] [--fault KIND[:N]] [--address 1-255] [--seed N] " +
  "[--night silent|refuse] [--bind 127.0.0.1|0.0.0.0] [--protocol html|dxs|mpplus] [--home-load W]";

const OPTIONS = {
  port: { type: "string" },
  model: { type: "string" },
  language: { type: "string" },
  speed: { type: "string" },
  name: { type: "string" },
  username: { type: "string" },
  password: { type: "string" },
  start: { type: "string" },
  fault: { type: "string" },
  address: { type: "string" },
  bind: { type: "string" },
  seed: { type: "string" },
  night: { type: "string" },
  protocol: { type: "string" },
  "home-load": { type: "string" },
} as const;

type OptionName = keyof typeof OPTIONS;

interface SimulateSettings {
  port: number;
  model: ModelId;
  language: Language;
  speed: number;
  name: string;
  username: string;
  password: string;
  startMs: number;
  fault: Fault | null;
  rs485Address: number;
  seed: number;
  nightBehaviour: NightBehaviour;
  /** 127.0.0.1 unless the simulator runs as a container module. */
  bind: "127.0.0.1" | "0.0.0.0";
  protocol: Protocol;
  homeLoadW: number;
}

const ISO_TIME = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(Z|[+-]\d{2}:?\d{2})?)?$/;
const TIME_OF_DAY = /^([01]?\d|2[0-3]):([0-5]\d)$/;
const HOUR_MS = 3_600_000;
const SITE_OFFSET_MS = SITE_UTC_OFFSET_HOURS * HOUR_MS;

/**
 * `--start`: `HH:MM` is that time today at the simulated site; an ISO date or date and time without an offset is
 * in the site's time; with `Z` or an offset it is that moment. Null when it is none of these.
 */
export function parseStartTime(text: string, nowMs: number): number | null {
  const timeOfDay = TIME_OF_DAY.exec(text);
  if (timeOfDay !== null) {
    const siteMidnight = Math.floor((nowMs + SITE_OFFSET_MS) / DAY_MS) * DAY_MS - SITE_OFFSET_MS;
    return siteMidnight + Number(timeOfDay[1]) * HOUR_MS + Number(timeOfDay[2]) * 60_000;
  }
  const iso = ISO_TIME.exec(text);
  if (iso === null) return null;
  const [, date, time = "00:00", zone] = iso;
  // Date.parse alone would read a zone-less date and time in the machine's time zone (and a bare date in UTC).
  const ms = Date.parse(`${date}T${time}${zone ?? "Z"}`) - (zone === undefined ? SITE_OFFSET_MS : 0);
  return Number.isFinite(ms) ? ms : null;
}

/** The option values as given, and every problem with the shape of the command line. */
function readArguments(argv: string[]): { given: Partial<Record<OptionName, string>>; problems: string[] } {
  // Not strict: a strict parse stops at the first problem, and the user should hear about all of them.
  const { tokens } = parseArgs({
    args: argv,
    options: OPTIONS,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const given: Partial<Record<OptionName, string>> = {};
  const problems: string[] = [];
  for (const token of tokens) {
    if (token.kind === "positional") problems.push(`unexpected argument '${token.value}'`);
    if (token.kind !== "option") continue;
    if (!(token.name in OPTIONS)) {
      problems.push(`unknown option ${token.rawName}`);
      continue;
    }
    const name = token.name as OptionName;
    if (token.value === undefined || (!token.inlineValue && token.value.startsWith("--"))) {
      problems.push(`${token.rawName} needs a value`);
    } else if (given[name] !== undefined) {
      problems.push(`${token.rawName} is given more than once`);
    } else {
      given[name] = token.value;
    }
  }
  return { given, problems };
}

function wholeNumber(text: string, min: number, max: number): number | null {
  if (!/^\d+$/.test(text)) return null;
  const value = Number(text);
  return value >= min && value <= max ? value : null;
}

/** Checks the command line; throws one Error listing every problem. */
export function parseSimulateArguments(argv: string[], nowMs: number): SimulateSettings {
  const { given, problems } = readArguments(argv);
  const check = <T>(
    option: OptionName,
    fallback: T,
    read: (text: string) => T | null,
    expected: string,
  ): T => {
    const text = given[option];
    if (text === undefined) return fallback;
    const value = read(text);
    if (value === null) problems.push(`--${option} must be ${expected}, got '${text}'`);
    return value ?? fallback;
  };
  const settings: SimulateSettings = {
    port: check("port", 0, (t) => wholeNumber(t, 0, 65535), "a port number 0-65535 (0: any free port)"),
    model: check("model", "10.1", (t) => (isModelId(t) ? t : null), `one of ${MODEL_IDS.join(", ")}`),
    language: check("language", "de", (t) => (isLanguage(t) ? t : null), `one of ${LANGUAGES.join(", ")}`),
    speed: check(
      "speed",
      1,
      (t) => (/^\d+(\.\d+)?$/.test(t) && Number(t) > 0 && Number(t) <= 1_000_000 ? Number(t) : null),
      "a number above 0 (1 = real time)",
    ),
    name: check("name", "piko", (t) => (DEVICE_NAME.test(t) ? t : null), "1-32 letters or digits"),
    username: check(
      "username",
      "pvserver",
      (t) => (t !== "" && !t.includes(":") ? t : null),
      "non-empty, no ':'",
    ),
    password: given.password ?? "pvwr",
    startMs: check(
      "start",
      nowMs,
      (t) => parseStartTime(t, nowMs),
      "HH:MM (today at the simulated site, UTC+01:00) or an ISO time like 2024-06-21T09:00:00+02:00",
    ),
    fault: null,
    rs485Address: check("address", 255, (t) => wholeNumber(t, 1, 255), "a whole number 1-255"),
    bind: check(
      "bind",
      "127.0.0.1",
      (t): "127.0.0.1" | "0.0.0.0" | null => (t === "127.0.0.1" || t === "0.0.0.0" ? t : null),
      "127.0.0.1, or 0.0.0.0 inside a container",
    ),
    seed: check("seed", 1, (t) => wholeNumber(t, 0, 2 ** 31 - 1), "a whole number"),
    nightBehaviour: check(
      "night",
      "silent",
      (t): NightBehaviour | null => (t === "silent" || t === "refuse" ? t : null),
      "silent or refuse",
    ),
    protocol: check("protocol", "html", (t) => (isProtocol(t) ? t : null), `one of ${PROTOCOLS.join(", ")}`),
    homeLoadW: check("home-load", 0, (t) => wholeNumber(t, 0, 50_000), "a household load in W, 0-50000"),
  };
  if (given.fault !== undefined) {
    try {
      settings.fault = parseFaultSpec(given.fault);
    } catch (error) {
      problems.push(error instanceof Error ? error.message : String(error));
    }
  }
  if (problems.length > 0) {
    throw new Error(`invalid simulate arguments: ${problems.join("; ")}. Usage: ${SIMULATE_USAGE}`);
  }
  return settings;
}

/** `HH:MM` of a moment in the site's local time. */
function siteClockTime(ms: number, utcOffsetHours: number): string {
  return new Date(ms + utcOffsetHours * HOUR_MS).toISOString().slice(11, 16);
}

function offsetName(utcOffsetHours: number): string {
  const minutes = Math.round(Math.abs(utcOffsetHours) * 60);
  const hh = String(Math.floor(minutes / 60)).padStart(2, "0");
  const mm = String(minutes % 60).padStart(2, "0");
  return `UTC${utcOffsetHours < 0 ? "-" : "+"}${hh}:${mm}`;
}

/** A duration for people: `7 h 26 min`, `12 min`, `45 s`. */
function duration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/**
 * The line `simulate` adds when it starts while the simulated inverter is asleep (null by day): when the sun
 * rises at the site, how long that is at the chosen speed, and how to start by day instead.
 */
export function nightNotice(
  day: SolarDay,
  nowMs: number,
  speed: number,
  night: NightBehaviour,
): string | null {
  if (day.stateAt(nowMs) !== "asleep") return null;
  let next: DaySchedule = day.scheduleAt(nowMs);
  if (nowMs >= next.wakeMs) next = day.scheduleAt(next.midnightMs + DAY_MS);
  const offset = day.utcOffsetHours;
  const sunriseDate = new Date(next.sunriseMs + offset * HOUR_MS).toISOString().slice(0, 10);
  const realWait = (next.wakeMs - nowMs) / speed;
  const connections = night === "refuse" ? "reset" : "left unanswered";
  return (
    `night at the simulated site: the inverter is asleep (connections ${connections}) until sunrise at ` +
    `${siteClockTime(next.sunriseMs, offset)} ${offsetName(offset)} on ${sunriseDate} (it answers from ` +
    `${siteClockTime(next.wakeMs, offset)}, in ${duration(realWait)} at x${speed}); to start it by day: ` +
    `--start 09:00 (today, site time) or --start ${sunriseDate}T12:00, and --speed 60 to run a day in 24 minutes`
  );
}

/**
 * Starts a simulator from command-line arguments; resolves once it listens. `clock` is the real time the
 * simulated time follows (injectable for tests); the simulated time starts at `--start`, default its now.
 */
export async function simulateCommand(
  argv: string[],
  log: (line: string) => void,
  clock: Clock = systemClock,
): Promise<{ url: string; stop(): Promise<void>; simulator: PikoSimulator }> {
  const settings = parseSimulateArguments(argv, clock.now());
  const simulated = new AcceleratedClock({ speed: settings.speed, startMs: settings.startMs, base: clock });
  const simulator = new PikoSimulator({
    model: settings.model,
    language: settings.language,
    name: settings.name,
    rs485Address: settings.rs485Address,
    clock: simulated,
    username: settings.username,
    password: settings.password,
    seed: settings.seed,
    nightBehaviour: settings.nightBehaviour,
    protocol: settings.protocol,
    homeLoadW: settings.homeLoadW,
  });
  simulator.setFault(settings.fault);
  const url = await simulator.start(settings.port, settings.bind);
  const now = simulated.now();
  const state = simulator.day.stateAt(now);
  const where = { html: "/index.fhtml", dxs: "/api/dxs.json", mpplus: "/all.xml" }[settings.protocol];
  log(
    `PIKO ${settings.model} simulator at ${url}${where} (user ${settings.username}, language ` +
      `${settings.language}, name ${settings.name}, RS485 ${settings.rs485Address}); simulated time ` +
      `${new Date(now).toISOString()} x${settings.speed}, now ${state}; at night ` +
      `${settings.nightBehaviour}; fault ${settings.fault?.kind ?? "none"}`,
  );
  const notice = nightNotice(simulator.day, now, settings.speed, settings.nightBehaviour);
  if (notice !== null) log(notice);
  return { url, stop: () => simulator.stop(), simulator };
}
