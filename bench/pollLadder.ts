import { Agent, get } from "node:http";
import { pathToFileURL } from "node:url";
import { statusPageUrl } from "../modules/kostal2mqtt/src/piko/inverterAddress.js";
import { InverterClient } from "../modules/kostal2mqtt/src/piko/inverterClient.js";
import { fetchStatusPage } from "../modules/kostal2mqtt/src/piko/pageFetcher.js";
import { parseStatusPage } from "../modules/kostal2mqtt/src/piko/statusPage.js";
import { toReading } from "../modules/kostal2mqtt/src/reading/reading.js";
import { serialiseReading } from "../modules/kostal2mqtt/src/reading/serialise.js";

/**
 * The reference rows of the `cycle` section: a child process that polls like kostal2mqtt does (chained
 * setTimeout, one kept-alive socket), one layer of the real work at a time, so that the CPU of the real process
 * can be set against what Node itself costs on this machine at the same interval:
 *
 *   timer   a setTimeout chain and one stdout line per cycle: the floor of any Node process waking that often
 *   http        + GET of the status page with node:http (Basic auth, latin1): the floor of polling over HTTP
 *   http-parse  + parseStatusPage, toReading and the reading as a JSON line: the whole poll without node-fetch
 *   fetch       fetchStatusPage (node-fetch, timeout, AbortController, size cap) instead of node:http, no parse
 *   client      InverterClient.read (fetch + parse + reading) and the reading as a JSON line, as the console output
 *
 *   node dist/bench/pollLadder.js <layer> <inverter url> <interval ms>
 *
 * Runs until SIGTERM. One line on stdout per completed cycle, `{"cycle":n,...}`. The farm section uses the same
 * pollers in its reference row (`ladderPoller`).
 */

export const LADDER_LAYERS = ["timer", "http", "http-parse", "fetch", "client"] as const;
export type LadderLayer = (typeof LADDER_LAYERS)[number];

const CREDENTIALS = { username: "pvserver", password: "pvwr" };

function httpPoller(url: URL): () => Promise<string> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1 });
  const authorization = `Basic ${Buffer.from(`${CREDENTIALS.username}:${CREDENTIALS.password}`).toString("base64")}`;
  return () =>
    new Promise((resolve, reject) => {
      const request = get(url, { agent, headers: { authorization, accept: "text/html" } }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => resolve(Buffer.concat(chunks).toString("latin1")));
        response.on("error", reject);
      });
      request.setTimeout(5000, () => request.destroy(new Error("timeout")));
      request.on("error", reject);
    });
}

/** One poll of `layer` against the inverter at `url`; resolves with what it adds to the output line. */
export function ladderPoller(layer: LadderLayer, url: URL): () => Promise<string> {
  switch (layer) {
    case "timer":
      return () => Promise.resolve("");
    case "http": {
      const poll = httpPoller(url);
      return async () => `,"chars":${(await poll()).length}`;
    }
    case "http-parse": {
      const poll = httpPoller(url);
      return async () => {
        const reading = toReading(parseStatusPage(await poll()), "ladder", Date.now());
        return `,"reading":${serialiseReading(reading)}`;
      };
    }
    case "fetch": {
      const agent = new Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1 });
      return async () => `,"chars":${(await fetchStatusPage(url, CREDENTIALS, { agent })).html.length}`;
    }
    case "client": {
      const client = new InverterClient({ id: "ladder", url, credentials: CREDENTIALS });
      return async () => `,"reading":${serialiseReading((await client.read()).reading)}`;
    }
  }
}

function main(args: readonly string[]): void {
  const [layer, address = "", interval = "2000"] = args;
  if (!LADDER_LAYERS.includes(layer as LadderLayer))
    throw new Error(`layer must be one of ${LADDER_LAYERS.join(", ")}`);
  const poll = ladderPoller(layer as LadderLayer, statusPageUrl(address));
  const intervalMs = Number(interval);
  let cycle = 0;
  let timer: NodeJS.Timeout | undefined;
  const once = async () => {
    const startedAt = Date.now();
    try {
      const extra = await poll();
      process.stdout.write(`{"cycle":${++cycle}${extra}}\n`);
    } catch (error) {
      process.stderr.write(`poll failed: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    timer = setTimeout(() => void once(), Math.max(0, intervalMs - (Date.now() - startedAt)));
  };
  timer = setTimeout(() => void once(), 0);
  process.once("SIGTERM", () => {
    clearTimeout(timer);
    process.exit(0);
  });
}

// Imported by cycleBench.ts (layer names) and farmChild.ts (pollers); runs only as the entry of a child process.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) main(process.argv.slice(2));
