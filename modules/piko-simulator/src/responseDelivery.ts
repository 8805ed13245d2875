import type { ServerResponse } from "node:http";
import type { Fault } from "./faults.js";

/**
 * Sends an answer the way a fault says: intact, late, dripping, replaced, cut off, reset or not at all. Timers are
 * kept in a TimerSet so that `stop()` can cancel every pending delivery; each is also cancelled when its client
 * goes away.
 */

export interface PlannedResponse {
  status: number;
  headers: Readonly<Record<string, string>>;
  body: Buffer;
  /**
   * Sent as the dxs API's web server sends it (piko.md): an `HTTP/1.0` status line, no Content-Length, the
   * connection closed after the body. Written to the socket directly: Node's server always speaks HTTP/1.1.
   */
  http10?: true;
}

/** The timers of pending deliveries, cancelled together on stop. */
export class TimerSet {
  private readonly timers = new Set<NodeJS.Timeout>();

  after(ms: number, run: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  every(ms: number, run: () => void): NodeJS.Timeout {
    const timer = setInterval(run, ms);
    this.timers.add(timer);
    return timer;
  }

  cancel(timer: NodeJS.Timeout): void {
    clearTimeout(timer);
    this.timers.delete(timer);
  }

  clear(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  get size(): number {
    return this.timers.size;
  }
}

export const TEXT_HTML = "text/html";

/** A small HTML answer for errors, in the style of an embedded web server. */
export function errorResponse(
  status: number,
  reason: string,
  headers: Record<string, string> = {},
): PlannedResponse {
  const body = Buffer.from(
    `<html><head><title>${status} ${reason}</title></head><body><h1>${status} ${reason}</h1></body></html>\r\n`,
    "latin1",
  );
  return { status, headers: { "Content-Type": TEXT_HTML, ...headers }, body };
}

function withLength(planned: PlannedResponse): Record<string, string> {
  return { ...planned.headers, "Content-Length": String(planned.body.length) };
}

const REASONS: Readonly<Record<number, string>> = { 200: "OK" };

/** Starts an HTTP/1.0 answer on the raw socket; the body follows, and closing the socket ends it. */
function writeHttp10Head(res: ServerResponse, planned: PlannedResponse): void {
  const lines = [`HTTP/1.0 ${planned.status} ${REASONS[planned.status] ?? "Error"}`];
  for (const [name, value] of Object.entries(planned.headers)) lines.push(`${name}: ${value}`);
  res.socket?.write(`${lines.join("\r\n")}\r\n\r\n`);
}

function send(res: ServerResponse, planned: PlannedResponse): void {
  if (planned.http10) {
    writeHttp10Head(res, planned);
    res.socket?.end(planned.body);
    return;
  }
  res.writeHead(planned.status, withLength(planned)).end(planned.body);
}

/** Starts an answer whose body is written in parts: the head, then `write`, then `end` or a cut connection. */
function startBody(
  res: ServerResponse,
  planned: PlannedResponse,
): { write(b: Buffer): void; end(b: Buffer): void } {
  if (planned.http10) {
    writeHttp10Head(res, planned);
    return { write: (b) => res.socket?.write(b), end: (b) => res.socket?.end(b) };
  }
  res.writeHead(planned.status, withLength(planned));
  res.flushHeaders();
  return { write: (b) => res.write(b), end: (b) => res.end(b) };
}

export interface DeliveryContext {
  readonly timers: TimerSet;
  /** Random bytes for a garbage answer. */
  garbage(length: number): Buffer;
  /** The answer a `status` fault sends (with the challenge header when it is 401). */
  statusResponse(status: number): PlannedResponse;
}

/** Delivers `planned` through `fault` (null: as planned). */
export function deliver(
  res: ServerResponse,
  planned: PlannedResponse,
  fault: Fault | null,
  context: DeliveryContext,
): void {
  const { timers } = context;
  const owned: NodeJS.Timeout[] = [];
  res.once("close", () => owned.forEach((timer) => timers.cancel(timer)));
  switch (fault?.kind) {
    case undefined:
    case "total": // The page itself carries this fault (see PikoSimulator): it is sent as it is.
      return send(res, planned);
    case "slow":
      owned.push(timers.after(fault.delayMs, () => send(res, planned)));
      return;
    case "drip": {
      const chunkBytes = fault.chunkBytes ?? 64;
      const body = startBody(res, planned);
      let sent = 0;
      const timer = timers.every(fault.intervalMs ?? 100, () => {
        const chunk = planned.body.subarray(sent, sent + chunkBytes);
        sent += chunk.length;
        if (sent < planned.body.length) {
          body.write(chunk);
          return;
        }
        timers.cancel(timer);
        body.end(chunk);
      });
      owned.push(timer);
      return;
    }
    case "status":
      return send(res, context.statusResponse(fault.status));
    case "garbage":
      return send(res, {
        status: 200,
        headers: planned.http10 ? planned.headers : { "Content-Type": TEXT_HTML },
        body: context.garbage(fault.bytes ?? 2048),
        ...(planned.http10 && { http10: true as const }),
      });
    case "truncated": {
      // The connection closes halfway through the body: an HTTP/1.1 answer has promised the whole (its length),
      // an HTTP/1.0 one without a length just ends early.
      const half = planned.body.subarray(0, Math.floor(planned.body.length / 2));
      if (planned.http10) return send(res, { ...planned, body: half });
      res.writeHead(planned.status, withLength(planned));
      res.write(half, () => res.socket?.destroy());
      return;
    }
    case "reset":
      res.socket?.resetAndDestroy();
      return;
    case "silent":
      return;
  }
}
