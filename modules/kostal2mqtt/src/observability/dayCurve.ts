/**
 * The site's day, as the status page shows it. The bridge has no time zone setting: the day is the process's
 * local day (Node follows `TZ`, e.g. `TZ=Europe/Berlin`; UTC when unset, as in the image). Tests inject a fixed
 * one.
 */
export interface SiteClock {
  /** Epoch ms of the midnight that begins the day holding `atMs`. */
  dayStart(atMs: number): number;
  /** `YYYY-MM-DD HH:MM:SS` of `atMs` on the wall clock. */
  wallClock(atMs: number): string;
}

const twoDigits = (value: number) => String(value).padStart(2, "0");

export const localSiteClock: SiteClock = {
  dayStart: (atMs) => {
    const day = new Date(atMs);
    return new Date(day.getFullYear(), day.getMonth(), day.getDate()).getTime();
  },
  wallClock: (atMs) => {
    const t = new Date(atMs);
    const date = `${t.getFullYear()}-${twoDigits(t.getMonth() + 1)}-${twoDigits(t.getDate())}`;
    return `${date} ${twoDigits(t.getHours())}:${twoDigits(t.getMinutes())}:${twoDigits(t.getSeconds())}`;
  },
};

export const MINUTE_MS = 60_000;
/** One point a minute of the longest local day (25 hours, when summer time ends). */
export const MAX_POINTS = 25 * 60;

export interface CurvePoint {
  /** Start of the minute (epoch ms). */
  atMs: number;
  /** Mean AC power of the readings in that minute. */
  watts: number;
}

/**
 * Today's power curve of one inverter: one point per minute (the mean of that minute's readings), bounded to
 * MAX_POINTS, emptied when a reading of a later day arrives. A reading older than the last point (a clock that
 * went back) is ignored, so the points are in time order and the bound holds by construction.
 */
export class DayCurve {
  private day = Number.NEGATIVE_INFINITY;
  private readonly minutes: number[] = [];
  private readonly watts: number[] = [];
  /** Readings in the last point's minute, for its running mean. */
  private lastMinuteReadings = 0;

  constructor(private readonly clock: SiteClock) {}

  get dayStartMs(): number {
    return this.day;
  }

  get length(): number {
    return this.minutes.length;
  }

  add(atMs: number, watts: number): void {
    const day = this.clock.dayStart(atMs);
    if (day < this.day) return;
    if (day > this.day) {
      this.day = day;
      this.minutes.length = 0;
      this.watts.length = 0;
    }
    const minute = Math.floor((atMs - day) / MINUTE_MS);
    const last = this.minutes.length - 1;
    const lastMinute = this.minutes[last];
    if (lastMinute !== undefined && minute < lastMinute) return;
    if (lastMinute === minute) {
      this.lastMinuteReadings++;
      this.watts[last]! += (watts - this.watts[last]!) / this.lastMinuteReadings;
      return;
    }
    if (this.minutes.length >= MAX_POINTS) return;
    this.minutes.push(minute);
    this.watts.push(watts);
    this.lastMinuteReadings = 1;
  }

  points(): CurvePoint[] {
    return this.minutes.map((minute, index) => ({
      atMs: this.day + minute * MINUTE_MS,
      watts: this.watts[index]!,
    }));
  }
}
