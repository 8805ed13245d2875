import type { InverterSettings } from "../../modules/kostal2mqtt/src/config/bridgeSettings.js";
import type { Timers } from "../../modules/kostal2mqtt/src/lib/timers.js";
import { createLogger, type Logger } from "../../modules/kostal2mqtt/src/log/logger.js";
import type { PollResult } from "../../modules/kostal2mqtt/src/piko/inverterClient.js";
import type {
  BridgeEvent,
  InverterStatusReport,
  Output,
  OutputHealth,
} from "../../modules/kostal2mqtt/src/ports/output.js";
import type { Reading } from "../../modules/kostal2mqtt/src/reading/reading.js";
import { Bridge, type BridgeOptions } from "../../modules/kostal2mqtt/src/runtime/bridge.js";
import type { PageSource } from "../../modules/kostal2mqtt/src/runtime/inverterLoop.js";
import { checkReadingLater } from "./readingSchema.js";
import { NOON } from "./simulatedTime.js";

/**
 * The runtime's test layer (issue 10, "tests in layers"): the real bridge and loops with a fake clock, fake
 * inverters and recording outputs, so that a day of polling runs in milliseconds and never reads the wall clock.
 */

/** Lets every promise that is ready settle (fake inverters answer at once); yields, never waits on time. */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A clock and timers that move only when told: `advance` runs what falls due, in order, and lets it settle. */
export class FakeClock implements Timers {
  private current: number;
  private nextId = 0;
  private pending: Array<{ id: number; at: number; callback: () => void }> = [];

  constructor(startMs = NOON) {
    this.current = startMs;
  }

  readonly now = (): number => this.current;

  setTimeout(callback: () => void, ms: number): unknown {
    const id = ++this.nextId;
    this.pending.push({ id, at: this.current + Math.max(0, ms), callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending = this.pending.filter((timer) => timer.id !== handle);
  }

  /** The delays of the timers waiting now, from now. */
  get waiting(): number[] {
    return this.pending.map((timer) => timer.at - this.current);
  }

  async advance(ms: number): Promise<void> {
    const until = this.current + ms;
    await settle();
    for (;;) {
      const due = this.pending
        .filter((timer) => timer.at <= until)
        .sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (due === undefined) break;
      this.pending = this.pending.filter((timer) => timer !== due);
      this.current = Math.max(this.current, due.at);
      due.callback();
      await settle();
    }
    this.current = until;
  }
}

/** A PIKO 8.3 feeding in at `power` W, measured at `atMs`. */
export function pikoReading(inverter: string, atMs: number, power = 4120): Reading {
  return {
    schema_version: 1,
    inverter,
    model: "PIKO 8.3",
    name: "piko",
    rs485_address: 255,
    ts: new Date(atMs).toISOString(),
    ts_ms: atMs,
    status: "feeding_mpp",
    status_code: 3,
    status_text: "Einspeisen MPP",
    ac_power_w: power,
    energy_today_kwh: 21.3,
    energy_total_kwh: 69424,
    dc1_voltage_v: 512,
    dc1_current_a: 3.1,
    l1_voltage_v: 231,
    l1_power_w: power,
  };
}

/**
 * An inverter as a page source: answers with `answer(atMs)` (a reading, or an error to reject with), at once or,
 * while `hold` is set, when the test releases it.
 */
export class FakeInverter implements PageSource {
  reads = 0;
  closed = false;
  hold = false;
  private held: Array<() => void> = [];

  constructor(
    private readonly clock: FakeClock,
    public answer: (atMs: number) => Reading | Error,
  ) {}

  read(): Promise<PollResult> {
    this.reads++;
    const reply = () => {
      const answer = this.answer(this.clock.now());
      return answer instanceof Error
        ? Promise.reject(answer)
        : Promise.resolve({ reading: answer, warnings: [] });
    };
    if (!this.hold) return reply();
    return new Promise<PollResult>((resolve, reject) =>
      this.held.push(() => void reply().then(resolve, reject)),
    );
  }

  /** Answers the reads that were held. */
  release(): void {
    this.hold = false;
    for (const answer of this.held.splice(0)) answer();
  }

  close(): void {
    this.closed = true;
  }
}

/** An output that keeps what it was given; `fail` makes a call throw (as a broken output would). */
export class RecordingOutput implements Output {
  readonly readings: Reading[] = [];
  readonly statuses: InverterStatusReport[] = [];
  readonly events: BridgeEvent[] = [];
  fail: Partial<Record<"publishReading" | "publishInverterStatus" | "publishEvent" | "health", Error>> = {};
  stopped = false;

  constructor(readonly name: string) {}

  start(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }

  publishReading(reading: Reading): void {
    if (this.fail.publishReading) throw this.fail.publishReading;
    // A throw here would be this output's fault to the bridge, not the test's: checked in the test's afterEach.
    checkReadingLater(reading, `reading given to output ${this.name}`);
    this.readings.push(reading);
  }

  publishInverterStatus(status: InverterStatusReport): void {
    if (this.fail.publishInverterStatus) throw this.fail.publishInverterStatus;
    this.statuses.push(status);
  }

  publishEvent(event: BridgeEvent): void {
    if (this.fail.publishEvent) throw this.fail.publishEvent;
    this.events.push(event);
  }

  health(): OutputHealth {
    if (this.fail.health) throw this.fail.health;
    return {
      state: "connected",
      queued: 0,
      dropped: 0,
      delivered: this.readings.length,
      message: "recording",
    };
  }
}

export interface RuntimeHarness {
  bridge: Bridge;
  clock: FakeClock;
  inverters: Map<string, FakeInverter>;
  lines: string[];
  log: Logger;
}

/**
 * A bridge over fake inverters (every id it is told to poll answers with a producing PIKO 8.3 unless `answers`
 * says otherwise) and the given outputs; backoff jitter pinned to the middle.
 */
export function runtimeHarness(
  outputs: Output[],
  answers: Record<string, (atMs: number) => Reading | Error> = {},
  options: Partial<BridgeOptions> = {},
): RuntimeHarness {
  const clock = new FakeClock();
  const lines: string[] = [];
  const log = createLogger({ level: "debug", write: (line) => lines.push(line), now: clock.now });
  const inverters = new Map<string, FakeInverter>();
  const bridge = new Bridge({
    outputs,
    log,
    limits: { timeoutMs: 1000, maxBytes: 64 * 1024 },
    now: clock.now,
    timers: clock,
    random: () => 0.5,
    sourceFor: (id: string, _settings: InverterSettings) => {
      const inverter = new FakeInverter(clock, answers[id] ?? ((atMs) => pikoReading(id, atMs)));
      inverters.set(id, inverter);
      return inverter;
    },
    ...options,
  });
  return { bridge, clock, inverters, lines, log };
}

/** Settings for `ids`, each a loopback address that is never dialled (the sources are fakes). */
export function settingsFor(ids: string[], pollIntervalSeconds = 10) {
  const inverters = new Map<string, InverterSettings>(
    ids.map((id, i) => [
      id,
      { host: `127.0.0.1:${9000 + i}`, username: "pvserver", password: "pvwr", enabled: true },
    ]),
  );
  return { pollIntervalSeconds, inverters };
}
