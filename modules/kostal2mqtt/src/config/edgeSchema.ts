import type { Schema } from "convict";
import {
  authScheme,
  hostName,
  hubIdentity,
  moduleConnectionString,
  optional,
  printableText,
  workloadUri,
} from "./formats.js";

/**
 * The variables IoT Edge gives a module, in the one schema: validated at start (every problem at once, exit 2),
 * documented, the connection strings secret. The Azure SDK (`ModuleClient.fromEnvironment()` with the SDK's Mqtt
 * transport, unmodified) still reads them from process.env itself; the schema is what says whether they make sense
 * before it does.
 * Their names are edgeAgent's and the SDK's, not ours. Every one needs a restart: the SDK reads them once.
 */
export interface EdgeConfig {
  workloadUri: string;
  deviceId: string;
  moduleId: string;
  iotHubHostName: string;
  authScheme: string;
  moduleGenerationId: string;
  gatewayHostName: string;
  edgeHubConnectionString: string;
  iotHubConnectionString: string;
  caCertificateFile: string;
  runtimeLogLevel: string;
}

/** The connection strings are not taken from `<NAME>_FILE`: the SDK reads only the variable itself. */
const CONNECTION_STRING = {
  format: optional(moduleConnectionString),
  default: "",
  sensitive: true,
  noFile: true,
};

export const EDGE_SCHEMA: Schema<EdgeConfig> = {
  workloadUri: {
    doc: "edgeAgent: the IoT Edge workload API (trust bundle, token signing), e.g. unix:///var/run/iotedge/workload.sock",
    format: optional(workloadUri),
    default: "",
    env: "IOTEDGE_WORKLOADURI",
  },
  deviceId: {
    doc: "edgeAgent: the IoT Edge device's id",
    format: optional(hubIdentity),
    default: "",
    env: "IOTEDGE_DEVICEID",
  },
  moduleId: {
    doc: "edgeAgent: this module's id",
    format: optional(hubIdentity),
    default: "",
    env: "IOTEDGE_MODULEID",
  },
  iotHubHostName: {
    doc: "edgeAgent: the IoT hub's host name",
    format: optional(hostName),
    default: "",
    env: "IOTEDGE_IOTHUBHOSTNAME",
  },
  authScheme: {
    doc: "edgeAgent: how the module authenticates (sasToken, the only scheme the SDK takes)",
    format: optional(authScheme),
    default: "",
    env: "IOTEDGE_AUTHSCHEME",
  },
  moduleGenerationId: {
    doc: "edgeAgent: this module identity's generation id (for token signing)",
    format: optional(printableText(128)),
    default: "",
    env: "IOTEDGE_MODULEGENERATIONID",
  },
  gatewayHostName: {
    doc: "edgeAgent: edgeHub's host name (optional; host:port also)",
    format: optional(hostName),
    default: "",
    env: "IOTEDGE_GATEWAYHOSTNAME",
  },
  edgeHubConnectionString: {
    doc: "instead of IOTEDGE_*: a module connection string (HostName=...;GatewayHostName=...;DeviceId=...;ModuleId=...;SharedAccessKey=...), as local simulators use",
    ...CONNECTION_STRING,
    env: "EdgeHubConnectionString",
  },
  iotHubConnectionString: {
    doc: "the same, used when EdgeHubConnectionString is not set",
    ...CONNECTION_STRING,
    env: "IotHubConnectionString",
  },
  caCertificateFile: {
    doc: "the CA certificate (PEM) edgeHub's certificate chains to, with a connection string",
    format: optional(printableText(1024)),
    default: "",
    env: "EdgeModuleCACertificateFile",
  },
  runtimeLogLevel: {
    doc: "edgeAgent: the IoT Edge runtime's log level (informational; LOG_LEVEL sets this module's)",
    format: optional(printableText(32)),
    default: "",
    env: "RuntimeLogLevel",
  },
};

/** The variables the SDK's IoT Edge path needs all of (module_client.ts, `_fromEnvironmentEdge`). */
const WORKLOAD_SET: ReadonlyArray<[keyof EdgeConfig, string]> = [
  ["workloadUri", "IOTEDGE_WORKLOADURI"],
  ["deviceId", "IOTEDGE_DEVICEID"],
  ["moduleId", "IOTEDGE_MODULEID"],
  ["iotHubHostName", "IOTEDGE_IOTHUBHOSTNAME"],
  ["authScheme", "IOTEDGE_AUTHSCHEME"],
  ["moduleGenerationId", "IOTEDGE_MODULEGENERATIONID"],
];

/**
 * How the module reaches edgeHub, as the SDK decides it: a connection string wins; else edgeAgent's IOTEDGE_*
 * variables; null when it does not run under IoT Edge at all.
 */
export function edgeConnection(edge: EdgeConfig): "connection-string" | "workload" | null {
  if (edge.edgeHubConnectionString !== "" || edge.iotHubConnectionString !== "") return "connection-string";
  const named = [...WORKLOAD_SET.map(([key]) => key), "gatewayHostName" as const];
  return named.some((key) => edge[key] !== "") ? "workload" : null;
}

/** True when the process runs as an IoT Edge module (or is pointed at an edgeHub by connection string). */
export function isEdgeModule(edge: EdgeConfig): boolean {
  return edgeConnection(edge) !== null;
}

/** edgeAgent sets its variables as a set: part of one would only fail later, inside the SDK, on every retry. */
export function edgeProblems(edge: EdgeConfig): string[] {
  if (edgeConnection(edge) !== "workload") return [];
  const missing = WORKLOAD_SET.filter(([key]) => edge[key] === "").map(([, name]) => name);
  return missing.length === 0
    ? []
    : [
        `${missing.join(", ")}: missing; IoT Edge's variables come as a set (or give EdgeHubConnectionString)`,
      ];
}
