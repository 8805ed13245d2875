import type { Logger } from "../log/logger.js";
import type { BridgeEvent, Output } from "../ports/output.js";
import { MEASUREMENT_FIELDS } from "../reading/fields.js";
import type { Reading } from "../reading/reading.js";
import type { CounterReset, ReadingGuard } from "./readingGuard.js";

/** Where checked readings and the events they cause go: the bridge's guarded fan-out to every output. */
export type ReadingSink = Pick<Output, "publishReading" | "publishEvent">;

/**
 * The way from a poll to the outputs: counters checked by the guard (a glitch is published as null, and logged),
 * and, when an inverter goes to sleep, one reading with its instantaneous values at 0.0 and its counters held, so
 * dashboards drop power to 0 without any total dipping (consumers.md).
 *
 * The reader's warnings (one per unreadable cell) come with every reading; a cell that stays unreadable is logged
 * once, and again only when what it shows changes or after it was readable in between: a log line per poll
 * buries everything else (issue 9).
 */
export class ReadingPublisher {
  private readonly lastPublished = new Map<string, Reading>();
  /** Per inverter, the reader's warnings of its last reading: those already said. */
  private readonly lastWarnings = new Map<string, ReadonlySet<string>>();

  constructor(
    private readonly sink: ReadingSink,
    private readonly guard: ReadingGuard,
    private readonly log: Logger,
    private readonly zeroOnSleep: boolean,
  ) {}

  publish(reading: Reading, warnings: readonly string[]): void {
    const id = reading.inverter;
    const said = this.lastWarnings.get(id);
    for (const warning of warnings) if (!said?.has(warning)) this.log.warn(`inverter ${id}: ${warning}`);
    this.lastWarnings.set(id, new Set(warnings));
    const checked = this.guard.check(reading);
    for (const warning of checked.warnings) this.log.warn(`inverter ${id}: ${warning}`);
    this.lastPublished.set(id, checked.reading);
    this.sink.publishReading(checked.reading);
    if (checked.reset !== null) this.announceReset(checked.reset);
  }

  /** The inverter stopped answering for the night: its day ends; consumers see power 0.0 and totals held. */
  asleep(inverter: string, atMs: number): void {
    this.guard.notePoweredDown(inverter);
    const last = this.lastPublished.get(inverter);
    if (!this.zeroOnSleep || last === undefined || atMs <= last.ts_ms) return;
    const zero: Reading = {
      ...last,
      ts: new Date(atMs).toISOString(),
      ts_ms: atMs,
      status: "off",
      status_code: 0,
      status_text: "asleep (not answering)",
    };
    for (const field of MEASUREMENT_FIELDS) {
      if (!field.instantaneous || zero[field.key] === undefined) continue;
      // The household and the battery do not sleep with the PV side: their value now is unknown, not 0.
      zero[field.key] = field.zeroWhenAsleep ? 0 : null;
    }
    // Counters keep their last good value, never null or 0.
    zero.energy_total_kwh = this.guard.lastTotal(inverter) ?? last.energy_total_kwh ?? null;
    this.lastPublished.set(inverter, zero);
    this.sink.publishReading(zero);
  }

  /** The reading last published of an inverter (checked, or its zero at sleep), or null. */
  last(inverter: string): Reading | null {
    return this.lastPublished.get(inverter) ?? null;
  }

  forget(inverter: string): void {
    this.lastPublished.delete(inverter);
    this.lastWarnings.delete(inverter);
  }

  /**
   * A replaced or reset device: the lower total is published from now on, and consumers are told why (Home
   * Assistant takes the fall as a meter reset; InfluxDB users see a step down in the series).
   */
  private announceReset(reset: CounterReset): void {
    const event: BridgeEvent = {
      type: "counter_reset",
      subject: reset.inverter,
      from: String(reset.from),
      to: String(reset.to),
      at: new Date(reset.at).toISOString(),
      message: reset.message,
    };
    this.sink.publishEvent(event);
  }
}
