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

function send(res: ServerResponse, planned: PlannedResponse): void {
  res.writeHead(planned.status, withLength(planned)).end(planned.body);
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
      res.writeHead(planned.status, withLength(planned));
      res.flushHeaders();
      let sent = 0;
      const timer = timers.every(fault.intervalMs ?? 100, () => {
        const chunk = planned.body.subarray(sent, sent + chunkBytes);
        sent += chunk.length;
        if (sent < planned.body.length) {
          res.write(chunk);
          return;
        }
        timers.cancel(timer);
        res.end(chunk);
      });
      owned.push(timer);
      return;
    }
    case "status":
      return send(res, context.statusResponse(fault.status));
    case "garbage":
      return send(res, {
        status: 200,
        headers: { "Content-Type": TEXT_HTML },
        body: context.garbage(fault.bytes ?? 2048),
      });
    case "truncated": {
      // The header promises the whole answer; the connection then closes halfway through the body.
      res.writeHead(planned.status, withLength(planned));
      const half = planned.body.subarray(0, Math.floor(planned.body.length / 2));
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
