import type { Logger } from "../log/logger.js";
import type { Output } from "../outputs/output.js";
import { MEASUREMENT_FIELDS } from "../reading/fields.js";
import type { Reading } from "../reading/reading.js";
import type { ReadingGuard } from "./readingGuard.js";

/**
 * The way from a poll to the outputs: counters checked by the guard (a glitch is published as null, and logged),
 * and, when an inverter goes to sleep, one reading with its instantaneous values at 0.0 and its counters held, so
 * dashboards drop power to 0 without any total dipping (consumers.md).
 */
export class ReadingPublisher {
  private readonly lastPublished = new Map<string, Reading>();

  constructor(
    private readonly outputs: readonly Output[],
    private readonly guard: ReadingGuard,
    private readonly log: Logger,
    private readonly zeroOnSleep: boolean,
  ) {}

  publish(reading: Reading, warnings: readonly string[]): void {
    for (const warning of warnings) this.log.warn(`inverter ${reading.inverter}: ${warning}`);
    const checked = this.guard.check(reading);
    for (const warning of checked.warnings) this.log.warn(`inverter ${reading.inverter}: ${warning}`);
    this.lastPublished.set(reading.inverter, checked.reading);
    for (const output of this.outputs) output.publishReading(checked.reading);
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
      if (field.instantaneous && zero[field.key] !== undefined) zero[field.key] = 0;
    }
    // Counters keep their last good value, never null or 0.
    zero.energy_total_kwh = this.guard.lastTotal(inverter) ?? last.energy_total_kwh ?? null;
    this.lastPublished.set(inverter, zero);
    for (const output of this.outputs) output.publishReading(zero);
  }

  forget(inverter: string): void {
    this.lastPublished.delete(inverter);
  }
}
