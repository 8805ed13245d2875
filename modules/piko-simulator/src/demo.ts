import { parseArgs } from "node:util";
import { statusPageUrl } from "../../kostal2mqtt/src/piko/inverterAddress.js";
import { realTimers } from "../../kostal2mqtt/src/lib/timers.js";
import { createLogger } from "../../kostal2mqtt/src/log/logger.js";
import { InverterClient } from "../../kostal2mqtt/src/piko/inverterClient.js";
import { InverterLoop } from "../../kostal2mqtt/src/runtime/inverterLoop.js";
import { serialiseReading } from "../../kostal2mqtt/src/reading/serialise.js";
import { simulateCommand } from "./simulateCommand.js";

/**
 * `npm run demo`: the whole job against the built-in simulator, no hardware needed. A simulated PIKO 10.1 runs on
 * 127.0.0.1 with its clock 60 times faster than real time (starting at 09:00), and kostal2mqtt polls it every 2 s,
 * printing each reading as one JSON line. Ctrl-C stops it; `--duration S` stops it after S seconds.
 * It lives with the simulator, not in the product, so that the product build (and the image) holds no simulator.
 */
const { values } = parseArgs({
  options: { duration: { type: "string" }, speed: { type: "string", default: "60" } },
});

const stdout = (line: string) => process.stdout.write(`${line}\n`);
const stderr = (line: string) => process.stderr.write(`${line}\n`);

const simulator = await simulateCommand(
  ["--port", "0", "--model", "10.1", "--speed", values.speed, "--start", "09:00"],
  (line: string) => stderr(`[simulator] ${line}`),
);
const client = new InverterClient({
  id: "demo",
  url: statusPageUrl(simulator.url),
  credentials: { username: "pvserver", password: "pvwr" },
});
const loop = new InverterLoop({
  id: "demo",
  source: client,
  pollIntervalMs: 2000,
  listener: {
    stateChanged: () => undefined,
    readingArrived: (_id, { reading, warnings }) => {
      for (const warning of warnings) stderr(`[kostal2mqtt] warning: ${warning}`);
      stdout(serialiseReading(reading));
    },
    pollFailed: (_id, error) =>
      stderr(`[kostal2mqtt] ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`),
  },
  now: Date.now,
  timers: realTimers,
  log: createLogger({ level: "info", write: (line) => stderr(`[kostal2mqtt] ${line}`) }),
});
stderr(`[kostal2mqtt] polling ${simulator.url} every 2 s; Ctrl-C to stop`);
loop.start();

const stop = async () => {
  loop.stop();
  await simulator.stop();
};
const duration = Number(values.duration ?? Number.NaN);
if (Number.isFinite(duration)) setTimeout(() => void stop(), duration * 1000);
process.once("SIGINT", () => void stop());
process.once("SIGTERM", () => void stop());
