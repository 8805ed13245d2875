import type { Logger } from "../log/logger.js";
import type {
  BridgeEvent,
  HistoryMessage,
  InverterStatusReport,
  Output,
  OutputHealth,
} from "../ports/output.js";
import type { Reading } from "../reading/reading.js";

type Call =
  | "start"
  | "stop"
  | "publishReading"
  | "publishInverterStatus"
  | "publishEvent"
  | "publishHistory"
  | "health";

interface Faults {
  count: number;
  last: string;
  /** The calls whose latest attempt threw, with what it said: a change of these is logged, a repeat is not. */
  failing: Map<Call, string>;
}

/**
 * The one place where the bridge reaches its outputs. Each output is called inside its own guard, so that a
 * throw is that output's failure alone (style.md, "one failing output never blocks the other"): counted,
 * logged once per change (when a call starts failing, fails differently, or works again; never per reading),
 * and shown in that output's health (`faults`, `lastFault`). The inverters and every other output go on.
 */
export class OutputFanOut {
  private readonly faults = new Map<string, Faults>();

  constructor(
    private readonly outputs: readonly Output[],
    private readonly log: Logger,
  ) {}

  get names(): string[] {
    return this.outputs.map((output) => output.name);
  }

  /**
   * Starts every output. One that cannot start fails the start, as before: that is a fault of the installation
   * (a module missing, a file unreadable) that the operator must see at once, not a condition to run on with.
   */
  async start(): Promise<void> {
    await Promise.all(this.outputs.map((output) => output.start()));
  }

  /** Every output is given the whole deadline to flush and close, whatever another one does. */
  async stop(deadlineMs: number): Promise<void> {
    await Promise.all(
      this.outputs.map(async (output) => {
        try {
          await output.stop(deadlineMs);
        } catch (error) {
          this.failed(output, "stop", error);
        }
      }),
    );
  }

  publishReading(reading: Reading): void {
    for (const output of this.outputs)
      this.guard(output, "publishReading", () => output.publishReading(reading));
  }

  publishInverterStatus(report: InverterStatusReport): void {
    for (const output of this.outputs)
      this.guard(output, "publishInverterStatus", () => output.publishInverterStatus(report));
  }

  publishEvent(event: BridgeEvent): void {
    for (const output of this.outputs) this.guard(output, "publishEvent", () => output.publishEvent(event));
  }

  /** To every output that carries history; a throw is that output's fault, as for readings. */
  publishHistory(message: HistoryMessage): void {
    for (const output of this.outputs) {
      if (output.publishHistory === undefined) continue;
      this.guard(output, "publishHistory", () => output.publishHistory?.(message));
    }
  }

  /** Each output's own health, with the faults the bridge counted for it. */
  health(): Record<string, OutputHealth> {
    const result: Record<string, OutputHealth> = {};
    for (const output of this.outputs) {
      let health: OutputHealth;
      try {
        health = output.health();
        this.worked(output, "health");
      } catch (error) {
        this.failed(output, "health", error);
        health = { state: "disconnected", queued: 0, dropped: 0, delivered: 0, message: "health unknown" };
      }
      const faults = this.faults.get(output.name);
      result[output.name] = faults
        ? { ...health, faults: faults.count, lastFault: faults.last, failing: faults.failing.size > 0 }
        : health;
    }
    return result;
  }

  private guard(output: Output, call: Call, action: () => void): void {
    try {
      action();
      this.worked(output, call);
    } catch (error) {
      this.failed(output, call, error);
    }
  }

  private failed(output: Output, call: Call, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    const faults = this.faults.get(output.name) ?? { count: 0, last: "", failing: new Map<Call, string>() };
    this.faults.set(output.name, faults);
    faults.count++;
    faults.last = `${call}: ${message}`;
    if (faults.failing.get(call) === message) return;
    faults.failing.set(call, message);
    this.log.error(
      `output ${output.name}: ${call} failed (counted in its health; the inverters and the other outputs go on)`,
      error,
    );
  }

  private worked(output: Output, call: Call): void {
    const faults = this.faults.get(output.name);
    if (faults?.failing.delete(call) !== true) return;
    this.log.info(`output ${output.name}: ${call} works again (${faults.count} fault(s) since start)`);
  }
}
