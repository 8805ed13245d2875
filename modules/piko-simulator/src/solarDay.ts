import {
  Channel,
  cumulativeEnergy,
  daySchedule,
  feedingPowerCurve,
  localDay,
  MINUTE_MS,
  type DaySchedule,
} from "./dayCurve.js";
import type { DisplayState } from "./languages.js";
import { inverterModel, type InverterModel, type ModelId } from "./models.js";
import type { PhaseValues, StringValues } from "./pageRenderer.js";
import { hash01, smoothNoise } from "./seededNoise.js";

/**
 * What a simulated PIKO shows at any moment, as a pure function of the time: asleep at night, idle at dawn,
 * feeding by day, off at dusk (dayCurve.ts has the timings). Totals integrate the power curve from the moment the
 * simulation starts, so they never decrease; the daily energy counts from the morning wake-up and is kept through
 * the evening `Aus`. Values come rounded as the page prints them, so a test can compare them with a parsed page.
 */

/** Inverters of this class convert about 96 % of the DC power. */
const EFFICIENCY = 0.96;
/** The simulated site's local time when none is given: central European standard time, all year (no DST). */
export const SITE_UTC_OFFSET_HOURS = 1;
/** Day profiles kept per simulator: today and a few neighbours are all a clock ever asks for. */
const PROFILE_CACHE_SIZE = 4;

export type InverterState = "asleep" | DisplayState;

export interface InverterValues {
  readonly state: DisplayState;
  /** W, integer; 0 when idle or off. */
  readonly acPowerW: number;
  /** kWh, whole kWh as the page shows them. */
  readonly energyTotalKwh: number;
  /** kWh since the morning wake-up, 2 decimals. */
  readonly energyTodayKwh: number;
  /** One per string slot of the model; volts integer, amps 2 decimals; 0 when off or not wired. */
  readonly strings: readonly StringValues[];
  /** One per phase slot of the model; integers; powers add up to acPowerW; 0 when off. */
  readonly phases: readonly PhaseValues[];
}

export interface SolarDayOptions {
  model: ModelId | InverterModel;
  seed?: number;
  /** Local time of the site (sunrise, sunset and the daily reset follow it), hours east of UTC; default +1. */
  utcOffsetHours?: number;
  /** The total energy counter at `epochMs`, kWh; default 39116. */
  startTotalKwh?: number;
  /** The moment the total reads `startTotalKwh`, epoch ms (usually the simulation start). */
  epochMs: number;
}

interface DayProfile {
  readonly schedule: DaySchedule;
  /** AC power at each whole minute of the feeding window, W. */
  readonly power: Float64Array;
  /** Energy from the start of feeding to each whole minute, Wh. */
  readonly energy: Float64Array;
}

const round2 = (value: number) => Math.round(value * 100) / 100;

export class SolarDay {
  readonly model: InverterModel;
  /** The site's local time, hours east of UTC (no daylight saving time): sunrise and midnight follow it. */
  readonly utcOffsetHours: number;
  private readonly seed: number;
  private readonly utcOffsetMs: number;
  private readonly startTotalKwh: number;
  private readonly epochMs: number;
  private readonly profiles = new Map<number, DayProfile>();
  private readonly dayTotalsWh = new Map<number, number>();
  /** A known point of the running sum: energy from the epoch's midnight to the midnight starting `day`. */
  private prefix: { day: number; wh: number };
  /** Energy of the epoch's day fed in before the epoch moment, Wh. */
  private readonly epochOffsetWh: number;

  constructor(options: SolarDayOptions) {
    this.model = typeof options.model === "string" ? inverterModel(options.model) : options.model;
    this.seed = (options.seed ?? 1) | 0;
    const offsetHours = options.utcOffsetHours ?? SITE_UTC_OFFSET_HOURS;
    if (!Number.isFinite(offsetHours) || offsetHours < -12 || offsetHours > 14) {
      throw new RangeError(`UTC offset must be between -12 and +14 hours, got ${offsetHours}`);
    }
    this.utcOffsetHours = offsetHours;
    this.utcOffsetMs = Math.round(offsetHours * 3_600_000);
    this.startTotalKwh = options.startTotalKwh ?? 39116;
    if (!Number.isFinite(this.startTotalKwh) || this.startTotalKwh < 0) {
      throw new RangeError(`start total must be a number of kWh >= 0, got ${this.startTotalKwh}`);
    }
    if (!Number.isFinite(options.epochMs)) throw new RangeError("epochMs must be a finite time");
    this.epochMs = options.epochMs;
    const epochDay = localDay(this.epochMs, this.utcOffsetMs);
    this.prefix = { day: epochDay, wh: 0 };
    this.epochOffsetWh = this.withinDayWh(this.profile(epochDay), this.epochMs);
  }

  /** The timings of the local day that contains `ms`. */
  scheduleAt(ms: number): DaySchedule {
    return this.profile(localDay(ms, this.utcOffsetMs)).schedule;
  }

  stateAt(ms: number): InverterState {
    const s = this.scheduleAt(ms);
    if (ms < s.wakeMs || ms >= s.sleepMs) return "asleep";
    if (ms < s.feedStartMs) return "idle";
    return ms < s.feedEndMs ? "feeding" : "off";
  }

  /** The unrounded lifetime total at `ms`, kWh (non-decreasing in `ms`). */
  totalEnergyKwh(ms: number): number {
    const day = localDay(ms, this.utcOffsetMs);
    const wh = this.energyBeforeDayWh(day) + this.withinDayWh(this.profile(day), ms) - this.epochOffsetWh;
    return this.startTotalKwh + wh / 1000;
  }

  /** What the page shows at `ms`, or null while the inverter is powered down. */
  valuesAt(ms: number): InverterValues | null {
    const profile = this.profile(localDay(ms, this.utcOffsetMs));
    const s = profile.schedule;
    if (ms < s.wakeMs || ms >= s.sleepMs) return null;
    const energyTotalKwh = Math.floor(this.totalEnergyKwh(ms));
    const energyTodayKwh = Math.floor(this.withinDayWh(profile, ms) / 10) / 100;
    if (ms >= s.feedEndMs) {
      return { state: "off", acPowerW: 0, energyTotalKwh, energyTodayKwh, ...this.zeroSlots() };
    }
    if (ms < s.feedStartMs) {
      const progress = (ms - s.wakeMs) / (s.feedStartMs - s.wakeMs);
      return {
        state: "idle",
        acPowerW: 0,
        energyTotalKwh,
        energyTodayKwh,
        strings: this.idleStrings(ms, progress),
        phases: this.phases(ms, 0),
      };
    }
    const acExact = this.powerAt(profile, ms);
    const acPowerW = Math.round(acExact);
    return {
      state: "feeding",
      acPowerW,
      energyTotalKwh,
      energyTodayKwh,
      strings: this.feedingStrings(ms, acExact),
      phases: this.phases(ms, acPowerW),
    };
  }

  private profile(day: number): DayProfile {
    let profile = this.profiles.get(day);
    if (profile === undefined) {
      const schedule = daySchedule(day, this.utcOffsetMs);
      const power = feedingPowerCurve(schedule, this.model, this.seed);
      profile = { schedule, power, energy: cumulativeEnergy(power) };
      this.profiles.set(day, profile);
      this.dayTotalsWh.set(day, profile.energy[profile.energy.length - 1]!);
      if (this.profiles.size > PROFILE_CACHE_SIZE) this.profiles.delete(this.profiles.keys().next().value!);
    }
    return profile;
  }

  private dayTotalWh(day: number): number {
    return this.dayTotalsWh.get(day) ?? this.profile(day).energy.at(-1)!;
  }

  /** Energy from the epoch day's midnight to `day`'s midnight (negative before the epoch day), Wh. */
  private energyBeforeDayWh(day: number): number {
    let { day: known, wh } = this.prefix;
    for (; known < day; known++) wh += this.dayTotalWh(known);
    for (; known > day; known--) wh -= this.dayTotalWh(known - 1);
    this.prefix = { day, wh };
    return wh;
  }

  /** Energy fed in on this profile's day up to `ms`, Wh: the trapezoid sums, then the part of the minute. */
  private withinDayWh(profile: DayProfile, ms: number): number {
    const { feedStartMs, feedEndMs } = profile.schedule;
    if (ms <= feedStartMs) return 0;
    if (ms >= feedEndMs) return profile.energy.at(-1)!;
    const minutes = (ms - feedStartMs) / MINUTE_MS;
    const i = Math.floor(minutes);
    const fraction = minutes - i;
    const start = profile.power[i]!;
    return profile.energy[i]! + ((start + this.powerAt(profile, ms)) / 2) * (fraction / 60);
  }

  /** AC power while feeding, W: linear between the minute samples (the integral above matches it exactly). */
  private powerAt(profile: DayProfile, ms: number): number {
    const minutes = (ms - profile.schedule.feedStartMs) / MINUTE_MS;
    const i = Math.min(Math.floor(minutes), profile.power.length - 2);
    const fraction = minutes - i;
    return profile.power[i]! + (profile.power[i + 1]! - profile.power[i]!) * fraction;
  }

  /** The MPP voltage of string k (0-based) at full sun: strings of different lengths differ by up to 20 %. */
  private stringVoltage(k: number): number {
    return this.model.mppVoltageV * (0.9 + 0.2 * hash01(this.seed, Channel.StringSize, k));
  }

  private feedingStrings(ms: number, acExact: number): StringValues[] {
    const { strings, wiredStrings, ratedPowerW } = this.model;
    const dcPowerW = acExact / EFFICIENCY;
    const sun = Math.sqrt(Math.min(1, acExact / ratedPowerW));
    const weights = Array.from(
      { length: wiredStrings },
      (_, k) => 1 + 0.1 * hash01(this.seed, Channel.StringShare, k),
    );
    const weightSum = weights.reduce((sum, w) => sum + w, 0);
    return Array.from({ length: strings }, (_, k): StringValues => {
      if (k >= wiredStrings) return { voltageV: 0, currentA: 0 };
      const drift =
        1 + 0.02 * (smoothNoise(this.seed, Channel.StringVoltage + k, ms / (7 * MINUTE_MS)) - 0.5);
      const voltageV = Math.round(this.stringVoltage(k) * (0.88 + 0.12 * sun) * drift);
      const currentA = round2((dcPowerW * weights[k]!) / weightSum / voltageV);
      return { voltageV, currentA };
    });
  }

  /** At dawn the PV voltage climbs while almost no current flows (captures: 144 V / 244 V at 0.02 / 0.01 A). */
  private idleStrings(ms: number, progress: number): StringValues[] {
    const { strings, wiredStrings } = this.model;
    const flicker = hash01(this.seed, Channel.IdleCurrent, Math.floor(ms / MINUTE_MS));
    return Array.from({ length: strings }, (_, k): StringValues => {
      if (k >= wiredStrings) return { voltageV: 0, currentA: 0 };
      const voltageV = Math.round(this.stringVoltage(k) * (0.3 + 0.45 * progress));
      return { voltageV, currentA: flicker < 0.5 ? 0.01 : 0.02 };
    });
  }

  /** Grid voltages drift around 230 V and rise a little with the power fed in; powers add up to the AC power. */
  private phases(ms: number, acPowerW: number): PhaseValues[] {
    const { phases, ratedPowerW } = this.model;
    const load = acPowerW / ratedPowerW;
    const voltage = (k: number) =>
      Math.round(227 + 6 * smoothNoise(this.seed, Channel.PhaseVoltage + k, ms / (5 * MINUTE_MS)) + 3 * load);
    if (phases === 1) return [{ voltageV: voltage(0), powerW: acPowerW }];
    const share = (k: number) =>
      1 / 3 + 0.015 * (smoothNoise(this.seed, Channel.PhaseShare + k, ms / (11 * MINUTE_MS)) - 0.5);
    const l1 = Math.round(acPowerW * share(0));
    const l2 = Math.round(acPowerW * share(1));
    return [
      { voltageV: voltage(0), powerW: l1 },
      { voltageV: voltage(1), powerW: l2 },
      { voltageV: voltage(2), powerW: acPowerW - l1 - l2 },
    ];
  }

  private zeroSlots(): Pick<InverterValues, "strings" | "phases"> {
    return {
      strings: Array.from({ length: this.model.strings }, () => ({ voltageV: 0, currentA: 0 })),
      phases: Array.from({ length: this.model.phases }, () => ({ voltageV: 0, powerW: 0 })),
    };
  }
}
