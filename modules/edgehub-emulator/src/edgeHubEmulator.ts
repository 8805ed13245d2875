/**
 * An in-process edgeHub for tests and demos: a TLS MQTT endpoint on 127.0.0.1 that speaks edgeHub's module
 * protocol to the unmodified Azure IoT device SDK, records what modules send, serves their twins and direct
 * methods, and fails on command (dropped connections, an outage, a restart that loses every session).
 * Optionally it also serves the IoT Edge workload API, for the SDK's `IOTEDGE_*` path.
 */
import { EventEmitter } from "node:events";
import { Aedes } from "aedes";
import { ConditionWaiters, EmulatorStoppedError } from "./conditionWaiters.js";
import type { EdgeHubEvents, ModuleConnectionState } from "./edgeHubEvents.js";
import { EdgeHubProtocol } from "./edgeHubProtocol.js";
import {
  iotEdgeEnvironment,
  moduleConnectionString,
  type EdgeHubEmulatorOptions,
  type EdgeHubEmulatorStats,
  type EmulatedModule,
} from "./emulatorOptions.js";
import { EdgeHubFaults } from "./edgeHubFaults.js";
import { EmulatorEndpoints } from "./emulatorEndpoints.js";
import { ModuleIdentities, type ModuleIdentity } from "./moduleIdentities.js";
import type { TwinCollection, TwinSnapshot } from "./moduleTwin.js";
import type { OutputMessage } from "./outputMessage.js";
import type { MethodResult } from "./pendingMethodCalls.js";
import type { EmulatorLog } from "./tlsMqttServer.js";

export class EdgeHubEmulator extends EventEmitter<EdgeHubEvents> {
  readonly deviceId: string;
  readonly hubHostName: string;
  private readonly identities: ModuleIdentities;
  private readonly protocol: EdgeHubProtocol;
  private readonly waiters = new ConditionWaiters();
  private readonly log: EmulatorLog;
  private readonly defaultTimeoutMs: number;
  private running: EmulatorEndpoints | undefined;
  private restarts = 0;
  private tcpConnectionsOfEarlierRuns = 0;

  constructor(private readonly options: EdgeHubEmulatorOptions = {}) {
    super();
    this.deviceId = options.deviceId ?? "emulated-edge-device";
    this.hubHostName = options.hubHostName ?? "emulated-hub.azure-devices.net";
    this.log = options.log ?? (() => undefined);
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? 5000;
    this.identities = new ModuleIdentities(this.deviceId);
    const emit = <K extends keyof EdgeHubEvents>(event: K, ...args: EdgeHubEvents[K]): void => {
      // EventEmitter's generic signature cannot see that args matches event; the map above guarantees it
      (this.emit as (event: K, ...args: EdgeHubEvents[K]) => boolean)(event, ...args);
      this.waiters.notify();
    };
    this.protocol = new EdgeHubProtocol(
      this.identities,
      this.hubHostName,
      emit,
      this.log,
      options.maxRecordedMessages ?? 10_000,
    );
    for (const module of options.modules ?? []) {
      if (typeof module === "string") this.addModule(module);
      else this.addModule(module.moduleId, module);
    }
  }

  /** Generates the certificates, writes the CA file and starts listening on an ephemeral port. */
  async start(): Promise<void> {
    if (this.running !== undefined) throw new Error("the edgeHub emulator is already running");
    this.running = await EmulatorEndpoints.open({
      createBroker: () => this.createBroker(),
      identities: this.identities,
      workloadApi: this.options.workloadApi === true,
      log: this.log,
    });
    this.log("info", `edgeHub emulator listening on 127.0.0.1:${this.port} for device ${this.deviceId}`);
  }

  /** Closes every connection and listener and removes the CA file; pending waits and method calls fail. */
  async stop(): Promise<void> {
    const running = this.running;
    this.running = undefined;
    if (running === undefined) return;
    this.protocol.abortMethodCalls();
    this.waiters.abortAll(new EmulatorStoppedError("the edgeHub emulator stopped"));
    this.tcpConnectionsOfEarlierRuns += running.mqtt.acceptedSockets;
    await running.close();
    this.protocol.connections.sessions.forgetAll(); // a later start() is a fresh edgeHub
    this.log("info", "edgeHub emulator stopped");
  }

  get port(): number {
    return this.requireRunning().mqtt.port;
  }

  /** `127.0.0.1:<port>`: what goes into `GatewayHostName` / `IOTEDGE_GATEWAYHOSTNAME`. */
  get gatewayHostName(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** PEM of the CA the server certificate chains to (the IoT Edge trust bundle). */
  get caCertificate(): string {
    return this.requireRunning().certificates.caCert;
  }

  /** A file holding `caCertificate`, for `EdgeModuleCACertificateFile`. Removed by `stop()`. */
  get caFile(): string {
    return this.requireRunning().caFile;
  }

  /** Registers a module identity (random key unless given) with an empty or given twin. Idempotent. */
  addModule(moduleId: string, module: Omit<EmulatedModule, "moduleId"> = {}): ModuleIdentity {
    const identity = this.identities.ensure(moduleId, module.key);
    this.protocol.addTwin(moduleId, module.desired);
    return identity;
  }

  /** The module's identity, registering it if needed. Holds its key: keep it out of logs. */
  moduleIdentity(moduleId: string): ModuleIdentity {
    return this.addModule(moduleId);
  }

  /** `HostName=...;GatewayHostName=127.0.0.1:<port>;DeviceId=...;ModuleId=...;SharedAccessKey=...` */
  connectionString(moduleId: string): string {
    return moduleConnectionString(this.addModule(moduleId), this.hubHostName, this.gatewayHostName);
  }

  /** The variables of the connection-string path of `ModuleClient.fromEnvironment`. */
  connectionStringEnvironment(moduleId: string): Record<string, string> {
    return {
      EdgeHubConnectionString: this.connectionString(moduleId),
      EdgeModuleCACertificateFile: this.caFile,
    };
  }

  /** The `IOTEDGE_*` variables edgeAgent gives a module; needs the `workloadApi` option. */
  environmentFor(moduleId: string): Record<string, string> {
    const workload = this.requireRunning().workload;
    if (workload === undefined)
      throw new Error("start the emulator with { workloadApi: true } to use IOTEDGE_*");
    return iotEdgeEnvironment(this.addModule(moduleId), this.hubHostName, this.gatewayHostName, workload.uri);
  }

  /** Workload API requests answered so far (zeros without the `workloadApi` option). */
  get workloadApiCounts(): { trustBundle: number; sign: number; refused: number } {
    return { ...(this.running?.workload?.counts ?? { trustBundle: 0, sign: 0, refused: 0 }) };
  }

  /** Every output message recorded so far, oldest first (a copy). */
  get messages(): OutputMessage[] {
    return [...this.protocol.messages];
  }

  clearMessages(): void {
    this.protocol.messages.length = 0;
  }

  /** Resolves with the first `count` recorded messages that match, as soon as there are that many. */
  waitForMessages(
    count: number,
    predicate: (message: OutputMessage) => boolean = () => true,
    timeoutMs = this.defaultTimeoutMs,
  ): Promise<OutputMessage[]> {
    return this.waitUntil(
      () => {
        const matching = this.protocol.messages.filter(predicate);
        return matching.length >= count ? matching.slice(0, count) : undefined;
      },
      timeoutMs,
      `${count} output message(s)`,
    );
  }

  twin(moduleId: string): TwinSnapshot {
    return this.protocol.twin(moduleId);
  }

  /**
   * Merges a desired patch (null deletes), bumps desired `$version` and sends the patch to the module if its
   * session subscribes to desired updates. `delivered: false` means the module will never see this patch.
   */
  updateDesired(moduleId: string, patch: TwinCollection): { version: number; delivered: boolean } {
    return this.protocol.updateDesired(moduleId, patch);
  }

  /** Calls a direct method; rejects with MethodInvocationError if offline, not subscribed or too slow. */
  invokeMethod(
    moduleId: string,
    methodName: string,
    payload?: unknown,
    timeoutMs = this.defaultTimeoutMs,
  ): Promise<MethodResult> {
    return this.protocol.invokeMethod(moduleId, methodName, payload, timeoutMs);
  }

  /**
   * Answers the module's next twin GET with `status` and an empty body, as edgeHub does on some failures; the SDK
   * then throws a TypeError where no caller can catch it (iot-edge.md, pitfall 3).
   */
  failNextTwinGet(moduleId: string, status = 500): void {
    this.requireModule(moduleId);
    this.protocol.failNextTwinGet(moduleId, status);
  }

  moduleState(moduleId: string): ModuleConnectionState {
    this.requireModule(moduleId);
    return this.protocol.connections.state(moduleId);
  }

  /** Resolves when the module is connected with more than `afterConnectCount` connections so far. */
  waitForConnection(
    moduleId: string,
    afterConnectCount = 0,
    timeoutMs = this.defaultTimeoutMs,
  ): Promise<ModuleConnectionState> {
    return this.waitUntil(
      () => {
        const state = this.moduleState(moduleId);
        return state.connected && state.connectCount > afterConnectCount ? state : undefined;
      },
      timeoutMs,
      `connection #${afterConnectCount + 1} of ${moduleId}`,
    );
  }

  /**
   * Resolves when the module's session holds the topic filter `filter` (compared as written). A persistent
   * session keeps what earlier connections with the same client id subscribed, so this may resolve at once.
   */
  waitForSubscription(moduleId: string, filter: string, timeoutMs = this.defaultTimeoutMs): Promise<void> {
    return this.waitUntil(
      () => (this.moduleState(moduleId).subscriptions.some((s) => s.filter === filter) ? true : undefined),
      timeoutMs,
      `${moduleId} to subscribe to ${filter}`,
    ).then(() => undefined);
  }

  /** Resolves with `check()`'s first defined value, re-checked after every emulator event and every 20 ms. */
  waitUntil<T>(
    check: () => T | undefined,
    timeoutMs = this.defaultTimeoutMs,
    description = "a condition",
  ): Promise<T> {
    return this.waiters.waitUntil(check, timeoutMs, description);
  }

  get stats(): EdgeHubEmulatorStats {
    return {
      ...this.protocol.counters,
      tcpConnections: this.tcpConnectionsOfEarlierRuns + (this.running?.mqtt.acceptedSockets ?? 0),
      restarts: this.restarts,
    };
  }

  /**
   * Cuts every connection at the TCP level, like a network failure, and resolves once edgeHub has seen them
   * go (modules may already be reconnecting). Sessions and subscriptions stay. Resolves with how many.
   */
  dropConnections(): Promise<number> {
    return this.faults().dropConnections();
  }

  /** An outage: connections are cut and new ones refused (ECONNREFUSED) until `resume()`. Sessions stay. */
  pause(): Promise<void> {
    return this.faults().pause();
  }

  /** Ends `pause()`: listens again on the same port. */
  resume(): Promise<void> {
    return this.faults().resume();
  }

  /**
   * Stops and starts again on the same port, like an edgeHub container restart. With `loseSessions` (the
   * default) every MQTT session and subscription is forgotten; twins and recorded messages stay.
   */
  async restart(options: { loseSessions?: boolean } = {}): Promise<void> {
    await this.faults().restart(options.loseSessions ?? true);
    this.restarts++;
  }

  private async createBroker(): Promise<Aedes> {
    // edgeHub has no $SYS heartbeat; aedes' default one would publish every minute
    const broker = await Aedes.createBroker({ ...this.protocol.brokerHooks(), heartbeatInterval: 3_600_000 });
    this.protocol.attach(broker);
    return broker;
  }

  private faults(): EdgeHubFaults {
    return new EdgeHubFaults(this.requireRunning().mqtt, this.protocol, this.waiters, this.log);
  }

  private requireRunning(): EmulatorEndpoints {
    if (this.running === undefined)
      throw new Error("the edgeHub emulator is not running: call start() first");
    return this.running;
  }

  private requireModule(moduleId: string): void {
    if (this.identities.get(moduleId) === undefined) throw new RangeError(`unknown module: ${moduleId}`);
  }
}

/** Creates and starts an emulator: the entry point for the demo and the integration tests. */
export async function startEdgeHubEmulator(options: EdgeHubEmulatorOptions = {}): Promise<EdgeHubEmulator> {
  const emulator = new EdgeHubEmulator(options);
  await emulator.start();
  return emulator;
}
