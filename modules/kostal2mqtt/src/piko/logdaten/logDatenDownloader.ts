import type { InverterAgent } from "../inverterAgent.js";
import { backoffMs } from "../../lib/timeouts.js";
import { InverterBusy } from "../errors.js";
import { statusPageUrl } from "../inverterAddress.js";
import { fetchInverterText, type Credentials, type FetchLimits } from "../pageFetcher.js";
import { parseLogDaten, type HistoryFilter, type LogDaten } from "./logDatenParser.js";

/**
 * Downloads an old PIKO's history file, `/LogDaten.dat`, through the same fetch path as the status page (Basic auth,
 * typed errors, a size cap), with the limits the file needs: it is large and slow to come (piko.md). A body the
 * device cuts off is kept up to its last whole row (the reader drops the cut one with a warning); "service busy"
 * (HTTP 503, while the device serves another request) is tried again after a pause, a few times, then thrown as
 * InverterBusy.
 */

export const LOGDATEN_PATH = "/LogDaten.dat";

/**
 * About 100 days of 900 s rows are kept (piko.md): some 9,600 rows of about 250 bytes, 2.4 MB. 4 MiB leaves room
 * for a shorter interval setting while bounding what one download may hold in memory (the process's budget is
 * 56 MiB). The device writes the file as it sends it, slowly: a minute for the whole exchange.
 */
export const LOGDATEN_LIMITS: FetchLimits = { timeoutMs: 60_000, maxBytes: 4 * 1024 * 1024 };

/** Tries after "service busy", and the pause before each (doubling, jittered, capped). */
export interface BusyRetry {
  attempts: number;
  baseMs: number;
  capMs: number;
}

export const LOGDATEN_BUSY_RETRY: BusyRetry = { attempts: 4, baseMs: 2000, capMs: 15_000 };

export interface DownloadOptions {
  limits?: FetchLimits;
  retry?: BusyRetry;
  agent?: InverterAgent;
  signal?: AbortSignal;
  now?: () => number;
  random?: () => number;
  /** Which entries to read (default all). */
  keep?: HistoryFilter;
}

/** The LogDaten.dat URL of an inverter address (host, host:port or URL, as KOSTAL_HOST takes it). */
export function logDatenUrl(address: string): URL {
  const url = statusPageUrl(address);
  url.pathname = LOGDATEN_PATH;
  url.search = "";
  return url;
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      signal?.removeEventListener("abort", cancelled);
      resolve();
    }
    function cancelled(): void {
      clearTimeout(timer);
      reject(new InverterBusy("the LogDaten.dat download was cancelled while the inverter was busy"));
    }
    signal?.addEventListener("abort", cancelled, { once: true });
  });
}

/**
 * Downloads and reads the history of the inverter at `url`. Rejects with InverterUnreachable (InverterBusy when it
 * stayed busy), InverterAuth or PageFormat; a partial download resolves, with a warning saying so.
 */
export async function downloadLogDaten(
  url: URL,
  credentials: Credentials,
  options: DownloadOptions = {},
): Promise<LogDaten> {
  const retry = options.retry ?? LOGDATEN_BUSY_RETRY;
  for (let attempt = 0; ; attempt++) {
    try {
      const fetched = await fetchInverterText(url, {
        credentials,
        accept: "text/plain",
        what: "LogDaten.dat",
        encoding: "latin1",
        keepPartial: true,
        limits: options.limits ?? LOGDATEN_LIMITS,
        ...(options.agent && { agent: options.agent }),
        ...(options.signal && { signal: options.signal }),
        ...(options.now && { now: options.now }),
      });
      const text = fetched.text;
      // A whole answer's last row is whole even without a final line break; only a cut-off one is suspect.
      const history = parseLogDaten(
        fetched.complete && !text.endsWith("\n") ? `${text}\n` : text,
        fetched.answeredAtMs,
        options.keep,
      );
      if (!fetched.complete) {
        history.warnings.unshift(
          `the inverter closed the connection after ${text.length} bytes: partial download`,
        );
      }
      return history;
    } catch (error) {
      if (!(error instanceof InverterBusy) || attempt + 1 >= retry.attempts || options.signal?.aborted) {
        if (error instanceof InverterBusy && attempt > 0) {
          throw new InverterBusy(`${error.message}; gave up after ${attempt + 1} tries`, { cause: error });
        }
        throw error;
      }
      await pause(backoffMs(attempt, retry.baseMs, retry.capMs, options.random), options.signal);
    }
  }
}
