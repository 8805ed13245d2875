import type { IncomingMessage, ServerResponse } from "node:http";
import type { BridgeControl } from "../runtime/bridgeControl.js";
import { localSiteClock, type SiteClock } from "./dayCurve.js";
import { EventStream } from "./eventStream.js";
import { BridgeMetrics, type MemoryProbe } from "./metrics.js";
import { EXPOSITION_CONTENT_TYPE } from "./promText.js";
import { STATUS_CSS, STATUS_SCRIPT } from "./statusAssets.js";
import { StatusBoard } from "./statusBoard.js";
import { statusMain, statusPage, type PageStyle } from "./statusPage.js";

export interface StatusSiteOptions {
  control: Pick<BridgeControl, "inverterStatuses" | "outputHealth" | "observe">;
  now: () => number;
  redact: (text: string) => string;
  /** The site's day and wall clock (default: the process's local time, see dayCurve.ts). */
  clock?: SiteClock;
  memory?: MemoryProbe;
  /** Status pages following the event stream at once (default 16). */
  maxClients?: number;
  /** Least time between two pushes to the pages (default 1 s): many inverters must not mean a push per reading. */
  pushGapMs?: number;
  /** A push at least this often (default 15 s): outputs' states change without a reading, and proxies want traffic. */
  refreshMs?: number;
}

const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * The health server's pages beyond /healthz and /readyz: `/metrics` (Prometheus text), `/` (the live status page),
 * its script and stylesheet, and `/events` (server-sent events that keep open pages current). Watches the bridge
 * from `start()` to `stop()`.
 */
export class StatusSite {
  private readonly metrics = new BridgeMetrics();
  private readonly board: StatusBoard;
  private readonly stream: EventStream;
  private readonly style: PageStyle;
  private unsubscribe: Array<() => void> = [];
  private pushTimer: NodeJS.Timeout | null = null;
  private refreshTimer: NodeJS.Timeout | null = null;
  private lastPushAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: StatusSiteOptions) {
    const clock = options.clock ?? localSiteClock;
    this.board = new StatusBoard(clock);
    // The refresh (the "ago" of open pages) runs only while a page listens: otherwise it would wake the process
    // every 15 s for nothing, as often as a poll at 2 s wakes it for the inverter and the broker together.
    this.stream = new EventStream(options.maxClients ?? 16, (count) => this.refreshWhile(count > 0));
    this.style = { clock, redact: options.redact, title: "kostal2mqtt" };
  }

  start(): void {
    const { control } = this.options;
    this.unsubscribe = [
      control.observe(this.metrics),
      control.observe(this.board),
      this.board.onChange(() => this.schedulePush()),
    ];
  }

  /** Whether the refresh timer runs (only while a page listens). */
  get refreshing(): boolean {
    return this.refreshTimer !== null;
  }

  stop(): void {
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    this.unsubscribe = [];
    if (this.pushTimer !== null) clearTimeout(this.pushTimer);
    this.pushTimer = null;
    this.stream.closeAll();
  }

  private refreshWhile(listening: boolean): void {
    if (listening && this.refreshTimer === null) {
      this.refreshTimer = setInterval(() => this.schedulePush(), this.options.refreshMs ?? 15_000);
      this.refreshTimer.unref();
    } else if (!listening && this.refreshTimer !== null) {
      clearInterval(this.refreshTimer);
      this.refreshTimer = null;
    }
  }

  /** Answers `path` if it is one of this site's; false otherwise. */
  answer(path: string, request: IncomingMessage, response: ServerResponse): boolean {
    const { control, now } = this.options;
    if (path === "/") {
      const page = statusPage(this.board.view(control, now()), this.style);
      send(response, "text/html; charset=utf-8", page, {
        "content-security-policy": CONTENT_SECURITY_POLICY,
      });
    } else if (path === "/status.js") {
      send(response, "text/javascript; charset=utf-8", STATUS_SCRIPT);
    } else if (path === "/status.css") {
      send(response, "text/css; charset=utf-8", STATUS_CSS);
    } else if (path === "/metrics") {
      const memory = this.options.memory ?? (() => process.memoryUsage());
      send(
        response,
        EXPOSITION_CONTENT_TYPE,
        this.options.redact(this.metrics.render(control, now(), memory)),
      );
    } else if (path === "/favicon.ico") {
      // Browsers ask for it; an empty answer keeps a 404 out of their consoles.
      response.writeHead(204, { "cache-control": "max-age=86400" });
      response.end();
    } else if (path === "/events") {
      this.stream.open(request, response, { event: "status", data: this.mainJson() });
    } else {
      return false;
    }
    return true;
  }

  /** Coalesces changes: at most one push per `pushGapMs`, and none while no page listens. */
  private schedulePush(): void {
    if (this.pushTimer !== null || this.stream.size === 0) return;
    const waitMs = Math.max(0, this.lastPushAt + (this.options.pushGapMs ?? 1000) - performance.now());
    this.pushTimer = setTimeout(() => {
      this.pushTimer = null;
      this.lastPushAt = performance.now();
      this.stream.broadcast("status", this.mainJson());
    }, waitMs);
    this.pushTimer.unref();
  }

  private mainJson(): string {
    const { control, now } = this.options;
    return JSON.stringify(statusMain(this.board.view(control, now()), this.style));
  }
}

function send(
  response: ServerResponse,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  response.writeHead(200, {
    "content-type": type,
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    ...headers,
  });
  response.end(body);
}
