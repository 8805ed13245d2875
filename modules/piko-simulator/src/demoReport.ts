import { SITE_UTC_OFFSET_HOURS } from "./solarDay.js";

/**
 * What `npm run demo` prints, as pure functions of what it saw: the banner (where to look), one line per reading
 * and the summary at the end. The demo (demo.ts) only wires the parts together and writes these lines.
 */

/** The few fields of a published reading that the demo shows; the rest of the payload is not its concern. */
export interface DemoReading {
  inverter: string;
  status: string;
  acPowerW: number | null;
  energyTodayKwh: number | null;
}

/** The fields the demo shows, out of a reading's JSON payload; null when it is not a reading. */
export function demoReading(payload: string): DemoReading | null {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return null; // not JSON: a message the demo cannot show, never a reason to stop
  }
  if (typeof value !== "object" || value === null) return null;
  const r = value as Record<string, unknown>;
  if (typeof r.inverter !== "string" || typeof r.status !== "string") return null;
  const numberOrNull = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
  return {
    inverter: r.inverter,
    status: r.status,
    acPowerW: numberOrNull(r.ac_power_w),
    energyTodayKwh: numberOrNull(r.energy_today_kwh),
  };
}

const HOUR_MS = 3_600_000;
const WHOLE = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** `HH:MM` of a simulated moment in the site's time (UTC+01:00 all year, like the simulator). */
export function siteClock(siteMs: number): string {
  return new Date(siteMs + SITE_UTC_OFFSET_HOURS * HOUR_MS).toISOString().slice(11, 16);
}

/** `09:14 demo  feeding_mpp      4,213 W    3.42 kWh today`; a value the reading lacks is `-`. */
export function readingLine(reading: DemoReading, siteMs: number): string {
  const power = reading.acPowerW === null ? "-" : WHOLE.format(reading.acPowerW);
  const today = reading.energyTodayKwh === null ? "-" : reading.energyTodayKwh.toFixed(2);
  return (
    `${siteClock(siteMs)} ${reading.inverter.padEnd(5)} ${reading.status.padEnd(15)} ` +
    `${power.padStart(7)} W ${today.padStart(7)} kWh today`
  );
}

export interface BannerFacts {
  simulatorUrl: string;
  speed: number;
  brokerPort: number;
  baseTopic: string;
  /** The bridge's status page, or null when its server did not come up. */
  statusPageUrl: string | null;
}

export function bannerLines(facts: BannerFacts): string[] {
  return [
    `kostal2mqtt demo: a simulated PIKO 10.1 (${facts.simulatorUrl}, site time x${facts.speed} from 09:00) ` +
      `-> kostal2mqtt run -> MQTT broker on 127.0.0.1:${facts.brokerPort}`,
    `  status page:  ${facts.statusPageUrl ?? "not available (see the bridge's log above)"}`,
    `  watch MQTT:   mosquitto_sub -h 127.0.0.1 -p ${facts.brokerPort} -t '${facts.baseTopic}/#' -v`,
    `  stop:         Ctrl-C; one line per reading: site time, inverter, status, AC power, energy today`,
  ];
}

/** Counts what the demo saw; `summaryLines` says it at the end. */
export class DemoTally {
  readings = 0;
  /** kWh fed in while the demo watched: the rises of `energy_today_kwh` (it restarts each morning). */
  energyKwh = 0;
  private lastToday: number | null = null;
  firstSiteMs: number | null = null;
  lastSiteMs: number | null = null;

  add(reading: DemoReading, siteMs: number): void {
    this.readings++;
    this.firstSiteMs ??= siteMs;
    this.lastSiteMs = siteMs;
    const today = reading.energyTodayKwh;
    if (today === null) return;
    if (this.lastToday !== null && today > this.lastToday) this.energyKwh += today - this.lastToday;
    this.lastToday = today;
  }
}

export interface SummaryFacts {
  tally: DemoTally;
  uptimeMs: number;
  /** Each output's state as the bridge reported it last (e.g. `{ mqtt: "connected" }`), or null if unknown. */
  outputs: Record<string, string> | null;
  /** How the bridge process ended: its exit code, or the signal that ended it. */
  bridgeExit: string;
  /** The last thing the bridge said on `<base>/bridge/state` (`offline` after a clean stop). */
  bridgeState: string;
}

export function summaryLines(facts: SummaryFacts): string[] {
  const { tally } = facts;
  const span =
    tally.firstSiteMs === null || tally.lastSiteMs === null
      ? "no reading"
      : `${siteClock(tally.firstSiteMs)}-${siteClock(tally.lastSiteMs)} site time`;
  const outputs =
    facts.outputs === null
      ? "unknown (the status page never answered)"
      : Object.entries(facts.outputs)
          .map(([name, state]) => `${name} ${state}`)
          .join(", ") || "none";
  return [
    `summary: ${tally.readings} readings, ${tally.energyKwh.toFixed(2)} kWh simulated (${span}), ` +
      `uptime ${Math.round(facts.uptimeMs / 1000)} s`,
    `  outputs: ${outputs}; bridge stopped (${facts.bridgeExit}), its last word on the broker: ${facts.bridgeState}`,
  ];
}
