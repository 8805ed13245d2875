import { DesiredProperties, type EnvDefaults } from "../config/desiredProperties.js";
import { EdgeController, type ModuleInfo } from "../controllers/edgeController.js";
import type { Logger, Redactor } from "../log/logger.js";
import type { QueueLimits, QueuePersistence } from "../outputs/deliveryQueue.js";
import { EdgeHubOutput, type EdgeMessage } from "../outputs/edgeHub/edgeHubOutput.js";
import { EdgeHubSession } from "../outputs/edgeHub/edgeHubSession.js";
import type { Output } from "../ports/output.js";
import type { Bridge } from "../runtime/bridge.js";

export interface EdgeOptions {
  env: NodeJS.ProcessEnv;
  log: Logger;
  redactor: Redactor;
  defaults: EnvDefaults;
  info: ModuleInfo;
  limits: QueueLimits;
  persistence?: QueuePersistence<EdgeMessage>;
  onLibraryFault: (handler: (error: unknown) => boolean) => void;
}

export interface EdgeParts {
  bridge: Bridge;
  /** The module twin and direct methods; the caller starts it before the bridge and stops it first. */
  controller: EdgeController;
}

/**
 * The IoT Edge face, composed: one edgeHub session that is both a way out (the `edgehub` output) and a way in
 * (the twin and direct methods, handled by the controller). Imported only under IoT Edge (the SDK is heavy).
 *
 * The session is built with the controller's handlers, the bridge with the session's output, the controller with
 * the bridge: the handlers name the controller before it is built. They are called only once the session is
 * started (by `bridge.start()`, through the output's start), which the caller does after this returned.
 */
export function composeEdge(options: EdgeOptions, bridgeWith: (edgeOutput: Output) => Bridge): EdgeParts {
  const { env, log, redactor } = options;
  for (const name of ["EdgeHubConnectionString", "IotHubConnectionString"]) {
    redactor.add(env[name]);
    redactor.add(/SharedAccessKey=([^;]+)/.exec(env[name] ?? "")?.[1]);
  }
  const session: EdgeHubSession = new EdgeHubSession({
    env,
    log: log.child("edgehub"),
    methods: {
      readNow: (payload) => controller.readNow(payload),
      getStatus: () => controller.getStatus(),
      backfillHistory: (payload) => controller.backfillHistory(payload),
    },
    onDesired: (desired, whole) => controller.onDesired(desired, whole),
    onReported: (reported) => controller.onReported(reported),
    onConnected: () => {
      controller.onConnected();
      output.kick();
    },
    onDisconnected: (reason) => log.warn(`edgeHub connection lost (${reason}); readings wait in the queue`),
    onLibraryFault: options.onLibraryFault,
  });
  const output = new EdgeHubOutput({
    session,
    log: log.child("edgehub"),
    limits: options.limits,
    ...(options.persistence ? { persistence: options.persistence } : {}),
  });
  const bridge = bridgeWith(output);
  const controller: EdgeController = new EdgeController({
    control: bridge,
    twin: session,
    desired: new DesiredProperties(options.defaults),
    info: options.info,
    log: log.child("twin"),
    redactor,
  });
  return { bridge, controller };
}
