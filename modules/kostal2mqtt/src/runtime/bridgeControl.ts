import type { BridgeSettings } from "../config/bridgeSettings.js";
import type { InverterError } from "../piko/errors.js";
import type { PollResult } from "../piko/inverterClient.js";
import type { BridgeEvent, InverterStatusReport, OutputHealth } from "../ports/output.js";
import type { Reading } from "../reading/reading.js";

/** One inverter's answer to `readNow`: its result, or its typed error. */
export interface ReadNowOutcome {
  inverter: string;
  result?: PollResult;
  error?: InverterError;
}

/** One inverter's answer to `backfillHistory`: how many history entries were handed to the outputs, or why none. */
export interface BackfillOutcome {
  inverter: string;
  count?: number;
  error?: string;
}

export type StatusListener = (report: InverterStatusReport) => void;

/** One finished poll: `ok`, the kind of the inverter's typed error, or `error` for anything else (a bug). */
export interface PollOutcome {
  inverter: string;
  outcome: "ok" | InverterError["kind"] | "error";
  /** How long the inverter took to answer or fail (ms). */
  durationMs: number;
}

/**
 * A watcher of what the bridge does, for metrics and the status page: each is optional, called synchronously,
 * and a throw is logged as a bug, never the inverter's or an output's failure.
 */
export interface BridgeObserver {
  pollFinished?(poll: PollOutcome): void;
  /** Every reading as the outputs were given it (counters checked; the zero reading when an inverter sleeps). */
  readingPublished?(reading: Reading): void;
  /** Every event the outputs were given (state changes, applied configuration, counter resets). */
  eventAnnounced?(event: BridgeEvent): void;
}

/**
 * What a controller may read and change of the running bridge (the zigbee2mqtt "extension" shape): the module
 * twin and direct methods (controllers/), the health server (observability/). A controller is given this at
 * construction and started and stopped by the composition root; it never poses as an output to hear of changes.
 */
export interface BridgeControl {
  /** The interval between two polls of an inverter, as last applied. */
  readonly pollIntervalMs: number;
  /** Applies settings live: a changed inverter is restarted, a removed or disabled one stopped. */
  apply(settings: BridgeSettings): void;
  /** Polls one inverter (or all) now; undefined for an unknown id. */
  readNow(inverter?: string): Promise<ReadNowOutcome[] | undefined>;
  /**
   * Downloads the history of one inverter (or of all that keep one) and publishes the entries not published yet,
   * after `sinceMs` when given; undefined for an unknown id.
   */
  backfillHistory(inverter?: string, sinceMs?: number): Promise<BackfillOutcome[] | undefined>;
  /** One report per polled (enabled) inverter. */
  inverterStatuses(): InverterStatusReport[];
  /** Each output's health, with the faults the bridge counted for it. */
  outputHealth(): Record<string, OutputHealth>;
  /** Tells every output of something the controller did (e.g. configuration applied or rejected). */
  announce(event: Omit<BridgeEvent, "at">): void;
  /**
   * Calls `listener` with every inverter status the bridge publishes (each state change, and a refresh now and
   * then while it stays); returns the unsubscribe function.
   */
  onInverterStatus(listener: StatusListener): () => void;
  /** Tells `observer` of every poll, published reading and event from now on; returns the unsubscribe function. */
  observe(observer: BridgeObserver): () => void;
}

export type SettingsListener = (settings: BridgeSettings) => void;

/**
 * What the bridge knows that a server of its readings may read (mirror/): the last reading it published of each
 * inverter, and the settings as they are applied. Read-only: nothing here polls or changes anything.
 */
export interface ReadingCache {
  readonly pollIntervalMs: number;
  /** The reading last published to the outputs of an inverter, or null before its first. */
  lastReading(inverter: string): Reading | null;
  /** Calls `listener` with the settings each time they are applied; returns the unsubscribe function. */
  onSettingsApplied(listener: SettingsListener): () => void;
}
