import type { InverterModel } from "./models.js";
import { hash01, smoothNoise } from "./seededNoise.js";

/**
 * The shape of one simulated day: when the sun rises and sets (a simple seasonal formula for a site in central
 * Europe, about 50 deg N, with solar noon at 12:20 local standard time), when the inverter wakes, feeds, switches
 * off and powers down, and its AC power minute by minute (a sine-shaped clear-sky curve, lower in winter, times
 * smooth seeded cloud cover). Everything is a pure function of the local day number, the model and the seed.
 */

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

/** Local solar noon, minutes after local midnight. */
const SOLAR_NOON_MIN = 12 * 60 + 20;
/** The inverter boots once the PV voltage is high enough, shortly after sunrise, and idles (`Leerlauf`). */
const WAKE_AFTER_SUNRISE_MIN = 5;
/** It starts feeding once the panels can carry a load. */
const FEED_AFTER_SUNRISE_MIN = 35;
/** In the evening it stops feeding and shows `Aus` with `x x x` values... */
const FEED_END_BEFORE_SUNSET_MIN = 25;
/** ...until the PV voltage is gone and it powers down (no answer at all, piko.md). */
const SLEEP_AFTER_SUNSET_MIN = 15;

/** Power at the first minute of feeding, as a fraction of the rating: inverters start at tens of watts. */
const START_FRACTION = 0.012;

/** Noise channels: independent quantities draw from different channels of the same seed. */
export const enum Channel {
  DayCloudiness = 1,
  Clouds = 2,
  Flicker = 3,
  StringSize = 4,
  StringShare = 5,
  StringVoltage = 10, // + string index
  PhaseVoltage = 20, // + phase index
  PhaseShare = 30, // + phase index
  IdleCurrent = 40,
}

/** The moments of one local day, epoch ms. wake < feedStart < feedEnd < sleep, all on whole minutes. */
export interface DaySchedule {
  /** Local day number: whole days since 1970-01-01 in the site's local time. */
  readonly day: number;
  readonly midnightMs: number;
  readonly sunriseMs: number;
  readonly wakeMs: number;
  readonly feedStartMs: number;
  readonly feedEndMs: number;
  readonly sunsetMs: number;
  readonly sleepMs: number;
}

export function localDay(ms: number, utcOffsetMs: number): number {
  return Math.floor((ms + utcOffsetMs) / DAY_MS);
}

/** +1 at the June solstice, -1 at the December solstice. */
function season(day: number): number {
  const date = new Date(day * DAY_MS);
  const dayOfYear = (day * DAY_MS - Date.UTC(date.getUTCFullYear(), 0, 1)) / DAY_MS;
  return Math.sin((2 * Math.PI * (dayOfYear - 80)) / 365.25);
}

export function daySchedule(day: number, utcOffsetMs: number): DaySchedule {
  // Day length at about 50 deg N: 7.8 h in December, 16.2 h in June.
  const halfDayMin = Math.round(((12 + 4.2 * season(day)) * 60) / 2);
  const sunrise = SOLAR_NOON_MIN - halfDayMin;
  const sunset = SOLAR_NOON_MIN + halfDayMin;
  const midnightMs = day * DAY_MS - utcOffsetMs;
  const at = (minutes: number) => midnightMs + minutes * MINUTE_MS;
  return {
    day,
    midnightMs,
    sunriseMs: at(sunrise),
    wakeMs: at(sunrise + WAKE_AFTER_SUNRISE_MIN),
    feedStartMs: at(sunrise + FEED_AFTER_SUNRISE_MIN),
    feedEndMs: at(sunset - FEED_END_BEFORE_SUNSET_MIN),
    sunsetMs: at(sunset),
    sleepMs: at(sunset + SLEEP_AFTER_SUNSET_MIN),
  };
}

/**
 * AC power (W) at every whole minute of the feeding window, both ends included. The curve is a sine over the
 * window (so it rises from a few tens of watts in the morning), scaled by season, times clouds: each day draws a
 * cloudiness, and within the day cloud cover drifts smoothly on 20-minute knots, with a light 3-minute flicker.
 */
export function feedingPowerCurve(schedule: DaySchedule, model: InverterModel, seed: number): Float64Array {
  const minutes = Math.round((schedule.feedEndMs - schedule.feedStartMs) / MINUTE_MS);
  const peakFraction = 0.6 + 0.25 * season(schedule.day);
  // About one day in six is clear; the rest are more or less cloudy.
  const cloudiness = Math.max(0, hash01(seed, Channel.DayCloudiness, schedule.day) * 1.2 - 0.2);
  const firstMinute = Math.round(schedule.feedStartMs / MINUTE_MS);
  const power = new Float64Array(minutes + 1);
  for (let i = 0; i <= minutes; i++) {
    // max(): sin(pi) may come out as -1e-16, and a negative base to a fractional power is NaN.
    const sun = Math.max(0, Math.sin((Math.PI * i) / minutes));
    const clearSky = START_FRACTION + peakFraction * Math.pow(sun, 1.3);
    const minute = firstMinute + i;
    const clouds = 1 - 0.75 * cloudiness * smoothNoise(seed, Channel.Clouds, minute / 20);
    const flicker = 1 - 0.04 * smoothNoise(seed, Channel.Flicker, minute / 3);
    power[i] = model.ratedPowerW * Math.min(1, clearSky * clouds * flicker);
  }
  return power;
}

/** Energy (Wh) fed in from the start of feeding up to each whole minute of the window (trapezoids). */
export function cumulativeEnergy(power: Float64Array): Float64Array {
  const energy = new Float64Array(power.length);
  for (let i = 1; i < power.length; i++) energy[i] = energy[i - 1]! + (power[i - 1]! + power[i]!) / 120;
  return energy;
}
