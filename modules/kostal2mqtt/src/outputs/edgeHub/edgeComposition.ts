import { DesiredProperties, type EnvDefaults } from "../../config/desiredProperties.js";
import type { Logger, Redactor } from "../../log/logger.js";
import type { Bridge } from "../../runtime/bridge.js";
import type { QueueLimits, QueuePersistence } from "../deliveryQueue.js";
import type { InverterStatusReport } from "../output.js";
import { EdgeHubOutput, type EdgeMessage } from "./edgeHubOutput.js";
import { EdgeHubSession } from "./edgeHubSession.js";
import { ModuleTwinSync, type ModuleInfo } from "./moduleTwinSync.js";

export interface EdgeParts {
  output: EdgeHubOutput;
  /** Ties the twin and methods to the bridge once it exists; settings then come from the twin. */
  attach: (bridge: Bridge) => void;
  onInverterStatus: (status: InverterStatusReport) => void;
}

/** The IoT Edge face: session, output and twin glue. Imported only under IoT Edge (the SDK is heavy). */
export function createEdgeParts(options: {
  env: NodeJS.ProcessEnv;
  log: Logger;
  redactor: Redactor;
  defaults: EnvDefaults;
  info: ModuleInfo;
  limits: QueueLimits;
  persistence?: QueuePersistence<EdgeMessage>;
  onLibraryFault: (handler: (error: unknown) => boolean) => void;
}): EdgeParts {
  const { env, log, redactor } = options;
  for (const name of ["EdgeHubConnectionString", "IotHubConnectionString"]) {
    redactor.add(env[name]);
    redactor.add(/SharedAccessKey=([^;]+)/.exec(env[name] ?? "")?.[1]);
  }
  let twinSync: ModuleTwinSync | null = null;
  const session = new EdgeHubSession({
    env,
    log: log.child("edgehub"),
    methods: {
      readNow: (payload) =>
        twinSync?.methods.readNow?.(payload) ??
        Promise.resolve({ status: 503, payload: { error: "starting" } }),
      getStatus: (payload) =>
        twinSync?.methods.getStatus?.(payload) ??
        Promise.resolve({ status: 503, payload: { error: "starting" } }),
    },
    onDesired: (desired, whole) => twinSync?.onDesired(desired, whole),
    onReported: (reported) => twinSync?.onReported(reported),
    onConnected: () => {
      twinSync?.onConnected();
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
  return {
    output,
    attach(bridge) {
      twinSync = new ModuleTwinSync(
        bridge,
        new DesiredProperties(options.defaults),
        options.info,
        log.child("twin"),
        redactor,
      );
      twinSync.session = session;
    },
    onInverterStatus: (status) => twinSync?.onInverterStatus(status),
  };
}
