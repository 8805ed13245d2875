import type { InverterSettings } from "../config/bridgeSettings.js";
import type { Timers } from "../lib/timers.js";
import type { Logger } from "../log/logger.js";
import type { FetchLimits } from "../piko/pageFetcher.js";
import type { Output } from "../ports/output.js";
import type { BackoffLimits, NightOracle } from "./inverterHealth.js";
import type { PageSource } from "./inverterLoop.js";
import type { ReadingGuard } from "./readingGuard.js";

/** What the bridge is made of: its outputs and log, and the edges tests inject (clock, timers, sources, jitter). */
export interface BridgeOptions {
  outputs: Output[];
  log: Logger;
  limits: FetchLimits;
  now?: () => number;
  timers?: Timers;
  isNight?: NightOracle;
  /** How often a lasting fault is summarised in the log (one line per change otherwise). */
  faultSummaryMs?: number;
  /** Checks counters before they are published; by default one without a data folder. */
  guard?: ReadingGuard;
  /** Publish one reading with power 0.0 and totals held when an inverter goes to sleep (default true). */
  zeroOnSleep?: boolean;
  backoff?: BackoffLimits;
  /**
   * Where an inverter's pages come from; by default its status page over HTTP. Tests pass fake inverters. Every
   * source, fake or not, takes turns with the others on the same host:port (runtime/inverterSources.ts).
   */
  sourceFor?: (inverter: string, settings: InverterSettings) => PageSource;
  /** Jitter of the backoff; injected so that tests can pin it. */
  random?: () => number;
  /** History backfill after gaps (runtime/historyBackfill.ts), its cursor in this data folder; absent: none. */
  history?: { dataDir: string | null };
}
