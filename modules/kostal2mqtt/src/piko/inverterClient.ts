import { Agent } from "node:http";
import { toReading, type Reading } from "../reading/reading.js";
import { fetchStatusPage, DEFAULT_FETCH_LIMITS, type Credentials, type FetchLimits } from "./pageFetcher.js";
import { downloadLogDaten, LOGDATEN_PATH } from "./logdaten/logDatenDownloader.js";
import type { HistoryFilter, LogDaten } from "./logdaten/logDatenParser.js";
import { parseStatusPage } from "./statusPage.js";

export interface InverterClientOptions {
  /** The inverter id used in readings and topics, `[a-z0-9_-]`. */
  id: string;
  url: URL;
  credentials: Credentials;
  limits?: FetchLimits;
  now?: () => number;
}

export interface PollResult {
  reading: Reading;
  /** Cells that could not be read (their fields are null in the reading). */
  warnings: string[];
}

/**
 * One inverter's status page as readings: fetch and parse, nothing more. The PIKO's web server manages one
 * connection at a time and falls over when hammered (piko.md), so the client keeps one socket alive and never
 * opens a second (reads asked for together queue on it); that polls do not pile up at all is the inverter's
 * loop's job (runtime/inverterLoop.ts), which shares one read between its schedule and `readNow`.
 */
export class InverterClient {
  readonly id: string;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1 });
  private readonly abort = new AbortController();

  constructor(private readonly options: InverterClientOptions) {
    this.id = options.id;
  }

  /** The inverter's current reading; rejects with InverterUnreachable, InverterAuth or PageFormat. */
  async read(): Promise<PollResult> {
    const { url, credentials, limits = DEFAULT_FETCH_LIMITS, now = Date.now } = this.options;
    const page = await fetchStatusPage(url, credentials, {
      limits,
      agent: this.agent,
      signal: this.abort.signal,
      now,
    });
    const content = parseStatusPage(page.html);
    return { reading: toReading(content, this.id, page.answeredAtMs), warnings: content.warnings };
  }

  /**
   * The inverter's history file (LogDaten.dat), on the same kept-alive socket as the polls: the device serves one
   * connection. Rejects like `read`, with InverterBusy when it stayed busy.
   */
  history(keep?: HistoryFilter): Promise<LogDaten> {
    const { url, credentials, now = Date.now } = this.options;
    return downloadLogDaten(new URL(LOGDATEN_PATH, url), credentials, {
      agent: this.agent,
      signal: this.abort.signal,
      now,
      ...(keep && { keep }),
    });
  }

  /** Cancels a request in flight and closes the kept-alive socket. */
  close(): void {
    this.abort.abort();
    this.agent.destroy();
  }
}
