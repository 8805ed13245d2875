import { isInverterId, type Reading } from "../reading/reading.js";
import { StateFile, type Loaded } from "../lib/stateFile.js";

/**
 * Never lie about energy (issue 9). Home Assistant's `total_increasing` books every rise of a counter as energy
 * and reads every fall as a meter reset, so a counter is published only when it is physically possible:
 *
 * - `energy_total_kwh` may rise by at most what the model's rated power could have produced since the last good
 *   total was seen (x1.5, plus 1 kWh because the PIKO shows whole kWh). More is a spike: null, logged once per
 *   episode, and never the last good total. A dip is a glitch however long it lasts (null, logged once per
 *   episode), unless it is a large drop (below half the last good total) that lasts `replacedAfter` readings in a
 *   row: then it is a replaced or reset device, taken as the new last good total and announced (`reset`).
 * - `energy_today_kwh` may rise by at most the same allowance since its last good value; on the inverter's new
 *   day (after it powered down, or after a long gap) it starts from nothing, so it may be at most a whole day of
 *   rated power (24 h, same margin). Within the day it never falls.
 *
 * The last good total per inverter is persisted (totals.json) and validated when loaded.
 */

interface InverterEnergy {
  total: number | null;
  /** When the total last changed: the allowance for the next one counts from here. */
  totalAt: number;
  today: number | null;
  todayAt: number | null;
  /** The inverter was asleep/unreachable or off since `today` was seen: a new day may start. */
  poweredDown: boolean;
  largeDrops: number;
  /** The kinds of glitch already logged in the current episode (cleared by the next good value). */
  episodes: Set<string>;
}

type StoredTotals = Record<string, { total: number; at: number }>;

/** A total was taken as a replaced or reset device: consumers are told by an event. */
export interface CounterReset {
  inverter: string;
  from: number;
  to: number;
  at: number;
  message: string;
}

export interface GuardResult {
  reading: Reading;
  warnings: string[];
  reset: CounterReset | null;
}

/** A gap this long means a new day even if the powering down was not seen (e.g. a restart at night). */
const NEW_DAY_GAP_MS = 6 * 3600_000;
const HOUR_MS = 3600_000;
/**
 * A model whose name has no rating (an unknown variant): the largest PIKO (the PIKO 20). Too high only makes the
 * check looser; too low would hide a real production as a spike.
 */
export const DEFAULT_RATED_KW = 20;
/** Headroom over the rating (inverters briefly exceed it; clocks and polls are not exact). */
const RATING_MARGIN = 1.5;
/** The PIKO shows the total in whole kWh: one step of the display is always possible. */
const ROUNDING_KWH = 1;
/** Below this share of the last good total a drop is a replaced or reset device, not a glitch. */
const LARGE_DROP_SHARE = 0.5;

/** The rated AC power of a model in kW, from its name ("PIKO 8.3" -> 8.3); DEFAULT_RATED_KW when unknown. */
export function ratedPowerKw(model: string): number {
  const match = /piko\s*(\d{1,2}(?:[.,]\d{1,2})?)\b/i.exec(model);
  const kw = match ? Number(match[1]!.replace(",", ".")) : Number.NaN;
  return kw > 0 ? kw : DEFAULT_RATED_KW;
}

/** The most energy (kWh) a counter can have gained in `elapsedMs` at `kw`, margin included. */
function allowanceKwh(kw: number, elapsedMs: number): number {
  return (kw * Math.max(0, elapsedMs) * RATING_MARGIN) / HOUR_MS + ROUNDING_KWH;
}

export class ReadingGuard {
  private readonly energy = new Map<string, InverterEnergy>();
  private readonly file: StateFile<StoredTotals>;

  constructor(
    private readonly options: {
      replacedAfter: number;
      dataDir: string | null;
      warn: (message: string) => void;
      now?: () => number;
    },
  ) {
    this.file = new StateFile<StoredTotals>(options.dataDir, "totals.json", options.warn, options.now);
    const stored = this.file.load(validateTotals) ?? {};
    for (const [id, entry] of Object.entries(stored)) {
      this.energy.set(id, { ...freshState(), total: entry.total, totalAt: entry.at, poweredDown: true });
    }
  }

  /** The inverter powered down (asleep, unreachable at night, or showing `off`): its day may end. */
  notePoweredDown(inverter: string): void {
    const state = this.energy.get(inverter);
    if (state) state.poweredDown = true;
  }

  lastTotal(inverter: string): number | null {
    return this.energy.get(inverter)?.total ?? null;
  }

  /** The reading as it may be published: an impossible counter becomes null, with a warning once per episode. */
  check(reading: Reading): GuardResult {
    const state = this.stateOf(reading.inverter);
    const result: GuardResult = { reading, warnings: [], reset: null };
    const kw = ratedPowerKw(reading.model);
    if (typeof reading.energy_total_kwh === "number") this.checkTotal(reading, kw, state, result);
    if (typeof reading.energy_today_kwh === "number") this.checkToday(reading, kw, state, result);
    return result;
  }

  private checkTotal(reading: Reading, kw: number, state: InverterEnergy, result: GuardResult): void {
    const total = reading.energy_total_kwh as number;
    const last = state.total;
    const at = reading.ts_ms;
    if (last === null) {
      this.saveTotal(reading.inverter, total, at);
      return;
    }
    // A stored time in the future (a clock that was wrong, then set right) must not hold every total back.
    if (at < state.totalAt) state.totalAt = at;
    const ceiling = last + allowanceKwh(kw, at - state.totalAt);
    const reject = (episode: string, message: string) => {
      result.reading = { ...result.reading, energy_total_kwh: null };
      this.warnOnce(state, episode, message, result);
    };
    if (total > ceiling) {
      state.largeDrops = 0;
      reject(
        "total_spike",
        `energy_total_kwh ${total} is more than a ${reading.model} (${kw} kW) can have produced since the last ` +
          `good total ${last} at ${new Date(state.totalAt).toISOString()} (at most ${round(ceiling)}): not published`,
      );
    } else if (total >= last) {
      state.largeDrops = 0;
      clearEpisodes(state, "total_");
      if (total !== last) this.saveTotal(reading.inverter, total, at);
    } else if (total >= last * LARGE_DROP_SHARE) {
      state.largeDrops = 0;
      reject(
        "total_dip",
        `energy_total_kwh ${total} is below the last total ${last}: not published (a small dip is a glitch, ` +
          "however long it lasts)",
      );
    } else if (++state.largeDrops >= this.options.replacedAfter) {
      const message =
        `energy_total_kwh fell from ${last} to ${total} for ${state.largeDrops} readings in a row: ` +
        "taken as a replaced or reset device";
      result.warnings.push(message);
      result.reset = { inverter: reading.inverter, from: last, to: total, at, message };
      state.largeDrops = 0;
      clearEpisodes(state, "total_");
      this.saveTotal(reading.inverter, total, at);
    } else {
      reject(
        "total_drop",
        `energy_total_kwh ${total} is below the last total ${last}: not published (below half of it: taken ` +
          `as a replaced or reset device if it lasts ${this.options.replacedAfter} readings in a row)`,
      );
    }
  }

  private checkToday(reading: Reading, kw: number, state: InverterEnergy, result: GuardResult): void {
    const today = reading.energy_today_kwh as number;
    const at = reading.ts_ms;
    const newDay = state.poweredDown || state.todayAt === null || at - state.todayAt >= NEW_DAY_GAP_MS;
    const ceiling =
      newDay || state.today === null
        ? allowanceKwh(kw, 24 * HOUR_MS)
        : state.today + allowanceKwh(kw, at - (state.todayAt ?? at));
    const reject = (episode: string, message: string) => {
      result.reading = { ...result.reading, energy_today_kwh: null };
      this.warnOnce(state, episode, message, result);
    };
    if (today > ceiling) {
      reject(
        "today_spike",
        `energy_today_kwh ${today} is more than a ${reading.model} (${kw} kW) can have produced ` +
          `${newDay ? "in a day" : "since the last good value"} (at most ${round(ceiling)}): not published`,
      );
    } else if (!newDay && state.today !== null && today < state.today) {
      reject(
        "today_dip",
        `energy_today_kwh fell from ${state.today} to ${today} within the day: not published`,
      );
    } else {
      state.today = today;
      state.todayAt = at;
      state.poweredDown = reading.status === "off";
      clearEpisodes(state, "today_");
    }
  }

  private warnOnce(state: InverterEnergy, episode: string, message: string, result: GuardResult): void {
    if (state.episodes.has(episode)) return;
    state.episodes.add(episode);
    result.warnings.push(message);
  }

  private stateOf(inverter: string): InverterEnergy {
    let state = this.energy.get(inverter);
    if (state === undefined) {
      state = freshState();
      this.energy.set(inverter, state);
    }
    return state;
  }

  private saveTotal(inverter: string, total: number, at: number): void {
    const changed = this.stateOf(inverter);
    changed.total = total;
    changed.totalAt = at;
    const stored: StoredTotals = {};
    for (const [id, state] of this.energy)
      if (state.total !== null) stored[id] = { total: state.total, at: state.totalAt };
    this.file.write(stored);
  }
}

function freshState(): InverterEnergy {
  return {
    total: null,
    totalAt: 0,
    today: null,
    todayAt: null,
    poweredDown: false,
    largeDrops: 0,
    episodes: new Set(),
  };
}

function clearEpisodes(state: InverterEnergy, prefix: string): void {
  for (const episode of state.episodes) if (episode.startsWith(prefix)) state.episodes.delete(episode);
}

function round(kwh: number): number {
  return Math.round(kwh * 100) / 100;
}

/** totals.json: `{ "<inverter id>": { "total": kWh >= 0, "at": epoch ms } }`; a bad entry is dropped. */
function validateTotals(raw: unknown): Loaded<StoredTotals> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    return { value: null, problems: ["not an object of inverter totals"] };
  const value: StoredTotals = {};
  const problems: string[] = [];
  for (const [id, entry] of Object.entries(raw as Record<string, unknown>)) {
    const { total, at } = (typeof entry === "object" && entry !== null ? entry : {}) as Record<
      string,
      unknown
    >;
    if (isInverterId(id) && isFiniteNumber(total) && total >= 0 && isFiniteNumber(at)) {
      value[id] = { total, at };
    } else {
      problems.push(`entry '${id.slice(0, 64)}' is not {"total": kWh, "at": epoch ms}`);
    }
  }
  return { value, problems };
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}
