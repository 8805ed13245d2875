import { Agent, get } from "node:http";
import { connect, type Socket } from "node:net";
import { pathToFileURL } from "node:url";
import { statusPageUrl } from "../modules/kostal2mqtt/src/piko/inverterAddress.js";

/**
 * The product's modules, imported by the layers that use them on their first poll only: the `timer`, `http` and
 * `floor` processes must not carry node-fetch or the parser in their memory figures.
 */
const product = {
  client: () => import("../modules/kostal2mqtt/src/piko/inverterClient.js"),
  fetcher: () => import("../modules/kostal2mqtt/src/piko/pageFetcher.js"),
  agent: () => import("../modules/kostal2mqtt/src/piko/inverterAgent.js"),
  parser: () => import("../modules/kostal2mqtt/src/piko/statusPage.js"),
  reading: () => import("../modules/kostal2mqtt/src/reading/reading.js"),
  serialise: () => import("../modules/kostal2mqtt/src/reading/serialise.js"),
};

/**
 * The reference rows of the `cycle` section: a child process that polls like kostal2mqtt does (chained
 * setTimeout, one kept-alive socket), one layer of the real work at a time, so that the CPU of the real process
 * can be set against what Node itself costs on this machine at the same interval:
 *
 *   timer   a setTimeout chain and one stdout line per cycle: the floor of any Node process waking that often
 *   http        + GET of the status page with node:http (Basic auth, latin1): the floor of polling over HTTP
 *   http-parse  + parseStatusPage, toReading and the reading as a JSON line: the whole poll without node-fetch
 *   node-fetch  node-fetch's GET alone, as its README shows it (`fetch(url, options)`, `arrayBuffer()`): what the
 *               product's wrapper below adds is the difference to `fetch`
 *   fetch       fetchStatusPage (node-fetch, timeout, AbortController, size cap) instead of node:http, no parse
 *   client      InverterClient.read (fetch + parse + reading) and the reading as a JSON line, as the console output
 *   floor       the floor of the issue: node:http GET, one indexOf on the page and a raw MQTT 3.1.1 QoS 0 PUBLISH
 *               (hand-made packets on one net.Socket) to the broker named by FLOOR_MQTT_PORT, FLOOR_MQTT_USERNAME,
 *               FLOOR_MQTT_PASSWORD (127.0.0.1); what any Node bridge from a PIKO to MQTT costs at least
 *
 *   node dist/bench/pollLadder.js <layer> <inverter url> <interval ms>
 *
 * Runs until SIGTERM. One line on stdout per completed cycle, `{"cycle":n,...}`. The farm section uses the same
 * pollers in its reference row (`ladderPoller`).
 */

export const LADDER_LAYERS = [
  "timer",
  "http",
  "http-parse",
  "node-fetch",
  "fetch",
  "client",
  "floor",
] as const;
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

function mqttString(text: string): Buffer {
  const bytes = Buffer.from(text, "utf8");
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function mqttPacket(first: number, body: Buffer): Buffer {
  const length: number[] = [];
  let rest = body.length;
  do {
    let byte = rest % 128;
    rest = Math.floor(rest / 128);
    if (rest > 0) byte |= 0x80;
    length.push(byte);
  } while (rest > 0);
  return Buffer.concat([Buffer.from([first, ...length]), body]);
}

/** A raw MQTT 3.1.1 connection (clean session, no keepalive) that sends QoS 0 PUBLISH packets. */
function rawMqtt(): (topic: string, payload: string) => void {
  const port = Number(process.env.FLOOR_MQTT_PORT);
  if (!Number.isInteger(port) || port <= 0) throw new Error("the floor layer needs FLOOR_MQTT_PORT");
  const username = process.env.FLOOR_MQTT_USERNAME ?? "";
  const password = process.env.FLOOR_MQTT_PASSWORD ?? "";
  const socket: Socket = connect({ host: "127.0.0.1", port });
  socket.on("error", (error) => process.stderr.write(`mqtt: ${error.message}\n`));
  socket.on("data", () => {}); // CONNACK; QoS 0 has no other answer
  const connectBody = Buffer.concat([
    mqttString("MQTT"),
    Buffer.from([4, 0xc2, 0, 0]), // level 4, username + password + clean session, keepalive 0
    mqttString(`floor-${process.pid}`),
    mqttString(username),
    mqttString(password),
  ]);
  socket.write(mqttPacket(0x10, connectBody));
  return (topic, payload) => {
    socket.write(mqttPacket(0x30, Buffer.concat([mqttString(topic), Buffer.from(payload, "utf8")])));
  };
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
        const [{ parseStatusPage }, { toReading }, { serialiseReading }] = await Promise.all([
          product.parser(),
          product.reading(),
          product.serialise(),
        ]);
        const reading = toReading(parseStatusPage(await poll()), "ladder", Date.now());
        return `,"reading":${serialiseReading(reading)}`;
      };
    }
    case "node-fetch": {
      const agent = new Agent({ keepAlive: true, maxSockets: 1, maxFreeSockets: 1 });
      const authorization = `Basic ${Buffer.from(`${CREDENTIALS.username}:${CREDENTIALS.password}`).toString("base64")}`;
      return async () => {
        const { default: fetch } = await import("node-fetch");
        const response = await fetch(url, { agent, headers: { authorization, accept: "text/html" } });
        return `,"chars":${Buffer.from(await response.arrayBuffer()).toString("latin1").length}`;
      };
    }
    case "fetch": {
      let agent: import("../modules/kostal2mqtt/src/piko/inverterAgent.js").InverterAgent | null = null;
      return async () => {
        const [{ fetchStatusPage }, { deviceAgent }] = await Promise.all([
          product.fetcher(),
          product.agent(),
        ]);
        agent ??= deviceAgent(); // the device's agent, as InverterClient has it
        return `,"chars":${(await fetchStatusPage(url, CREDENTIALS, { agent })).html.length}`;
      };
    }
    case "client": {
      let client: import("../modules/kostal2mqtt/src/piko/inverterClient.js").InverterClient | null = null;
      return async () => {
        const [{ InverterClient }, { serialiseReading }] = await Promise.all([
          product.client(),
          product.serialise(),
        ]);
        client ??= new InverterClient({ id: "ladder", url, credentials: CREDENTIALS });
        return `,"reading":${serialiseReading((await client.read()).reading)}`;
      };
    }
    case "floor": {
      const poll = httpPoller(url);
      const publish = rawMqtt();
      return async () => {
        const page = await poll();
        const at = page.indexOf("aktuell");
        publish("KOSTAL/floor/state", `{"at":${at},"ts":${Date.now()}}`);
        return `,"at":${at}`;
      };
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
