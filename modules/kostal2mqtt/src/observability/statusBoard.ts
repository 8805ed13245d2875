import type { BridgeEvent, InverterStatusReport, OutputHealth } from "../ports/output.js";
import type { Reading } from "../reading/reading.js";
import type { BridgeControl, BridgeObserver } from "../runtime/bridgeControl.js";
import { DayCurve, type CurvePoint, type SiteClock } from "./dayCurve.js";

/** How many state changes the status page lists, newest first. */
export const RECENT_EVENTS = 20;

/** One inverter as the status page shows it. */
export interface InverterView {
  status: InverterStatusReport;
  reading: Reading | null;
  /** Today's curve (empty before the first reading of the day), and the day it belongs to. */
  curve: CurvePoint[];
  dayStartMs: number;
  /** The reading's `energy_today_kwh` (null: unreadable) when that reading is from today; undefined otherwise. */
  energyTodayKwh: number | null | undefined;
}

export interface StatusView {
  now: number;
  inverters: InverterView[];
  outputs: Array<[string, OutputHealth]>;
  events: BridgeEvent[];
}

export type BoardSource = Pick<BridgeControl, "inverterStatuses" | "outputHealth">;

/**
 * What the status page shows beyond the bridge's own statuses: each inverter's last reading and today's power
 * curve, and the recent events. Fed by the bridge as an observer; told listeners (the page's event stream) that
 * something changed.
 */
export class StatusBoard implements BridgeObserver {
  private readonly latest = new Map<string, { reading: Reading; curve: DayCurve }>();
  private readonly events: BridgeEvent[] = [];
  private readonly listeners = new Set<() => void>();

  constructor(private readonly clock: SiteClock) {}

  readingPublished(reading: Reading): void {
    const entry = this.latest.get(reading.inverter) ?? { reading, curve: new DayCurve(this.clock) };
    this.latest.set(reading.inverter, entry);
    entry.reading = reading;
    const watts = reading.ac_power_w;
    if (typeof watts === "number") entry.curve.add(reading.ts_ms, watts);
    this.changed();
  }

  eventAnnounced(event: BridgeEvent): void {
    this.events.unshift(event);
    this.events.length = Math.min(this.events.length, RECENT_EVENTS);
    this.changed();
  }

  /** Calls `listener` after every change; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The page's content now. Inverters no longer polled are forgotten here, so the board stays bounded. */
  view(source: BoardSource, now: number): StatusView {
    const statuses = source.inverterStatuses();
    const polled = new Set(statuses.map((status) => status.inverter));
    for (const id of this.latest.keys()) if (!polled.has(id)) this.latest.delete(id);
    const today = this.clock.dayStart(now);
    const inverters = statuses.map((status): InverterView => {
      const entry = this.latest.get(status.inverter);
      const reading = entry?.reading ?? null;
      const current = entry !== undefined && entry.curve.dayStartMs === today;
      const fromToday = reading !== null && this.clock.dayStart(reading.ts_ms) === today;
      return {
        status,
        reading,
        curve: current ? entry.curve.points() : [],
        dayStartMs: today,
        energyTodayKwh: fromToday ? reading.energy_today_kwh : undefined,
      };
    });
    return { now, inverters, outputs: Object.entries(source.outputHealth()), events: [...this.events] };
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }
}
