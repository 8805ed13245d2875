import { getPosition } from "suncalc";
import type { NightOracle } from "./inverterHealth.js";

/**
 * Night at the site from the sun's position (suncalc). An inverter powers down a little after sunset and wakes a
 * little after sunrise, and timeouts at dawn are common (piko.md), so "night" runs until the sun is 3 degrees up.
 */
const NIGHT_BELOW_RADIANS = (3 * Math.PI) / 180;

export function sunNightOracle(latitude: number, longitude: number): NightOracle {
  return (atMs) => getPosition(new Date(atMs), latitude, longitude).altitude < NIGHT_BELOW_RADIANS;
}

/** The oracle for the configured site, or one that does not know (no location). */
export function siteNightOracle(latitude: string, longitude: string): NightOracle {
  if (latitude.trim() === "" || longitude.trim() === "") return () => null;
  return sunNightOracle(Number(latitude), Number(longitude));
}
