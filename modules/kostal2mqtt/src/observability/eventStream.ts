import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * Server-sent events to the status pages that are open: at most `maxClients` at once (each holds a socket and a
 * little memory; a Raspberry Pi must not be exhausted by forgotten browser tabs), every one closed at the stop so
 * that the process still exits at once on SIGTERM.
 */
export class EventStream {
  private readonly clients = new Set<ServerResponse>();

  /** @param onCount told the number of open streams whenever it changes */
  constructor(
    private readonly maxClients: number,
    private readonly onCount: (count: number) => void = () => undefined,
  ) {}

  get size(): number {
    return this.clients.size;
  }

  /** Answers a request for the stream with `first` as its first event, or 503 when the bound is reached. */
  open(request: IncomingMessage, response: ServerResponse, first: { event: string; data: string }): void {
    if (this.clients.size >= this.maxClients) {
      response.writeHead(503, { "content-type": "text/plain; charset=utf-8", "retry-after": "60" });
      response.end(`at most ${this.maxClients} status pages can follow the bridge at once; close one\n`);
      return;
    }
    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    });
    if (request.method === "HEAD") {
      response.end();
      return;
    }
    this.clients.add(response);
    this.onCount(this.clients.size);
    response.on("close", () => {
      if (this.clients.delete(response)) this.onCount(this.clients.size);
    });
    // The browser reconnects by itself after 5 s should the connection drop (a restart of the bridge).
    response.write("retry: 5000\n\n");
    this.sendTo(response, first.event, first.data);
  }

  /** `data` must be one line (JSON is). */
  broadcast(event: string, data: string): void {
    for (const client of this.clients) this.sendTo(client, event, data);
  }

  closeAll(): void {
    const open = this.clients.size;
    for (const client of this.clients) client.end();
    this.clients.clear();
    if (open > 0) this.onCount(0);
  }

  private sendTo(client: ServerResponse, event: string, data: string): void {
    client.write(`event: ${event}\ndata: ${data}\n\n`);
  }
}
