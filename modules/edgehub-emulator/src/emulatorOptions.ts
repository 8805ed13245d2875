/**
 * How an emulator is configured, what it counts, and the environment a module process needs to reach it:
 * a connection string (+ CA file) or the `IOTEDGE_*` variables edgeAgent would set.
 */
import type { EdgeHubCounters } from "./edgeHubEvents.js";
import type { ModuleIdentity } from "./moduleIdentities.js";
import type { TwinCollection } from "./moduleTwin.js";
import type { EmulatorLog } from "./tlsMqttServer.js";

export interface EmulatedModule {
  moduleId: string;
  /** Base64 key; a random one if omitted. */
  key?: string;
  /** Initial desired properties of the module twin. */
  desired?: TwinCollection;
}

export interface EdgeHubEmulatorOptions {
  /** Default "emulated-edge-device". */
  deviceId?: string;
  /** The IoT Hub host name in connection strings, usernames and tokens. Default "emulated-hub.azure-devices.net". */
  hubHostName?: string;
  /** Modules known from the start; more can be added with `addModule`. */
  modules?: ReadonlyArray<string | EmulatedModule>;
  /** Also serve the IoT Edge workload API on a unix socket (needed by `environmentFor`). Default false. */
  workloadApi?: boolean;
  /** Where the emulator reports what it does. Never given keys or tokens. */
  log?: EmulatorLog;
  /** Oldest recorded output messages are dropped beyond this. Default 10 000. */
  maxRecordedMessages?: number;
  /** Default deadline of the `waitFor...` helpers and `invokeMethod`, in ms. Default 5000. */
  defaultTimeoutMs?: number;
}

export interface EdgeHubEmulatorStats extends EdgeHubCounters {
  /** TCP connections accepted (before TLS and CONNECT). */
  tcpConnections: number;
  restarts: number;
}

/** `HostName=...;GatewayHostName=...;DeviceId=...;ModuleId=...;SharedAccessKey=...`: holds the key. */
export function moduleConnectionString(
  identity: ModuleIdentity,
  hubHostName: string,
  gatewayHostName: string,
): string {
  return (
    `HostName=${hubHostName};GatewayHostName=${gatewayHostName};DeviceId=${identity.deviceId};` +
    `ModuleId=${identity.moduleId};SharedAccessKey=${identity.key}`
  );
}

/** The variables of `ModuleClient.fromEnvironment`'s IoT Edge path (module_client.ts `_fromEnvironmentEdge`). */
export function iotEdgeEnvironment(
  identity: ModuleIdentity,
  hubHostName: string,
  gatewayHostName: string,
  workloadUri: string,
): Record<string, string> {
  return {
    IOTEDGE_WORKLOADURI: workloadUri,
    IOTEDGE_DEVICEID: identity.deviceId,
    IOTEDGE_MODULEID: identity.moduleId,
    IOTEDGE_IOTHUBHOSTNAME: hubHostName,
    IOTEDGE_GATEWAYHOSTNAME: gatewayHostName,
    IOTEDGE_AUTHSCHEME: "sasToken",
    IOTEDGE_MODULEGENERATIONID: identity.generationId,
    IOTEDGE_APIVERSION: "2018-06-28",
  };
}
