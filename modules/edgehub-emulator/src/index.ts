/**
 * The edgeHub emulator: an in-process stand-in for IoT Edge's edgeHub (and, optionally, its workload API)
 * that the unmodified Azure IoT device SDK connects to over TLS. Used by the integration tests and the demo.
 */
export { EdgeHubEmulator, startEdgeHubEmulator } from "./edgeHubEmulator.js";
export type { EdgeHubEmulatorOptions, EdgeHubEmulatorStats, EmulatedModule } from "./emulatorOptions.js";
export type { EdgeHubCounters, EdgeHubEvents, ModuleConnectionState, TwinActivity } from "./edgeHubEvents.js";
export type { ConnectionInfo } from "./connectAuthentication.js";
export type { OutputMessage } from "./outputMessage.js";
export { parseJsonBody } from "./outputMessage.js";
export type { JsonValue, TwinCollection, TwinSnapshot } from "./moduleTwin.js";
export { TwinPatchError } from "./moduleTwin.js";
export { MethodInvocationError, type MethodFailure, type MethodResult } from "./pendingMethodCalls.js";
export { EmulatorStoppedError, EmulatorTimeoutError } from "./conditionWaiters.js";
export type { ModuleIdentity } from "./moduleIdentities.js";
export type { EmulatorLog, EmulatorLogLevel } from "./tlsMqttServer.js";
export { createSasToken, moduleResource } from "./sharedAccessSignature.js";
