/**
 * What edgeHub does with the MQTT traffic of its modules, as aedes hooks: authenticate each CONNECT, keep
 * each module's session, record its output messages, serve its twin and carry direct methods to it.
 *
 * Module publishes are handled in `authorizePublish`, which aedes runs before it sends the PUBACK: when the
 * SDK's `sendOutputEvent` resolves, the message is already recorded. Replies, desired patches and method
 * requests go through ModuleConnections.deliver: to that module only, and only on a subscription it holds.
 */
import type { Aedes, AedesOptions, AuthenticateError, Client, PublishPacket } from "aedes";
import { authenticateConnect, type ConnectionInfo } from "./connectAuthentication.js";
import type { EdgeHubCounters, EmitEdgeHubEvent } from "./edgeHubEvents.js";
import { classifyModulePublish, maySubscribe, topics } from "./iothubTopics.js";
import { ModuleConnections } from "./moduleConnections.js";
import type { ModuleIdentities } from "./moduleIdentities.js";
import { ModuleTwin, TwinPatchError, type TwinCollection, type TwinSnapshot } from "./moduleTwin.js";
import { toOutputMessage, type OutputMessage } from "./outputMessage.js";
import { MethodInvocationError, PendingMethodCalls, type MethodResult } from "./pendingMethodCalls.js";
import type { EmulatorLog } from "./tlsMqttServer.js";

export class EdgeHubProtocol {
  readonly connections: ModuleConnections;
  readonly messages: OutputMessage[] = [];
  readonly counters: EdgeHubCounters = {
    connectsAccepted: 0,
    connectsRefused: 0,
    disconnects: 0,
    outputMessages: 0,
    twinGets: 0,
    reportedPatches: 0,
    desiredPatches: 0,
    methodCalls: 0,
    undeliverable: 0,
    forbiddenPublishes: 0,
  };
  private readonly twins = new Map<string, ModuleTwin>();
  private readonly accepted = new WeakMap<Client, ConnectionInfo>();
  private readonly methodCalls = new PendingMethodCalls();
  /** Twin GETs to answer with a status and an empty body (what crashes the SDK: iot-edge.md, pitfall 3). */
  private readonly failingTwinGets = new Map<string, number>();

  constructor(
    private readonly identities: ModuleIdentities,
    private readonly hubHostName: string,
    private readonly emit: EmitEdgeHubEvent,
    private readonly log: EmulatorLog,
    private readonly maxRecordedMessages: number,
  ) {
    this.connections = new ModuleConnections(identities.deviceId, log);
  }

  /** Creates the module's twin (with initial desired properties) unless it has one. */
  addTwin(moduleId: string, desired?: TwinCollection): void {
    if (!this.twins.has(moduleId)) this.twins.set(moduleId, new ModuleTwin(desired));
  }

  brokerHooks(): Pick<AedesOptions, "authenticate" | "authorizePublish" | "authorizeSubscribe"> {
    return {
      authenticate: (client, username, password, done) => {
        const verdict = authenticateConnect(
          { clientId: client.id, username, password, clean: client.clean, now: new Date() },
          this.identities,
          this.hubHostName,
        );
        if (!verdict.ok) {
          this.counters.connectsRefused++;
          this.log("warn", `refused CONNECT from ${JSON.stringify(client.id)}: ${verdict.reason}`);
          this.emit("refused", { clientId: client.id, reason: verdict.reason });
          const refusal: AuthenticateError = Object.assign(new Error("not authorized"), {
            returnCode: 5, // CONNACK 5, "not authorized", as IoT Hub answers a bad token
          });
          done(refusal, false);
          return;
        }
        this.accepted.set(client, verdict.info);
        this.connections.sessions.connected(client.id, client.clean);
        done(null, true);
      },
      authorizePublish: (client, packet, done) => {
        const info = client === null ? undefined : this.accepted.get(client);
        if (info === undefined) return done(new Error("not authorized"));
        const publish = classifyModulePublish(packet.topic, info.deviceId, info.moduleId);
        if (publish.kind === "forbidden") {
          this.counters.forbiddenPublishes++;
          this.log("warn", `${info.moduleId} published to a topic it may not use: ${packet.topic}`);
          return done(new Error("not authorized"));
        }
        const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
        if (publish.kind === "event") this.recordMessage(info, packet, publish.propertyBag, payload);
        else if (publish.kind === "twinGet") this.answerTwinGet(info.moduleId, publish.rid);
        else if (publish.kind === "twinReportedPatch")
          this.applyReportedPatch(info.moduleId, publish.rid, payload);
        else if (!this.methodCalls.complete(info.moduleId, publish.rid, publish.status, payload)) {
          this.log("debug", `${info.moduleId} answered an unknown method request ${publish.rid}`);
        }
        done(null);
      },
      authorizeSubscribe: (client, subscription, done) => {
        const info = this.accepted.get(client);
        if (info === undefined || !maySubscribe(subscription.topic, info.deviceId, info.moduleId)) {
          this.log("warn", `${client.id} may not subscribe to ${subscription.topic}`);
          return done(null, null); // SUBACK 0x80 for this filter, as IoT Hub does
        }
        // IoT Hub grants at most QoS 1. aedes fixes the granted QoS before this hook runs, so a QoS 2 request
        // (which the SDK never makes) is granted as asked; deliver() still sends at QoS 1 at most.
        done(null, subscription);
      },
    };
  }

  attach(broker: Aedes): void {
    broker.on("client", (client) => {
      const info = this.accepted.get(client);
      if (info === undefined) return;
      this.connections.opened(client, info);
      this.counters.connectsAccepted++;
      this.log(
        "info",
        `${info.moduleId} connected (clean=${info.clean}, model-id=${info.modelId ?? "none"})`,
      );
      this.emit("connect", info);
    });
    broker.on("clientDisconnect", (client) => {
      const info = this.accepted.get(client);
      if (info === undefined) return;
      if (!this.connections.closed(client, info)) return; // an older connection, already taken over
      this.counters.disconnects++;
      this.log("info", `${info.moduleId} disconnected`);
      this.emit("disconnect", { moduleId: info.moduleId });
    });
    broker.on("subscribe", (subscriptions, client) => {
      const info = this.accepted.get(client);
      if (info === undefined) return;
      for (const { topic, qos } of subscriptions) {
        if ((qos as number) === 128) continue; // refused by authorizeSubscribe
        this.connections.sessions.subscribed(client.id, topic, qos);
        this.emit("subscribe", { moduleId: info.moduleId, filter: topic, qos });
      }
    });
    broker.on("unsubscribe", (filters, client) => {
      const info = this.accepted.get(client);
      if (info === undefined) return;
      for (const filter of filters) {
        this.connections.sessions.unsubscribed(client.id, filter);
        this.emit("unsubscribe", { moduleId: info.moduleId, filter });
      }
    });
    broker.on("clientError", (client, error) => this.log("debug", `client ${client.id}: ${error.message}`));
  }

  twin(moduleId: string): TwinSnapshot {
    return this.twinOf(moduleId).snapshot();
  }

  updateDesired(moduleId: string, patch: TwinCollection): { version: number; delivered: boolean } {
    const version = this.twinOf(moduleId).patchDesired(patch);
    const body = Buffer.from(JSON.stringify({ ...patch, $version: version }), "utf8");
    const delivered = this.deliver(moduleId, topics.desiredPatch(version), body);
    this.counters.desiredPatches++;
    this.log(
      "info",
      `desired properties of ${moduleId} now at $version ${version} (delivered: ${delivered})`,
    );
    this.emit("twin", { kind: "desired", moduleId, version, delivered });
    return { version, delivered };
  }

  invokeMethod(
    moduleId: string,
    methodName: string,
    payload: unknown,
    timeoutMs: number,
  ): Promise<MethodResult> {
    this.twinOf(moduleId); // throws for an unknown module
    this.counters.methodCalls++;
    if (!this.connections.isConnected(moduleId)) {
      this.counters.undeliverable++;
      const error = new MethodInvocationError(`module ${moduleId} is not connected`, "not-connected");
      return Promise.reject(error);
    }
    const { rid, result } = this.methodCalls.begin(moduleId, methodName, timeoutMs);
    const body = payload === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(payload), "utf8");
    if (!this.deliver(moduleId, topics.methodRequest(methodName, rid), body)) {
      const message = `module ${moduleId} is not subscribed to direct methods`;
      this.methodCalls.fail(rid, new MethodInvocationError(message, "not-subscribed"));
    }
    return result;
  }

  /** Fails every direct method in flight: the emulator stops. */
  abortMethodCalls(): void {
    this.methodCalls.failAll("stopped", "the edgeHub emulator stopped");
  }

  private twinOf(moduleId: string): ModuleTwin {
    const twin = this.twins.get(moduleId);
    if (twin === undefined) throw new RangeError(`unknown module: ${moduleId}`);
    return twin;
  }

  private deliver(moduleId: string, topic: string, payload: Buffer): boolean {
    const delivered = this.connections.deliver(moduleId, topic, payload);
    if (!delivered) this.counters.undeliverable++;
    return delivered;
  }

  private recordMessage(
    info: ConnectionInfo,
    packet: PublishPacket,
    propertyBag: string,
    payload: Buffer,
  ): void {
    this.counters.outputMessages++;
    const message = toOutputMessage({
      sequence: this.counters.outputMessages,
      deviceId: info.deviceId,
      moduleId: info.moduleId,
      topic: packet.topic,
      propertyBag,
      payload,
      qos: packet.qos,
      receivedAt: new Date(),
    });
    this.messages.push(message);
    if (this.messages.length > this.maxRecordedMessages) this.messages.shift();
    this.emit("message", message);
  }

  private answerTwinGet(moduleId: string, rid: string): void {
    this.counters.twinGets++;
    const failStatus = this.failingTwinGets.get(moduleId);
    if (failStatus !== undefined) {
      this.failingTwinGets.delete(moduleId);
      const delivered = this.deliver(moduleId, topics.twinResponse(failStatus, rid), Buffer.alloc(0));
      this.emit("twin", { kind: "get", moduleId, rid, delivered });
      return;
    }
    const body = Buffer.from(JSON.stringify(this.twin(moduleId)), "utf8");
    const delivered = this.deliver(moduleId, topics.twinResponse(200, rid), body);
    this.emit("twin", { kind: "get", moduleId, rid, delivered });
  }

  /** The module's next twin GET is answered with `status` and an empty body. */
  failNextTwinGet(moduleId: string, status: number): void {
    this.failingTwinGets.set(moduleId, status);
  }

  private applyReportedPatch(moduleId: string, rid: string, payload: Buffer): void {
    this.counters.reportedPatches++;
    let version: number;
    try {
      version = this.twinOf(moduleId).patchReported(JSON.parse(payload.toString("utf8")));
    } catch (error) {
      if (!(error instanceof SyntaxError || error instanceof TwinPatchError)) throw error;
      this.log("warn", `refused reported patch from ${moduleId}: ${error.message}`);
      // a body with errorCode makes the SDK reject the update (an empty one would crash it, iot-edge.md 3)
      const body = Buffer.from(JSON.stringify({ errorCode: 400004, message: error.message }), "utf8");
      const delivered = this.deliver(moduleId, topics.twinResponse(400, rid), body);
      this.emit("twin", { kind: "reported", moduleId, rid, status: 400, delivered });
      return;
    }
    const delivered = this.deliver(moduleId, topics.twinResponse(204, rid, version), Buffer.alloc(0));
    this.emit("twin", { kind: "reported", moduleId, rid, status: 204, version, delivered });
  }
}
