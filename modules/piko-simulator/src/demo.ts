import { createServer, type Server } from "node:net";
import { parseArgs } from "node:util";
import { Aedes } from "aedes";
import mqtt from "mqtt";
import { AcceleratedClock } from "./clock.js";
import { DemoBridge, freeLoopbackPort } from "./demoBridge.js";
import { bannerLines, DemoTally, demoReading, readingLine, summaryLines } from "./demoReport.js";
import { PikoSimulator } from "./server.js";
import { parseStartTime } from "./simulateCommand.js";

/**
 * `npm run demo`: the whole pipeline on a bare machine, no Docker, no Azure. A simulated PIKO 10.1 whose clock runs
 * `--speed` times faster from 09:00 site time (whatever the hour, so the sun is up), an MQTT broker (aedes) on
 * 127.0.0.1, and the product bridge (`kostal2mqtt run`, a child process configured by environment variables, as
 * users run it) publishing to it with its status page on. The demo subscribes to the readings and prints one line
 * each, then a summary when stopped (Ctrl-C, SIGTERM or `--duration S`), and exits 0.
 * It lives with the simulator, not in the product, so that the product build (and the image) holds no simulator.
 */

const BASE_TOPIC = "KOSTAL";
const POLL_INTERVAL_SECONDS = 2;
const USAGE = "npm run demo -- [--duration S] [--speed X] [--mqtt-port N]";

const stdout = (line: string) => process.stdout.write(`${line}\n`);
const stderr = (line: string) => process.stderr.write(`${line}\n`);

function options(): { durationS: number | null; speed: number; mqttPort: number } {
  const { values } = parseArgs({
    options: {
      duration: { type: "string" },
      speed: { type: "string", default: "60" },
      "mqtt-port": { type: "string", default: "0" },
    },
  });
  const duration = values.duration === undefined ? null : Number(values.duration);
  const speed = Number(values.speed);
  const mqttPort = Number(values["mqtt-port"]);
  const problems = [
    duration !== null && !(duration > 0) && `--duration must be a number of seconds above 0`,
    !(speed > 0 && speed <= 10_000) && `--speed must be a number above 0 (60: an hour a minute)`,
    !(Number.isInteger(mqttPort) && mqttPort >= 0 && mqttPort <= 65535) && `--mqtt-port must be 0-65535`,
  ].filter((p): p is string => typeof p === "string");
  if (problems.length > 0) throw new Error(`${problems.join("; ")}. Usage: ${USAGE}`);
  return { durationS: duration, speed, mqttPort };
}

async function startBroker(port: number): Promise<{ server: Server; broker: Aedes; port: number }> {
  const broker = await Aedes.createBroker();
  const server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", resolve);
  });
  return { server, broker, port: (server.address() as { port: number }).port };
}

async function demo(): Promise<number> {
  const settings = options();
  const startedAt = performance.now();
  const clock = new AcceleratedClock({
    speed: settings.speed,
    startMs: parseStartTime("09:00", Date.now())!,
  });
  const simulator = new PikoSimulator({ model: "10.1", clock });
  const simulatorUrl = await simulator.start(0, "127.0.0.1");
  const broker = await startBroker(settings.mqttPort);

  const tally = new DemoTally();
  let bridgeState = "never said";
  const outputs = new OutputStates();
  const watcher = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, {
    clientId: "kostal2mqtt-demo-watcher",
  });
  watcher.on("message", (topic, payload) => {
    if (topic === `${BASE_TOPIC}/bridge/state`) {
      bridgeState = payload.toString("utf8");
      return;
    }
    outputs.refresh();
    const reading = demoReading(payload.toString("utf8"));
    if (reading === null) return;
    const siteMs = clock.now();
    tally.add(reading, siteMs);
    stdout(readingLine(reading, siteMs));
  });
  await watcher.subscribeAsync([`${BASE_TOPIC}/+/state`, `${BASE_TOPIC}/bridge/state`], { qos: 1 });

  const bridge = DemoBridge.start({
    inverterUrl: simulatorUrl,
    brokerPort: broker.port,
    baseTopic: BASE_TOPIC,
    healthPort: await freeLoopbackPort(),
    pollIntervalSeconds: POLL_INTERVAL_SECONDS,
    log: (line) => stderr(`[kostal2mqtt] ${line}`),
  });
  const statusPageUrl = await bridge.statusPage(10_000);
  outputs.url = statusPageUrl;
  for (const line of bannerLines({
    simulatorUrl,
    speed: settings.speed,
    brokerPort: broker.port,
    baseTopic: BASE_TOPIC,
    statusPageUrl,
  }))
    stdout(line);

  const stopSignal = await untilStopped(settings.durationS, bridge.exited);
  // What the outputs were while the demo ran: an answer from the bridge while it stops would say "stopped".
  outputs.freeze();
  const bridgeExit = await bridge.stop(stopSignal === "SIGINT" ? 2000 : 0);
  await watcher.endAsync();
  await new Promise<void>((resolve) => broker.server.close(() => resolve()));
  await new Promise<void>((resolve) => broker.broker.close(() => resolve()));
  await simulator.stop();
  const uptimeMs = performance.now() - startedAt;
  for (const line of summaryLines({ tally, uptimeMs, outputs: outputs.last, bridgeExit, bridgeState }))
    stdout(line);
  return stopSignal === "bridge-exited" ? 1 : 0;
}

/** Resolves with what ended the demo: a signal, the duration, or the bridge ending on its own (a failure). */
function untilStopped(
  durationS: number | null,
  bridgeExited: Promise<string>,
): Promise<NodeJS.Signals | "duration" | "bridge-exited"> {
  return new Promise((resolve) => {
    const timer = durationS === null ? undefined : setTimeout(() => stop("duration"), durationS * 1000);
    const onSignal = (signal: NodeJS.Signals) => stop(signal);
    let stopping = false;
    const stop = (reason: NodeJS.Signals | "duration" | "bridge-exited") => {
      if (stopping) return;
      stopping = true;
      clearTimeout(timer);
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      // A second Ctrl-C during the stop is taken as impatience, not as a reason to cut the summary short.
      process.on("SIGINT", () => stderr("[demo] stopping already"));
      resolve(reason);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    void bridgeExited.then(() => stop("bridge-exited"));
  });
}

/**
 * Each output's state as the bridge's `/readyz` last said it. Asked again as readings come (at most one request at
 * a time), so the summary has it even after a Ctrl-C, which stops the bridge (and its status page) at once.
 */
class OutputStates {
  url: string | null = null;
  last: Record<string, string> | null = null;
  private asking = false;
  private failed = false;
  private frozen = false;

  /** No more asking, and an answer still under way is not taken. */
  freeze(): void {
    this.frozen = true;
  }

  refresh(): void {
    if (this.url === null || this.asking || this.frozen) return;
    this.asking = true;
    fetch(new URL("readyz", this.url), { signal: AbortSignal.timeout(2000) })
      .then((response) => response.json() as Promise<{ outputs?: Record<string, string> }>)
      .then((body) => {
        if (!this.frozen) this.last = body.outputs ?? this.last;
      })
      .catch((error: unknown) => {
        if (!this.failed) stderr(`[demo] the status page did not answer: ${String(error)}`);
        this.failed = true;
      })
      .finally(() => (this.asking = false));
  }
}

try {
  process.exitCode = await demo();
} catch (error) {
  // Bad arguments, or a port that cannot be had: say so; what was started must not keep the process alive.
  stderr(`demo: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(2);
}
