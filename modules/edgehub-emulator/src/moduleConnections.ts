/**
 * Which connection each module has now, its session, and sending to it. All modules share the `$iothub/...`
 * topics, so the emulator sends to one connection (`client.publish`) and only if the module's session holds
 * a matching subscription: a real edgeHub never sends on a subscription the module lost.
 */
import type { Client, PublishPacket } from "aedes";
import type { ConnectionInfo } from "./connectAuthentication.js";
import type { ModuleConnectionState } from "./edgeHubEvents.js";
import { SessionStore } from "./sessionStore.js";
import type { EmulatorLog } from "./tlsMqttServer.js";

interface LiveModule {
  client: Client | undefined;
  info: ConnectionInfo | undefined;
  connectCount: number;
  disconnectCount: number;
}

export class ModuleConnections {
  readonly sessions = new SessionStore();
  private readonly live = new Map<string, LiveModule>();

  constructor(
    private readonly deviceId: string,
    private readonly log: EmulatorLog,
  ) {}

  /** The broker registered a module's connection (just before its CONNACK). */
  opened(client: Client, info: ConnectionInfo): void {
    const live = this.liveModule(info.moduleId);
    live.client = client;
    live.info = info;
    live.connectCount++;
  }

  /** The broker dropped a connection. False if it was an older one the module had already replaced. */
  closed(client: Client, info: ConnectionInfo): boolean {
    const live = this.liveModule(info.moduleId);
    if (live.client !== client) return false;
    live.client = undefined;
    live.disconnectCount++;
    this.sessions.disconnected(client.id, client.clean);
    return true;
  }

  isConnected(moduleId: string): boolean {
    return this.live.get(moduleId)?.client !== undefined;
  }

  state(moduleId: string): ModuleConnectionState {
    const live = this.liveModule(moduleId);
    return {
      moduleId,
      connected: live.client !== undefined,
      connectCount: live.connectCount,
      disconnectCount: live.disconnectCount,
      subscriptions: this.sessions.subscriptions(`${this.deviceId}/${moduleId}`),
      lastConnection: live.info,
    };
  }

  /** The module connections held now: a different object is a new connection. */
  liveConnections(): Set<Client> {
    return new Set(
      [...this.live.values()].flatMap((live) => (live.client === undefined ? [] : [live.client])),
    );
  }

  /** Sends to the module's connection if its session subscribes to `topic`; false if it went nowhere. */
  deliver(moduleId: string, topic: string, payload: Buffer): boolean {
    const client = this.live.get(moduleId)?.client;
    const subscription = client === undefined ? undefined : this.sessions.match(client.id, topic);
    if (client === undefined || subscription === undefined) {
      this.log("debug", `not delivered to ${moduleId} (offline or not subscribed): ${topic}`);
      return false;
    }
    const packet: PublishPacket = {
      cmd: "publish",
      topic,
      payload,
      qos: subscription.qos >= 1 ? 1 : 0, // IoT Hub has no QoS 2
      retain: false,
      dup: false,
    };
    client.publish(packet, (error) => {
      if (error !== undefined && error !== null)
        this.log("debug", `send to ${moduleId} failed: ${error.message}`);
    });
    return true;
  }

  private liveModule(moduleId: string): LiveModule {
    let live = this.live.get(moduleId);
    if (live === undefined) {
      live = { client: undefined, info: undefined, connectCount: 0, disconnectCount: 0 };
      this.live.set(moduleId, live);
    }
    return live;
  }
}
