import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { closeServer, listenOrSay, serverOrigin } from "../lib/localServer.js";
import type { Logger } from "../log/logger.js";
import type { BridgeControl } from "../runtime/bridgeControl.js";
import type { SiteClock } from "./dayCurve.js";
import type { MemoryProbe } from "./metrics.js";
import { readiness } from "./readiness.js";
import { StatusSite } from "./statusSite.js";

export interface HealthServerOptions {
  port: number;
  bind: string;
  /** The running bridge, read (never changed) on every request, and watched for /metrics and the status page. */
  control: Pick<BridgeControl, "inverterStatuses" | "outputHealth" | "pollIntervalMs" | "observe">;
  now: () => number;
  log: Logger;
  /** Removes secrets from anything the server answers with (inverter and output messages). */
  redact: (text: string) => string;
  /** The status page's day and wall clock; the process's local time by default. */
  clock?: SiteClock;
  /** The process's memory for /metrics; process.memoryUsage() by default. */
  memory?: MemoryProbe;
  /** Least time between two pushes to open status pages (ms; default 1000). */
  pushGapMs?: number;
}

/**
 * `/healthz` (the process is alive and its event loop answers) and `/readyz` (the job is being done, see
 * readiness.ts), for container health checks and orchestrators; `/metrics` and the live status page `/`
 * (statusSite.ts). A port that cannot be had is this server's fault alone: it is logged and the bridge goes on
 * without it.
 */
export class HealthServer {
  private server: Server | null = null;
  private readonly startedAt: number;
  private readonly site: StatusSite;

  constructor(private readonly options: HealthServerOptions) {
    this.startedAt = options.now();
    const { control, now, redact, clock, memory, pushGapMs } = options;
    this.site = new StatusSite({ control, now, redact, clock, memory, pushGapMs });
  }

  /** The port actually listened on (useful with port numbers chosen by the system), or null. */
  get port(): number | null {
    const address = this.server?.address();
    return typeof address === "object" && address !== null ? address.port : null;
  }

  /** Whether the status page's refresh timer runs: only while a page follows the bridge (`/events`). */
  get refreshing(): boolean {
    return this.site.refreshing;
  }

  async start(): Promise<void> {
    const { port, bind, log } = this.options;
    const server = createServer((request, response) => this.answer(request, response));
    // Health probes open a connection per check; none may hold the process open at stop.
    server.keepAliveTimeout = 1000;
    server.requestTimeout = 5000;
    if (!(await listenOrSay(server, port, bind, "health server", log))) return;
    this.server = server;
    this.site.start();
    log.info(
      `health server on ${serverOrigin(bind, this.port)}/healthz and /readyz; status page /, metrics /metrics`,
    );
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server === null) return;
    this.site.stop();
    await closeServer(server);
  }

  private answer(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method !== "GET" && request.method !== "HEAD") {
      this.send(response, 405, { error: "only GET and HEAD" }, { allow: "GET, HEAD" });
      return;
    }
    if (path === "/healthz") {
      const uptimeSeconds = Math.round((this.options.now() - this.startedAt) / 1000);
      this.send(response, 200, { status: "alive", uptime_s: uptimeSeconds });
    } else if (path === "/readyz") {
      const { control, now } = this.options;
      const verdict = readiness({
        inverters: control.inverterStatuses(),
        outputs: control.outputHealth(),
        pollIntervalMs: control.pollIntervalMs,
        now: now(),
      });
      this.send(response, verdict.ready ? 200 : 503, verdict);
    } else if (!this.site.answer(path ?? "/", request, response)) {
      this.send(response, 404, { error: "not found; try /, /metrics, /healthz or /readyz" });
    }
  }

  private send(
    response: ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string> = {},
  ): void {
    const text = this.options.redact(JSON.stringify(body));
    response.writeHead(status, {
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-store",
      ...headers,
    });
    response.end(text);
  }
}
