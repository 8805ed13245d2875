import { parseArgs } from "node:util";
import { envDefaults } from "../config/envSettings.js";
import { loadConfig, redactedConfig } from "../config/loadConfig.js";
import type { HealthConfig } from "../config/schema.js";
import { createLogger, Redactor, type Logger } from "../log/logger.js";
import type { HealthServer } from "../observability/healthServer.js";
import { ConsoleOutput } from "../outputs/consoleOutput.js";
import type { InverterStatusReport, Output } from "../outputs/output.js";
import { isEdgeEnvironment } from "../outputs/edgeHub/moduleClientFactory.js";
import { Bridge } from "../runtime/bridge.js";
import type { Entry } from "../outputs/deliveryQueue.js";
import { StateFile } from "../runtime/stateFile.js";
import { siteNightOracle } from "../runtime/nightOracle.js";
import { ReadingGuard } from "../runtime/readingGuard.js";
import { VERSION } from "../version.js";
import type { CommandIo } from "./io.js";

const STOP_DEADLINE_MS = 5000;
/** Per output: 10,000 messages or a day, whichever is reached first; then the oldest go (counted). */
const QUEUE_LIMITS = { maxItems: 10_000, maxAgeMs: 24 * 3600_000 };

/**
 * `run [--print-config]`: the bridge. Under IoT Edge (IOTEDGE_* or EdgeHubConnectionString) it sends to edgeHub
 * and takes its settings from the module twin; with MQTT_HOST it publishes to that broker (both can be on);
 * with neither, readings go to standard output.
 */
export async function runCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { "print-config": { type: "boolean" } } });
  const config = loadConfig(io.env);
  if (values["print-config"]) {
    io.stdout(JSON.stringify(redactedConfig(config), null, 2));
    return 0;
  }
  const redactor = new Redactor();
  redactor.add(config.kostal.password);
  redactor.add(config.mqtt.password);
  const log = createLogger({ level: config.logLevel, write: io.stderr, now: io.now, redactor });
  const defaults = envDefaults(config);
  const dataDir = config.site.dataDir === "" ? null : config.site.dataDir;
  // Undelivered messages survive a restart during an outage: written every 2 s while they change, and at stop.
  const persistence = <T>(name: string) => ({
    file: new StateFile<Array<Entry<T>>>(dataDir, name, (message) => log.warn(message)),
    everyMs: 2000,
  });
  const outputs: Output[] = [];
  const statusListeners: Array<(status: InverterStatusReport) => void> = [];
  let attach: ((bridge: Bridge) => void) | null = null;
  if (isEdgeEnvironment(io.env)) {
    const { createEdgeParts } = await import("../outputs/edgeHub/edgeComposition.js");
    const edge = createEdgeParts({
      env: io.env,
      log,
      redactor,
      defaults,
      info: { version: VERSION, startedAt: new Date(io.now()).toISOString() },
      limits: QUEUE_LIMITS,
      persistence: persistence("queue-edgehub.json"),
      onLibraryFault: io.onLibraryFault,
    });
    outputs.push(edge.output);
    statusListeners.push(edge.onInverterStatus);
    attach = edge.attach;
  }
  if (config.mqtt.host !== "") {
    const { MqttOutput } = await import("../outputs/mqtt/mqttOutput.js");
    outputs.push(
      new MqttOutput(config.mqtt, log.child("mqtt"), QUEUE_LIMITS, persistence("queue-mqtt.json")),
    );
  }
  if (outputs.length === 0) outputs.push(new ConsoleOutput(io.stdout));
  const { site } = config;
  const bridge = new Bridge({
    outputs: [...outputs, statusTap(statusListeners)],
    log: log.child("bridge"),
    limits: { timeoutMs: config.kostal.timeoutSeconds * 1000, maxBytes: 256 * 1024 },
    now: io.now,
    isNight: siteNightOracle(site.latitude, site.longitude),
    zeroOnSleep: site.zeroOnSleep,
    backoff: {
      maxMs: site.retryMaxSeconds * 1000,
      authStartMs: site.authRetrySeconds * 1000,
      authMaxMs: site.authRetrySeconds * 30_000,
    },
    guard: new ReadingGuard({
      replacedAfter: site.totalDropReadings,
      dataDir,
      warn: (message) => log.warn(message),
    }),
  });
  log.info(`kostal2mqtt ${VERSION} starting; outputs: ${outputs.map((o) => o.name).join(", ")}`);
  // The environment's inverter is polled at once; under IoT Edge the twin's settings replace it when they come.
  attach?.(bridge);
  bridge.apply(defaults);
  const health = await startHealthServer(config.health, bridge, io, log, redactor);
  await bridge.start();
  if (defaults.inverters.size === 0)
    log.warn("no inverter configured yet: set KOSTAL_HOST or the twin's inverters");
  await io.untilStopped();
  log.info("stopping: flushing outputs");
  await bridge.stop(STOP_DEADLINE_MS);
  await health?.stop();
  return 0;
}

async function startHealthServer(
  settings: HealthConfig,
  bridge: Bridge,
  io: CommandIo,
  log: Logger,
  redactor: Redactor,
): Promise<HealthServer | null> {
  if (settings.port === 0) return null;
  const { HealthServer } = await import("../observability/healthServer.js");
  const server = new HealthServer({
    ...settings,
    state: () => ({
      inverters: bridge.inverterStatuses(),
      outputs: bridge.outputHealth(),
      pollIntervalMs: bridge.pollIntervalMs,
    }),
    now: io.now,
    log: log.child("health"),
    redact: (text) => redactor.redact(text),
  });
  await server.start();
  return server;
}

/** Passes inverter status changes to listeners that are not outputs (the module twin). */
function statusTap(listeners: Array<(status: InverterStatusReport) => void>): Output {
  return {
    name: "status-tap",
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    publishReading: () => undefined,
    publishEvent: () => undefined,
    publishInverterStatus: (status) => listeners.forEach((listener) => listener(status)),
    health: () => ({ state: "connected", queued: 0, dropped: 0, delivered: 0, message: "internal" }),
  };
}
