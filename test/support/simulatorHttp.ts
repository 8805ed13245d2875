import { once } from "node:events";
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { ManualClock } from "../../modules/piko-simulator/src/clock.js";
import {
  PikoSimulator,
  type ExchangeInfo,
  type PikoSimulatorOptions,
} from "../../modules/piko-simulator/src/server.js";
import { NOON } from "./simulatedTime.js";

/** Client helpers for the simulator's HTTP tests: one request per connection, a simulator per test. */

export { NIGHT, NOON } from "./simulatedTime.js";

/** A hung exchange fails its test instead of hanging the run (node:test has no default timeout). */
export const LIMIT = { timeout: 10_000 };
export const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
export const GOOD = basic("pvserver", "pvwr");

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Whether the whole body (as declared) arrived. */
  complete: boolean;
  /** `data` events: how many pieces the body came in. */
  pieces: number;
  /** ms from sending the request to the response head, and to the end. */
  headMs: number;
  endMs: number;
}

export interface Options {
  path?: string;
  authorization?: string | null;
  method?: string;
  signal?: AbortSignal;
}

/** One request on its own connection; resolves with the answer, rejects with the network error. */
export function fetchRaw(
  base: string,
  { path = "/index.fhtml", authorization = GOOD, method = "GET", signal }: Options = {},
) {
  return new Promise<Answer>((resolve, reject) => {
    const started = performance.now();
    const headers = authorization === null ? {} : { authorization };
    const req = httpRequest(new URL(path, base), {
      method,
      headers,
      agent: false,
      ...(signal && { signal }),
    });
    req.on("error", reject);
    req.on("response", (res) => {
      const headMs = performance.now() - started;
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", () => {}); // an answer cut short also ends in close, with complete = false
      res.on("close", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks),
          complete: res.complete,
          pieces: chunks.length,
          headMs,
          endMs: performance.now() - started,
        }),
      );
    });
    req.end();
  });
}

/** A simulator on a manual clock at midsummer noon, handed to `run` with its URL and the clock; stopped after. */
export async function withSimulator(
  options: Omit<PikoSimulatorOptions, "clock">,
  run: (sim: PikoSimulator, url: string, clock: ManualClock) => Promise<void>,
): Promise<void> {
  const clock = new ManualClock(NOON);
  const sim = new PikoSimulator({ ...options, clock });
  const url = await sim.start();
  try {
    await run(sim, url, clock);
  } finally {
    await sim.stop();
  }
}

/** Resolves with the next exchange the simulator takes up. */
export const nextExchange = (sim: PikoSimulator) => once(sim, "exchange") as Promise<[ExchangeInfo]>;
