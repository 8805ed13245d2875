import type { Reading } from "../reading/reading.js";
import { StateFile } from "./stateFile.js";

/**
 * Never lie about energy. `energy_total_kwh` never decreases: a lower total is a glitch (published as null, logged)
 * unless it holds for `replacedAfter` readings in a row (a replaced device); the last good total per inverter is
 * persisted. `energy_today_kwh` may only fall back at the inverter's own new day, i.e. after it was powered down
 * (asleep or off) or after a long gap; any other drop is a glitch too.
 */

interface InverterEnergy {
  total: number | null;
  totalAt: number;
  today: number | null;
  todayAt: number | null;
  /** The inverter was asleep/unreachable or off since `today` was seen: a new day may start. */
  poweredDown: boolean;
  lowerTotals: number;
}

type StoredTotals = Record<string, { total: number; at: number }>;

/** A gap this long means a new day even if the powering down was not seen (e.g. a restart at night). */
const NEW_DAY_GAP_MS = 6 * 3600_000;

export class ReadingGuard {
  private readonly energy = new Map<string, InverterEnergy>();
  private readonly file: StateFile<StoredTotals>;

  constructor(
    private readonly options: {
      replacedAfter: number;
      dataDir: string | null;
      warn: (message: string) => void;
    },
  ) {
    this.file = new StateFile<StoredTotals>(options.dataDir, "totals.json", options.warn);
    const stored = this.file.read() ?? {};
    for (const [id, entry] of Object.entries(stored)) {
      if (typeof entry?.total === "number" && Number.isFinite(entry.total)) {
        this.energy.set(id, {
          total: entry.total,
          totalAt: entry.at,
          today: null,
          todayAt: null,
          poweredDown: true,
          lowerTotals: 0,
        });
      }
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

  /** The reading as it may be published: a glitched counter becomes null, with a warning. */
  check(reading: Reading): { reading: Reading; warnings: string[] } {
    const warnings: string[] = [];
    const state = this.stateOf(reading.inverter);
    let checked = reading;
    const total = reading.energy_total_kwh;
    if (typeof total === "number") {
      if (state.total === null || total >= state.total) {
        state.lowerTotals = 0;
        if (state.total !== total) this.saveTotal(reading.inverter, total, reading.ts_ms);
      } else if (++state.lowerTotals >= this.options.replacedAfter) {
        warnings.push(
          `energy_total_kwh fell from ${state.total} to ${total} for ${state.lowerTotals} readings in a row: ` +
            "taken as a replaced or reset device",
        );
        state.lowerTotals = 0;
        this.saveTotal(reading.inverter, total, reading.ts_ms);
      } else {
        warnings.push(
          `energy_total_kwh ${total} is below the last total ${state.total}: not published (a glitch)`,
        );
        checked = { ...checked, energy_total_kwh: null };
      }
    }
    const today = reading.energy_today_kwh;
    if (typeof today === "number") {
      const newDay =
        state.poweredDown || state.todayAt === null || reading.ts_ms - state.todayAt >= NEW_DAY_GAP_MS;
      if (state.today !== null && today < state.today && !newDay) {
        warnings.push(`energy_today_kwh fell from ${state.today} to ${today} within the day: not published`);
        checked = { ...checked, energy_today_kwh: null };
      } else {
        state.today = today;
        state.todayAt = reading.ts_ms;
        state.poweredDown = reading.status === "off";
      }
    }
    return { reading: checked, warnings };
  }

  private stateOf(inverter: string): InverterEnergy {
    let state = this.energy.get(inverter);
    if (state === undefined) {
      state = { total: null, totalAt: 0, today: null, todayAt: null, poweredDown: false, lowerTotals: 0 };
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
