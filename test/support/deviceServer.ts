import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

/**
 * A tiny web server on 127.0.0.1 (ephemeral port) that answers the way the newer PIKO's does (piko.md,
 * "dxs.json"): an `HTTP/1.0` status line, no Content-Length, the body, then the connection closed. Written on
 * raw sockets, so nothing adds a length or keeps the connection alive. It counts the exchanges open at once
 * (from a request until its answer is sent).
 */

export interface DeviceAnswer {
  status?: number;
  contentType?: string;
  body: string | Buffer;
  /** Milliseconds before the answer starts. */
  delayMs?: number;
}

/** What to answer to a request path (with its query); `null`: leave the request hanging. */
export type DeviceHandler = (path: string) => DeviceAnswer | null;

export interface DeviceServer {
  url: string;
  /** Request paths with their queries, in arrival order. */
  paths: string[];
  /** The most exchanges that were open at the same time. */
  maxOpen: number;
  setHandler(handler: DeviceHandler): void;
  close(): Promise<void>;
}

export async function startDeviceServer(handler: DeviceHandler): Promise<DeviceServer> {
  const sockets = new Set<Socket>();
  let open = 0;
  const state: DeviceServer = {
    url: "",
    paths: [],
    maxOpen: 0,
    setHandler: (next) => (current = next),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  let current = handler;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    let head = "";
    socket.on("data", (chunk: Buffer) => {
      if (head.includes("\r\n\r\n")) return;
      head += chunk.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      const path = head.split(" ", 2)[1] ?? "/";
      state.paths.push(path);
      // An exchange is open from its request until its whole answer is sent (or the client gives up).
      open += 1;
      state.maxOpen = Math.max(state.maxOpen, open);
      let closed = false;
      const done = () => {
        if (!closed) open -= 1;
        closed = true;
      };
      socket.once("close", done);
      const answer = current(path);
      if (answer === null) return;
      const send = () => {
        const status = answer.status ?? 200;
        const type = answer.contentType ?? "text/plain";
        socket.write(
          `HTTP/1.0 ${status} ${status === 200 ? "OK" : "Error"}\r\nContent-Type: ${type}\r\n\r\n`,
        );
        socket.end(answer.body, done);
      };
      if (answer.delayMs === undefined) send();
      else setTimeout(send, answer.delayMs);
    });
    socket.on("error", () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}
