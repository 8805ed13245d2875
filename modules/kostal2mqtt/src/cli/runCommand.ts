import { parseArgs } from "node:util";
import {
  INVERTER_BACKOFF,
  PAGE_MAX_BYTES,
  QUEUE_LIMITS,
  QUEUE_SAVE_EVERY_MS,
  STOP_DEADLINE_MS,
} from "../config/defaults.js";
import { envDefaults } from "../config/envSettings.js";
import { loadConfig, redactedConfig } from "../config/loadConfig.js";
import type { AppConfig, HealthConfig } from "../config/schema.js";
import type { EdgeController } from "../controllers/edgeController.js";
import { StateFile } from "../lib/stateFile.js";
import { createLogger, Redactor, type Logger } from "../log/logger.js";
import { MirrorServers } from "../mirror/mirrorServers.js";
import type { HealthServer } from "../observability/healthServer.js";
import { ConsoleOutput } from "../outputs/consoleOutput.js";
import type { Entry } from "../outputs/deliveryQueue.js";
import { isEdgeEnvironment } from "../outputs/edgeHub/moduleClientFactory.js";
import type { Output } from "../ports/output.js";
import { Bridge } from "../runtime/bridge.js";
import { siteNightOracle } from "../runtime/nightOracle.js";
import { ReadingGuard } from "../runtime/readingGuard.js";
import { VERSION } from "../version.js";
import type { CommandIo } from "./io.js";
import { nameByDevice } from "./inverterNaming.js";
import type { FetchLimits } from "../piko/pageFetcher.js";

/**
 * `run [--print-config]`: the bridge. Under IoT Edge (IOTEDGE_* or EdgeHubConnectionString) it sends to edgeHub
 * and takes its settings from the module twin; with MQTT_HOST it publishes to that broker (both can be on);
 * with neither, readings go to standard output.
 *
 * The composition root of the bridge: the outputs, the bridge over them (the inverters' loops and the one
 * fan-out), the controllers over the bridge (module twin and direct methods; the health server; the mirror
 * servers, which serve each inverter's last reading to other tools). The controller and the mirrors listen
 * before the first poll; at the stop, the steering ends first, the mirrors close, then the bridge flushes.
 */
export async function runCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { "print-config": { type: "boolean" } } });
  const config = loadConfig(io.env);
  if (values["print-config"]) {
    io.stdout(JSON.stringify(redactedConfig(config), null, 2));
    return 0;
  }
  // Listening for SIGTERM from here on: a stop asked for during the start (a slow broker, the naming probe) is a
  // clean stop once the start is done, never the default handler's death with nothing flushed.
  const stopped = io.untilStopped();
  const redactor = new Redactor();
  redactor.add(config.kostal.password);
  redactor.add(config.mqtt.password);
  const environment = envDefaults(config);
  for (const inverter of environment.inverters.values()) redactor.add(inverter.password);
  const log = createLogger({ level: config.logLevel, write: io.stderr, now: io.now, redactor });
  const dataDir = config.site.dataDir === "" ? null : config.site.dataDir;
  const defaults = await nameByDevice(environment, config.kostal.id, {
    dataDir,
    limits: pageLimits(config),
    log,
    now: io.now,
  });
  // Undelivered messages survive a restart during an outage: written every 2 s while they change, and at stop.
  const persistence = <T>(name: string) => ({
    file: new StateFile<Array<Entry<T>>>(dataDir, name, (message) => log.warn(message)),
    everyMs: QUEUE_SAVE_EVERY_MS,
  });
  const outputs: Output[] = [];
  if (config.mqtt.host !== "") {
    const { MqttOutput } = await import("../outputs/mqtt/mqttOutput.js");
    outputs.push(
      new MqttOutput(config.mqtt, log.child("mqtt"), QUEUE_LIMITS, persistence("queue-mqtt.json")),
    );
  }
  const bridgeWith = (all: Output[]): Bridge => {
    log.info(`kostal2mqtt ${VERSION} starting; outputs: ${all.map((o) => o.name).join(", ")}`);
    return createBridge(config, all, dataDir, log, io.now);
  };
  let bridge: Bridge;
  let controller: EdgeController | null = null;
  if (isEdgeEnvironment(config)) {
    const { composeEdge } = await import("./edgeComposition.js");
    const edge = composeEdge(
      {
        env: io.env,
        log,
        redactor,
        defaults,
        info: { version: VERSION, startedAt: new Date(io.now()).toISOString() },
        limits: QUEUE_LIMITS,
        persistence: persistence("queue-edgehub.json"),
        onLibraryFault: io.onLibraryFault,
      },
      (edgeOutput) => bridgeWith([edgeOutput, ...outputs]),
    );
    ({ bridge, controller } = edge);
  } else {
    bridge = bridgeWith(outputs.length > 0 ? outputs : [new ConsoleOutput(io.stdout)]);
  }
  // The health server watches the bridge (metrics, status page) from before the first poll.
  const health = await startHealthServer(config.health, bridge, io, log, redactor);
  const mirrors = new MirrorServers({
    bind: config.mirror.bind,
    cache: bridge,
    now: io.now,
    log: log.child("mirror"),
  });
  mirrors.start();
  // The environment's inverter is polled at once; under IoT Edge the twin's settings replace it when they come.
  controller?.start();
  bridge.apply(defaults);
  await bridge.start();
  if (defaults.inverters.size === 0)
    log.warn("no inverter configured yet: set KOSTAL_HOST, KOSTAL_INVERTERS or the twin's inverters");
  await stopped;
  log.info("stopping: flushing outputs");
  controller?.stop();
  await mirrors.stop();
  await bridge.stop(STOP_DEADLINE_MS);
  await health?.stop();
  return 0;
}

function createBridge(
  config: AppConfig,
  outputs: Output[],
  dataDir: string | null,
  log: Logger,
  now: () => number,
): Bridge {
  const { site } = config;
  return new Bridge({
    outputs,
    log: log.child("bridge"),
    limits: pageLimits(config),
    now,
    isNight: siteNightOracle(site.latitude, site.longitude),
    zeroOnSleep: site.zeroOnSleep,
    backoff: {
      maxMs: site.retryMaxSeconds * 1000,
      authStartMs: site.authRetrySeconds * 1000,
      authMaxMs: site.authRetrySeconds * 1000 * INVERTER_BACKOFF.authMaxFactor,
    },
    guard: new ReadingGuard({
      replacedAfter: site.totalDropReadings,
      dataDir,
      warn: (message) => log.warn(message),
    }),
    // On by default: the download waits for the inverter's poll in flight and holds its polls off (one connection).
    ...(site.historyBackfill ? { history: { dataDir } } : {}),
  });
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
    control: bridge,
    now: io.now,
    log: log.child("health"),
    redact: (text) => redactor.redact(text),
  });
  await server.start();
  return server;
}

function pageLimits(config: AppConfig): FetchLimits {
  return { timeoutMs: config.kostal.timeoutSeconds * 1000, maxBytes: PAGE_MAX_BYTES };
}
