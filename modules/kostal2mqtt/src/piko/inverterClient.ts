import { Agent } from "node:http";
import { toReading, type Reading } from "../reading/reading.js";
import { busAddressForm, checkShownAddress } from "./busAddress.js";
import { fetchStatusPage, DEFAULT_FETCH_LIMITS, type Credentials, type FetchLimits } from "./pageFetcher.js";
import { parseStatusPage } from "./statusPage.js";

export interface InverterClientOptions {
  /** The inverter id used in readings and topics, `[a-z0-9_-]`. */
  id: string;
  url: URL;
  credentials: Credentials;
  limits?: FetchLimits;
  now?: () => number;
  /** The connection to share with other inverters behind the same web server (see webServerLine.ts); it stays open. */
  agent?: Agent;
  /** Read the inverter at this RS485 bus address through the web server at `url` (posting `edWrNr`). */
  rs485Address?: number;
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
  private readonly agent: Agent;
  private readonly ownsAgent: boolean;
  private readonly abort = new AbortController();

  constructor(private readonly options: InverterClientOptions) {
    this.id = options.id;
    this.ownsAgent = options.agent === undefined;
    this.agent = options.agent ?? new Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1 });
  }

  /** The inverter's current reading; rejects with InverterUnreachable, InverterAuth or PageFormat. */
  async read(): Promise<PollResult> {
    const { url, credentials, limits = DEFAULT_FETCH_LIMITS, now = Date.now, rs485Address } = this.options;
    const page = await fetchStatusPage(url, credentials, {
      limits,
      agent: this.agent,
      signal: this.abort.signal,
      now,
      ...(rs485Address !== undefined && { form: busAddressForm(rs485Address) }),
    });
    const content = parseStatusPage(page.html);
    if (rs485Address !== undefined) checkShownAddress(content, rs485Address, url.host);
    return { reading: toReading(content, this.id, page.answeredAtMs), warnings: content.warnings };
  }

  /** Cancels a request in flight and closes the kept-alive socket (unless it is shared). */
  close(): void {
    this.abort.abort();
    if (this.ownsAgent) this.agent.destroy();
  }
}
