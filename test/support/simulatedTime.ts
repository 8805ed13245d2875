import { AcceleratedClock, type Clock } from "../../modules/piko-simulator/src/clock.js";

/**
 * Chosen moments for the simulated PIKOs of the tests, so that no test depends on the time of day it runs at: the
 * simulator, like the device, is asleep at night (PikoSimulator requires a clock for this reason). The simulated
 * site keeps UTC+01:00 all year.
 */

/** Midsummer noon at the site: feeding, with eight hours of daylight ahead. */
export const NOON = Date.parse("2024-06-21T12:00:00+01:00");
/** 02:00 at the site on the same day: asleep. */
export const NIGHT = Date.parse("2024-06-21T02:00:00+01:00");

/**
 * Simulated time running at `speed` from a chosen start (default: midsummer noon at real speed, so a simulator that
 * a real module process polls for minutes keeps feeding, with values that move as on a real day).
 */
export function daytimeClock(startMs = NOON, speed = 1): Clock {
  return new AcceleratedClock({ speed, startMs });
}
