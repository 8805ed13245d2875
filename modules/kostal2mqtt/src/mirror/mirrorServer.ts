import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { MIRROR_LIMITS } from "../config/defaults.js";
import { closeServer, listenOrSay, serverOrigin } from "../lib/localServer.js";
import type { Logger } from "../log/logger.js";
import { DXS_PATH } from "../piko/dxs/dxsRequests.js";
import { parseDxsQuery, writeDxsAnswer } from "../piko/dxs/dxsWriter.js";
import { writeStatusPage } from "../piko/statusPageWriter.js";
import type { Reading } from "../reading/reading.js";
import type { ReadingCache } from "../runtime/bridgeControl.js";
import { basicCredentials, sameCredentials, type Credentials } from "./basicAuth.js";

export interface MirrorServerOptions {
  inverter: string;
  port: number;
  bind: string;
  /** The inverter's configured credentials, read on every request (they change live with the twin). */
  credentials: () => Credentials;
  cache: Pick<ReadingCache, "lastReading" | "pollIntervalMs">;
  now: () => number;
  log: Logger;
}

const STATUS_PAGE_PATHS = new Set(["/", "/index.fhtml"]);

/** An answer not written in the device's formats, with its status; the message is the body, in one line. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "Refusal";
  }
}

/**
 * One inverter's mirror: its last reading, as the bridge published it, served in the inverter's own formats on a
 * port of its own, so that tools written for the device (Home Assistant's Kostal integrations, evcc, ioBroker)
 * read kostal2mqtt instead and the inverter sees one poller. It never polls: before the first reading, or once the
 * last one is older than a few polls (asleep, unreachable), it answers 503 rather than pass old values off as
 * the present. Read-only: GET, and the old page's own POST form; 405 for anything else.
 *
 * As the device: `/api/dxs.json` needs no login; `/index.fhtml` (and `/`) asks for Basic auth with the inverter's
 * configured credentials, as does every other path before its 404. Answers are sent without Content-Length and
 * the connection is closed after the body (the device speaks HTTP/1.0; Node's server writes an HTTP/1.1 status
 * line, which every client reads the same).
 */
export class MirrorServer {
  private server: Server | null = null;

  constructor(private readonly options: MirrorServerOptions) {}

  /** The port actually listened on (with port 0, the one the system chose), or null when not listening. */
  get port(): number | null {
    const address = this.server?.address();
    return typeof address === "object" && address !== null ? address.port : null;
  }

  /** Listens; a port that cannot be had is logged and leaves this mirror off, never the bridge. */
  async start(): Promise<void> {
    const { port, bind, inverter, log } = this.options;
    const server = createServer(
      {
        maxHeaderSize: MIRROR_LIMITS.maxHeaderBytes,
        requestTimeout: MIRROR_LIMITS.requestTimeoutMs,
        headersTimeout: MIRROR_LIMITS.requestTimeoutMs,
      },
      (request, response) => this.answer(request, response),
    );
    server.maxConnections = MIRROR_LIMITS.maxConnections;
    server.on("clientError", (error, socket: Socket) => this.refuseMalformed(error, socket));
    if (!(await listenOrSay(server, port, bind, `mirror of ${inverter}`, log))) return;
    this.server = server;
    log.info(`mirror of ${inverter} on ${serverOrigin(bind, this.port)}/index.fhtml and ${DXS_PATH}`);
  }

  /** Closes the server and every connection it holds, at once. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    await closeServer(server);
  }

  private answer(request: IncomingMessage, response: ServerResponse): void {
    this.route(request)
      .then((body) => this.send(response, 200, body))
      .catch((error: unknown) => {
        const refusal =
          error instanceof Refusal ? error : new Refusal(500, "internal error: the answer could not be made");
        if (!(error instanceof Refusal)) this.options.log.error(`mirror of ${this.options.inverter}`, error);
        this.send(
          response,
          refusal.status,
          { text: `${refusal.message}\n`, type: "text/plain" },
          refusal.headers,
        );
      });
  }

  private async route(request: IncomingMessage): Promise<{ text: string; type: string; latin1?: true }> {
    const method = request.method ?? "";
    if (method !== "GET" && method !== "POST") {
      throw new Refusal(405, "read-only: GET (and the status page's POST form)", { allow: "GET, POST" });
    }
    const url = requestUrl(request.url);
    if (url.pathname === DXS_PATH) {
      if (method !== "GET") throw new Refusal(405, `${DXS_PATH} is read with GET`, { allow: "GET" });
      return {
        text: writeDxsAnswer(this.freshReading(), parseDxsQuery(url.searchParams)),
        type: "text/plain",
      };
    }
    const given = basicCredentials(request.headers.authorization);
    if (given === null || !sameCredentials(given, this.options.credentials())) {
      throw new Refusal(401, "authorisation required", { "www-authenticate": 'Basic realm="PIKO"' });
    }
    if (!STATUS_PAGE_PATHS.has(url.pathname)) throw new Refusal(404, "not found; try /index.fhtml");
    if (method === "POST") await this.checkFormAddress(request);
    return { text: writeStatusPage(this.freshReading()), type: "text/html", latin1: true };
  }

  /** The last published reading while it is the present, else a 503 that says why and when to ask again. */
  private freshReading(): Reading {
    const { cache, inverter, now } = this.options;
    const retryAfter = { "retry-after": String(Math.ceil(cache.pollIntervalMs / 1000)) };
    const reading = cache.lastReading(inverter);
    if (reading === null) throw new Refusal(503, `no reading of ${inverter} yet`, retryAfter);
    const ageMs = now() - reading.ts_ms;
    if (ageMs > MIRROR_LIMITS.staleAfterPolls * cache.pollIntervalMs) {
      throw new Refusal(
        503,
        `the last reading of ${inverter} is ${Math.round(ageMs / 1000)} s old`,
        retryAfter,
      );
    }
    return reading;
  }

  /**
   * The page's form posts `edWrNr`, the RS485 address of the inverter to show. Only this inverter's own address
   * is answered: the bus's other inverters are not polled, so there is nothing of theirs to show.
   */
  private async checkFormAddress(request: IncomingMessage): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MIRROR_LIMITS.maxBodyBytes) throw new Refusal(413, "the form is larger than the page's");
      chunks.push(chunk);
    }
    const asked = new URLSearchParams(Buffer.concat(chunks).toString("latin1")).get("edWrNr");
    const address = this.freshReading().rs485_address;
    if (asked !== null && asked.trim() !== String(address)) {
      throw new Refusal(404, `only the inverter at RS485 address ${address} is served here`);
    }
  }

  private send(
    response: ServerResponse,
    status: number,
    body: { text: string; type: string; latin1?: true },
    headers: Record<string, string> = {},
  ): void {
    if (response.headersSent) {
      response.destroy();
      return;
    }
    // As the device: no Content-Length, the end of the body is the end of the connection.
    response.useChunkedEncodingByDefault = false;
    response.writeHead(status, { "content-type": body.type, connection: "close", ...headers });
    response.end(Buffer.from(body.text, body.latin1 ? "latin1" : "utf8"));
  }

  /** A request Node cannot parse (bad request line, oversized head): 400 or 431, then the connection is closed. */
  private refuseMalformed(error: NodeJS.ErrnoException, socket: Socket): void {
    const status =
      error.code === "HPE_HEADER_OVERFLOW" ? "431 Request Header Fields Too Large" : "400 Bad Request";
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
    else socket.destroy();
  }
}

function requestUrl(target: string | undefined): URL {
  try {
    return new URL(target ?? "/", "http://mirror");
  } catch {
    throw new Refusal(400, "not a request target");
  }
}
