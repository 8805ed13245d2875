import { toReading, type Reading } from "../reading/reading.js";
import { busAddressForm, checkShownAddress } from "./busAddress.js";
import type { PikoFormat } from "./detectFormat.js";
import { fetchDxsPoll } from "./dxs/dxsFetcher.js";
import { fetchMpplusPoll } from "./mpplus/mpplusFetcher.js";
import {
  fetchStatusPage,
  DEFAULT_FETCH_LIMITS,
  type Credentials,
  type DeviceEdges,
  type FetchLimits,
} from "./pageFetcher.js";
import { PageFormat } from "./errors.js";
import { deviceAgent, type InverterAgent } from "./inverterAgent.js";
import { downloadLogDaten, LOGDATEN_PATH } from "./logdaten/logDatenDownloader.js";
import type { HistoryFilter, LogDaten } from "./logdaten/logDatenParser.js";
import { ProtocolProbe, type ProtocolPoll, type ProtocolSetting } from "./protocolProbe.js";
import type { TemplateSlot } from "./gridTemplate.js";
import { parseStatusPage } from "./statusPage.js";

export interface InverterClientOptions {
  /** The inverter id used in readings and topics, `[a-z0-9_-]`. */
  id: string;
  /**
   * The id was not configured (made from the host): a device that names itself (dxs, MP plus: its serial) is
   * called by that name in its readings instead.
   */
  idFromDevice?: boolean;
  /** The status page URL (`http://host/index.fhtml`); the other interfaces are asked at its origin. */
  url: URL;
  credentials: Credentials;
  /** Which interface the device speaks; `auto` finds out (protocolProbe.ts). Default `html`, the old page. */
  protocol?: ProtocolSetting;
  /** Told when `auto` detects the interface (once, and again when it changes). */
  onProtocolDetected?: (protocol: PikoFormat, previous: PikoFormat | null) => void;
  limits?: FetchLimits;
  now?: () => number;
  /** The connection to share with other inverters behind the same web server (see webServerLine.ts); it stays open. */
  agent?: InverterAgent;
  /**
   * Read the inverter at this RS485 bus address through the web server at `url` (posting `edWrNr`). Only the old
   * status page shows bus neighbours, so such an inverter is read as `html` whatever `protocol` says.
   */
  rs485Address?: number;
}

export interface PollResult {
  reading: Reading;
  /** Cells that could not be read (their fields are null in the reading). */
  warnings: string[];
}

/**
 * One inverter's readings over whichever interface it speaks: fetch and read, nothing more. The PIKO's web
 * server manages one connection at a time and falls over when hammered (piko.md), so the client keeps at most one
 * socket and runs its reads one after another (a dxs poll's requests too: reads asked for together queue here);
 * that polls do not pile up at all is the inverter's loop's job (runtime/inverterLoop.ts).
 */
export class InverterClient {
  readonly id: string;
  private readonly agent: InverterAgent;
  private readonly ownsAgent: boolean;
  private readonly abort = new AbortController();
  private readonly probe: ProtocolProbe;
  /** The read in progress (or settled): the next one starts after it. */
  private queue: Promise<unknown> = Promise.resolve();
  /** The markup of the last status page, which the next one is read against (gridTemplate.ts). */
  private readonly lastPage: TemplateSlot = { template: null };

  constructor(private readonly options: InverterClientOptions) {
    this.id = options.id;
    this.ownsAgent = options.agent === undefined;
    this.agent = options.agent ?? deviceAgent();
    this.probe = new ProtocolProbe(
      options.rs485Address === undefined ? (options.protocol ?? "html") : "html",
      (protocol) => this.fetchWith(protocol),
      options.onProtocolDetected,
    );
  }

  /** The inverter's current reading; rejects with InverterUnreachable, InverterAuth or PageFormat. */
  read(): Promise<PollResult> {
    const next = this.queue.then(() => this.readOnce());
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * The inverter's history file (LogDaten.dat), on the same kept-alive socket as the polls and queued behind them:
   * the device serves one connection. Rejects like `read`, with InverterBusy when it stayed busy, and with
   * PageFormat when the device speaks another interface than the old page's (only old PIKOs keep the file).
   */
  history(keep?: HistoryFilter): Promise<LogDaten> {
    const { url, credentials, now = Date.now } = this.options;
    const protocol = this.probe.protocol;
    if (protocol !== null && protocol !== "html") {
      return Promise.reject(
        new PageFormat(`inverter ${url.host} speaks ${protocol}, which keeps no LogDaten.dat`),
      );
    }
    const next = this.queue.then(() =>
      downloadLogDaten(new URL(LOGDATEN_PATH, url), credentials, {
        agent: this.agent,
        signal: this.abort.signal,
        now,
        ...(keep && { keep }),
      }),
    );
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Cancels a request in flight and closes the kept-alive socket (unless it is shared). */
  close(): void {
    this.abort.abort();
    if (this.ownsAgent) this.agent.destroy();
  }

  private async readOnce(): Promise<PollResult> {
    const poll = await this.probe.read();
    const id = this.options.idFromDevice === true && poll.deviceId !== null ? poll.deviceId : this.id;
    return { reading: toReading(poll.content, id, poll.answeredAtMs), warnings: poll.content.warnings };
  }

  private async fetchWith(protocol: PikoFormat): Promise<ProtocolPoll> {
    const { url, credentials, limits = DEFAULT_FETCH_LIMITS, now = Date.now, rs485Address } = this.options;
    const edges: DeviceEdges = { limits, agent: this.agent, signal: this.abort.signal, now };
    switch (protocol) {
      case "dxs":
        return fetchDxsPoll(url, edges);
      case "mpplus":
        return fetchMpplusPoll(url, edges);
      case "html": {
        const form = rs485Address === undefined ? undefined : busAddressForm(rs485Address);
        const page = await fetchStatusPage(url, credentials, { ...edges, ...(form && { form }) });
        const content = parseStatusPage(page.html, this.lastPage);
        if (rs485Address !== undefined) checkShownAddress(content, rs485Address, url.host);
        return { content, deviceId: null, answeredAtMs: page.answeredAtMs };
      }
    }
  }
}
