import type { SiteClock } from "../../modules/kostal2mqtt/src/observability/dayCurve.js";

const OFFSET_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * The simulated site's wall clock (UTC+01:00 all year, as the simulator keeps it), so that the status page's day
 * and times do not depend on the time zone of the machine running the tests.
 */
export const SITE_CLOCK: SiteClock = {
  dayStart: (atMs) => atMs - ((atMs + OFFSET_MS) % DAY_MS),
  wallClock: (atMs) => new Date(atMs + OFFSET_MS).toISOString().slice(0, 19).replace("T", " "),
};

/** Midnight at the simulated site that begins the day holding `atMs`. */
export const siteMidnight = (atMs: number): number => SITE_CLOCK.dayStart(atMs);
