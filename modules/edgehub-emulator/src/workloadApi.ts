/**
 * The part of the IoT Edge workload API (aziot-edged, api-version 2018-06-28) that the SDK's
 * `ModuleClient.fromEnvironment` uses when there is no connection string (iot-edge.md "How ... connects" 2):
 *   GET  /trust-bundle                          -> {"certificate": PEM}
 *   POST /modules/{id}/genid/{gen}/sign         {"keyId":"primary","algo":"HMACSHA256","data":b64} -> {"digest": b64}
 * on a unix socket. Replies are JSON with `Content-Type: application/json`, as the SDK only parses those.
 */
import { unlink } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { ModuleIdentities } from "./moduleIdentities.js";
import { hmacSha256Base64 } from "./sharedAccessSignature.js";
import type { EmulatorLog } from "./tlsMqttServer.js";

const MAX_BODY_BYTES = 64 * 1024;
const SIGN_PATH = /^\/modules\/([^/]+)\/genid\/([^/]+)\/sign$/;

interface Reply {
  status: number;
  body: unknown;
}

export class WorkloadApiServer {
  private server: Server | undefined;
  /** Requests answered, by outcome; lets a test prove the SDK went through the workload API. */
  readonly counts = { trustBundle: 0, sign: 0, refused: 0 };

  constructor(
    private readonly socketPath: string,
    private readonly identities: ModuleIdentities,
    private readonly trustBundle: () => string,
    private readonly log: EmulatorLog,
  ) {}

  get uri(): string {
    return `unix://${this.socketPath}`;
  }

  async start(): Promise<void> {
    await unlink(this.socketPath).catch(() => undefined); // a socket file left over by a crashed run
    const server = createServer((request, response) => this.handle(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.socketPath, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on("end", () => {
      const reply =
        size > MAX_BODY_BYTES
          ? { status: 413, body: { message: "request body too large" } }
          : this.route(request.method ?? "", request.url ?? "", Buffer.concat(chunks));
      if (reply.status >= 400) this.counts.refused++;
      response.writeHead(reply.status, { "Content-Type": "application/json" });
      response.end(JSON.stringify(reply.body));
    });
  }

  private route(method: string, rawUrl: string, body: Buffer): Reply {
    const url = new URL(rawUrl, "http://workload");
    if (url.searchParams.get("api-version") === null) {
      return { status: 400, body: { message: "api-version is required" } };
    }
    if (method === "GET" && url.pathname === "/trust-bundle") {
      this.counts.trustBundle++;
      return { status: 200, body: { certificate: this.trustBundle() } };
    }
    const sign = SIGN_PATH.exec(url.pathname);
    if (method === "POST" && sign?.[1] !== undefined && sign[2] !== undefined) {
      return this.sign(decodeURIComponent(sign[1]), decodeURIComponent(sign[2]), body);
    }
    return { status: 404, body: { message: `no route for ${method} ${url.pathname}` } };
  }

  private sign(moduleId: string, generationId: string, body: Buffer): Reply {
    const identity = this.identities.get(moduleId);
    if (identity === undefined || identity.generationId !== generationId) {
      this.log(
        "warn",
        `workload API: sign request for unknown module ${moduleId} (generation ${generationId})`,
      );
      return { status: 404, body: { message: `module not found: ${moduleId}` } };
    }
    let request: unknown;
    try {
      request = JSON.parse(body.toString("utf8"));
    } catch {
      return { status: 400, body: { message: "body is not JSON" } };
    }
    const { keyId, algo, data } = (request ?? {}) as Record<string, unknown>;
    if (keyId !== "primary" || algo !== "HMACSHA256" || typeof data !== "string") {
      return {
        status: 400,
        body: { message: 'expected {"keyId":"primary","algo":"HMACSHA256","data":base64}' },
      };
    }
    this.counts.sign++;
    this.log("debug", `workload API: signed a token for ${moduleId}`);
    return { status: 200, body: { digest: hmacSha256Base64(identity.key, Buffer.from(data, "base64")) } };
  }
}
