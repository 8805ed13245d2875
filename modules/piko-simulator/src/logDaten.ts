import { DAY_MS } from "./dayCurve.js";
import type { SolarDay } from "./solarDay.js";

/**
 * The simulated PIKO's history file, `/LogDaten.dat` (piko.md), written from the same SolarDay as the status page:
 * the header with the device's seconds counter now (`akt. Zeit`), then a row every 900 s of the counter while the
 * inverter is awake, and a `POR` (power-on reset) event each morning when it wakes. The counter runs on through
 * the night, as in the real capture (a 54,000 s gap between an evening and a morning row). Rows on the grid
 * (feeding) carry `total E` and `Iso R`; the others stop after `ENS Err`, as the real rows do. History starts at
 * the wake-up of the day the simulation started (the device kept no older days), at most 100 days back.
 */

export const LOGDATEN_PATH = "/LogDaten.dat";
/** The device writes a row every 900 s (its 15 min setting). */
export const ROW_INTERVAL_S = 900;
/** The counter when the simulation starts: a device some eight years in service, like the real capture's. */
export const COUNTER_AT_START_S = 250_000_000;
const KEPT_MS = 100 * DAY_MS;

/** The column header, as the device writes it (piko.md). */
export const LOGDATEN_COLUMNS = [
  "Zeit",
  ...[1, 2, 3].flatMap((n) => ["U", "I", "P", "T", "S"].map((q) => `DC${n} ${q}`)),
  ...[1, 2, 3].flatMap((n) => ["U", "I", "P", "T"].map((q) => `AC${n} ${q}`)),
  "AC F",
  "FC I",
  "Ain1",
  "Ain2",
  "Ain3",
  "Ain4",
  "AC S",
  "Err",
  "ENS S",
  "ENS Err",
  "KB S",
  "total E",
  "Iso R",
  "Ereignis",
];

export interface LogDatenSource {
  day: SolarDay;
  /** The simulator's start on its clock, epoch ms: the counter reads COUNTER_AT_START_S then. */
  startMs: number;
  rs485Address: number;
  name: string;
}

const cell = (value: number | string, width = 6) => String(value).padStart(width);

function counterAt(source: LogDatenSource, ms: number): number {
  return COUNTER_AT_START_S + Math.floor((ms - source.startMs) / 1000);
}

function msAt(source: LogDatenSource, counter: number): number {
  return source.startMs + (counter - COUNTER_AT_START_S) * 1000;
}

/** One row at counter value `zeit` (ms: its moment), or null while the inverter is asleep. */
function row(source: LogDatenSource, zeit: number, ms: number): string | null {
  const values = source.day.valuesAt(ms);
  if (values === null) return null;
  const feeding = values.state === "feeding";
  const dc = [0, 1, 2].flatMap((k) => {
    const s = values.strings[k];
    const voltage = s?.voltageV ?? 0;
    const milliamps = Math.round((s?.currentA ?? 0) * 1000);
    const status = feeding && voltage > 0 ? 16393 : 16385;
    return [voltage, milliamps, Math.round((voltage * milliamps) / 1000), 45870, status].map((v, i) =>
      cell(v, i >= 3 ? 5 : 6),
    );
  });
  const ac = [0, 1, 2].flatMap((k) => {
    const p = values.phases[k];
    const voltage = p?.voltageV ?? 0;
    const power = p?.powerW ?? 0;
    const milliamps = voltage > 0 ? Math.round((power / voltage) * 1000) : 0;
    return [cell(voltage), cell(milliamps), cell(power), cell(44772, 5)];
  });
  const status = [
    feeding ? "50.0" : " 0.0",
    cell(3),
    ...[0, 0, 0, 0].map((v) => cell(v)),
    cell(feeding ? 60 : 33),
  ];
  const grid = [cell(0), cell(3, 3), cell(0)];
  const onGrid = feeding ? [cell(0), cell(Math.floor(source.day.totalEnergyKwh(ms))), cell(6500)] : [];
  return [cell(zeit, 10), ...dc, ...ac, ...status, ...grid, ...onGrid].join("\t");
}

/** The lines after the column header: rows and POR events from the window's start to `nowMs`, in time order. */
function historyLines(source: LogDatenSource, nowMs: number): string[] {
  const lines: string[] = [];
  const windowStartMs = Math.max(source.day.scheduleAt(source.startMs).wakeMs, nowMs - KEPT_MS);
  for (let dayMs = windowStartMs; ; dayMs += DAY_MS) {
    const { wakeMs, sleepMs } = source.day.scheduleAt(dayMs);
    if (wakeMs > nowMs) break;
    if (sleepMs <= windowStartMs) continue;
    if (wakeMs >= windowStartMs) lines.push(`${cell(counterAt(source, wakeMs), 10)}\tPOR`);
    const first =
      Math.ceil(counterAt(source, Math.max(wakeMs, windowStartMs)) / ROW_INTERVAL_S) * ROW_INTERVAL_S;
    const last = counterAt(source, Math.min(sleepMs - 1, nowMs));
    for (let zeit = first; zeit <= last; zeit += ROW_INTERVAL_S) {
      const line = row(source, zeit, msAt(source, zeit));
      if (line !== null) lines.push(line);
    }
  }
  return lines;
}

/** The file as the device sends it at `nowMs` (latin1, CRLF line ends). */
export function renderLogDaten(source: LogDatenSource, nowMs: number): Buffer {
  const lines = [
    "Wechselricher Logdaten",
    `Wechselrichter Nr:\t${source.rs485Address}`,
    `Name:\t${source.name.padEnd(15)}`,
    `akt. Zeit:\t${cell(counterAt(source, nowMs), 10)}`,
    "",
    "Logdaten U[V], I[mA], P[W], E[kWh], F[Hz], R[kOhm], Ain T[digit], Zeit[sec]",
    LOGDATEN_COLUMNS.join("\t"),
    ...historyLines(source, nowMs),
  ];
  return Buffer.from(`${lines.join("\r\n")}\r\n`, "latin1");
}
