import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { loadConfig } from "../modules/kostal2mqtt/src/config/loadConfig.js";
import { statusPageUrl } from "../modules/kostal2mqtt/src/piko/inverterAddress.js";
import { createLogger } from "../modules/kostal2mqtt/src/log/logger.js";
import type { Entry } from "../modules/kostal2mqtt/src/outputs/deliveryQueue.js";
import { MqttOutput, type MqttMessage } from "../modules/kostal2mqtt/src/outputs/mqtt/mqttOutput.js";
import type { BridgeEvent, Output } from "../modules/kostal2mqtt/src/ports/output.js";
import type { Reading } from "../modules/kostal2mqtt/src/reading/reading.js";
import type { InverterSettings } from "../modules/kostal2mqtt/src/config/bridgeSettings.js";
import { Bridge } from "../modules/kostal2mqtt/src/runtime/bridge.js";
import { StateFile } from "../modules/kostal2mqtt/src/lib/stateFile.js";
import { startFarm } from "../modules/piko-simulator/src/index.js";
import { median } from "./harness.js";
import { ladderPoller, type LadderLayer } from "./pollLadder.js";
import { daytimeClock, sleep } from "./processProbe.js";

/**
 * The two processes of the `farm` section, so that the bridge's CPU and memory are its own:
 *
 *   node dist/bench/farmChild.js farm <count>   simulated PIKOs on 127.0.0.1; prints {"urls":[...]}; until SIGTERM
 *   node dist/bench/farmChild.js bridge         reads a BridgeJob (JSON) on stdin; prints "window" at the start
 *                                               and end of the timed window, then one BridgeResult (JSON)
 *
 * The bridge is the real runtime (Bridge, InverterLoop, InverterClient, the logger at info on stderr) with a
 * counting output, or the real MqttOutput (with its persisted queue, as `run` has it) behind the count. With
 * `reference` set it is instead one chained loop per inverter around a pollLadder.ts poller (e.g. `http-parse`:
 * the same poll on node:http), to show what the runtime and its HTTP client add.
 */

export interface BridgeJob {
  urls: string[];
  intervalSeconds: number;
  warmupSeconds: number;
  measureSeconds: number;
  mqtt: { host: string; port: number; username: string; password: string } | null;
  reference: LadderLayer | null;
}

export interface BridgeResult {
  inverters: number;
  windowSeconds: number;
  readings: number;
  expected: number;
  cpuMs: number;
  /** Polls more than half an interval late: the gap between two readings of one inverter over 1.5 intervals. */
  latePolls: number;
  gapP50Ms: number;
  gapP99Ms: number;
  gapMaxMs: number;
  /** State changes into unreachable, auth_error or format_error during the window, and failing at its end. */
  errorEvents: number;
  failingAtEnd: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  rssSteadyMiB: number;
  rssPeakMiB: number;
  heapUsedMiB: number;
  /**
   * The MQTT output at the end, and over the window: messages the broker acknowledged in it, and messages that
   * entered the queue in it (acknowledged + the growth of the queue + dropped): their ratio is the delivered share.
   */
  mqtt: {
    delivered: number;
    queued: number;
    dropped: number;
    windowDelivered: number;
    windowQueued: number;
  } | null;
}

const FAILING = new Set(["unreachable", "auth_error", "format_error"]);
const MIB = 1024 * 1024;

/** Counts readings and the gaps between two readings of one inverter while `timing` is on. */
class CountingOutput implements Output {
  readonly name = "counting";
  timing = false;
  readings = 0;
  errorEvents = 0;
  readonly gaps: number[] = [];
  private readonly last = new Map<string, number>();

  start = () => Promise.resolve();
  stop = () => Promise.resolve();
  publishInverterStatus(): void {}
  health = () => ({
    state: "connected" as const,
    queued: 0,
    dropped: 0,
    delivered: this.readings,
    message: "",
  });

  publishReading(reading: Reading): void {
    this.record(reading.inverter);
  }

  record(inverter: string): void {
    const now = performance.now();
    const last = this.last.get(inverter);
    this.last.set(inverter, now);
    if (!this.timing) return;
    this.readings++;
    if (last !== undefined) this.gaps.push(now - last);
  }

  publishEvent(event: BridgeEvent): void {
    if (this.timing && event.type === "inverter_state" && FAILING.has(event.to ?? "")) this.errorEvents++;
  }
}

/** The reference: a chained loop per inverter (like InverterLoop) around a ladder poller; stop() ends them. */
function startReference(job: BridgeJob, layer: LadderLayer, counting: CountingOutput): { stop(): void } {
  let running = true;
  const timers = new Set<NodeJS.Timeout>();
  job.urls.forEach((url, i) => {
    const poll = ladderPoller(layer, statusPageUrl(url));
    const once = async () => {
      const startedAt = Date.now();
      try {
        await poll();
        counting.record(`farm${i + 1}`);
      } catch (error) {
        if (counting.timing) counting.errorEvents++;
        if (counting.errorEvents === 1) process.stderr.write(`reference poll failed: ${String(error)}\n`);
      }
      if (!running) return;
      const timer = setTimeout(
        () => {
          timers.delete(timer);
          void once();
        },
        Math.max(0, job.intervalSeconds * 1000 - (Date.now() - startedAt)),
      );
      timers.add(timer);
    };
    void once();
  });
  return {
    stop() {
      running = false;
      for (const timer of timers) clearTimeout(timer);
    },
  };
}

async function runBridge(job: BridgeJob): Promise<BridgeResult> {
  const log = createLogger({ level: "info", write: (line) => process.stderr.write(`${line}\n`) });
  const counting = new CountingOutput();
  const outputs: Output[] = [counting];
  const dataDir = mkdtempSync(join(tmpdir(), "k2m-farm-"));
  let mqtt: MqttOutput | null = null;
  if (job.mqtt !== null) {
    const { host, port, username, password } = job.mqtt;
    const config = loadConfig({
      MQTT_HOST: host,
      MQTT_PORT: String(port),
      MQTT_USERNAME: username,
      MQTT_PASSWORD: password,
      MQTT_CLIENT_ID: `bench-farm-${process.pid}`,
      KOSTAL_DATA_DIR: dataDir,
    });
    const file = new StateFile<Array<Entry<MqttMessage>>>(dataDir, "queue-mqtt.json", (m) => log.warn(m));
    mqtt = new MqttOutput(
      config.mqtt,
      log.child("mqtt"),
      { maxItems: 10_000, maxAgeMs: 24 * 3600_000 },
      {
        file,
        everyMs: 2000,
      },
    );
    outputs.push(mqtt);
  }
  const bridge = new Bridge({
    outputs,
    log: log.child("bridge"),
    limits: { timeoutMs: 5000, maxBytes: 256 * 1024 },
  });
  const inverters = new Map<string, InverterSettings>(
    job.urls.map((url, i) => [
      `farm${i + 1}`,
      { host: url, username: "pvserver", password: "pvwr", enabled: true },
    ]),
  );
  const reference = job.reference === null ? null : startReference(job, job.reference, counting);
  if (reference === null) {
    await bridge.start();
    // Bridge.apply takes any interval: the 2 s minimum is checked where settings come in (schema, twin).
    bridge.apply({ pollIntervalSeconds: job.intervalSeconds, inverters });
  }
  await sleep(job.warmupSeconds * 1000);

  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  const rss: Array<{ atMs: number; mib: number }> = [];
  const sampler = setInterval(
    () => rss.push({ atMs: performance.now(), mib: process.memoryUsage().rss / MIB }),
    1000,
  );
  const healthStart = mqtt?.health();
  process.stdout.write("window\n");
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  counting.timing = true;
  loopDelay.enable();
  await sleep(job.measureSeconds * 1000);
  counting.timing = false;
  loopDelay.disable();
  const cpu = process.cpuUsage(cpuStart);
  const windowMs = performance.now() - start;
  process.stdout.write("window\n");
  clearInterval(sampler);

  const gaps = [...counting.gaps].sort((a, b) => a - b);
  const quantile = (q: number) => gaps[Math.min(gaps.length - 1, Math.floor(q * gaps.length))] ?? NaN;
  const health = mqtt?.health();
  const windowDelivered = (health?.delivered ?? 0) - (healthStart?.delivered ?? 0);
  const windowQueued =
    windowDelivered +
    ((health?.queued ?? 0) - (healthStart?.queued ?? 0)) +
    ((health?.dropped ?? 0) - (healthStart?.dropped ?? 0));
  const result: BridgeResult = {
    inverters: job.urls.length,
    windowSeconds: windowMs / 1000,
    readings: counting.readings,
    expected: (job.urls.length * windowMs) / (job.intervalSeconds * 1000),
    cpuMs: (cpu.user + cpu.system) / 1000,
    latePolls: gaps.filter((gap) => gap > 1.5 * job.intervalSeconds * 1000).length,
    gapP50Ms: quantile(0.5),
    gapP99Ms: quantile(0.99),
    gapMaxMs: gaps.at(-1) ?? NaN,
    errorEvents: counting.errorEvents,
    failingAtEnd: bridge.inverterStatuses().filter((status) => FAILING.has(status.state)).length,
    loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
    loopDelayMaxMs: loopDelay.max / 1e6,
    rssSteadyMiB: median(rss.slice(rss.length >> 1).map((sample) => sample.mib)),
    rssPeakMiB: Math.max(...rss.map((sample) => sample.mib)),
    heapUsedMiB: process.memoryUsage().heapUsed / MIB,
    mqtt: health
      ? {
          delivered: health.delivered,
          queued: health.queued,
          dropped: health.dropped,
          windowDelivered,
          windowQueued,
        }
      : null,
  };
  reference?.stop();
  if (reference === null) await bridge.stop(2000);
  rmSync(dataDir, { recursive: true, force: true });
  return result;
}

async function main(role: string | undefined, count: string | undefined): Promise<void> {
  if (role === "farm") {
    const farm = await startFarm({ count: Number(count), clock: daytimeClock() });
    process.stdout.write(`${JSON.stringify({ urls: farm.urls })}\n`);
    process.once("SIGTERM", () => void farm.stop().then(() => process.exit(0)));
    return;
  }
  if (role !== "bridge") throw new Error("usage: farmChild.js farm <count> | bridge (a BridgeJob on stdin)");
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const result = await runBridge(JSON.parse(Buffer.concat(chunks).toString("utf8")) as BridgeJob);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  // Sockets of polls still in flight when the bridge stopped must not keep the process alive.
  process.exit(0);
}

// Imported by farmBench.ts for the types; runs only as the entry of a child process.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href)
  await main(process.argv[2], process.argv[3]);
