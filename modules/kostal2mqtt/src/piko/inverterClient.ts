import { Agent } from "node:http";
import { toReading, type Reading } from "../reading/reading.js";
import { fetchStatusPage, DEFAULT_FETCH_LIMITS, type Credentials, type FetchLimits } from "./pageFetcher.js";
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
 * One inverter's web page as readings. The PIKO's web server manages one connection at a time and falls over when
 * hammered (piko.md), so there is never more than one request in flight: a read asked for while one runs shares
 * its result. One kept-alive socket at most.
 */
export class InverterClient {
  readonly id: string;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1 });
  private inFlight: Promise<PollResult> | null = null;
  private readonly abort = new AbortController();

  constructor(private readonly options: InverterClientOptions) {
    this.id = options.id;
  }

  /** The inverter's current reading; rejects with InverterUnreachable, InverterAuth or PageFormat. */
  read(): Promise<PollResult> {
    this.inFlight ??= this.fetchAndParse().finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  /** Cancels a request in flight and closes the kept-alive socket. */
  close(): void {
    this.abort.abort();
    this.agent.destroy();
  }

  private async fetchAndParse(): Promise<PollResult> {
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
}
