/**
 * The failures a module must survive, on command: cut connections, an outage, an edgeHub restart with or
 * without its session state. Each resolves only once edgeHub's own state shows the failure (the broker
 * learns of a cut socket asynchronously), so a test can assert right after the `await`.
 */
import type { Client } from "aedes";
import type { ConditionWaiters } from "./conditionWaiters.js";
import type { EdgeHubProtocol } from "./edgeHubProtocol.js";
import type { EmulatorLog, TlsMqttServer } from "./tlsMqttServer.js";

const SETTLE_TIMEOUT_MS = 5000;

export class EdgeHubFaults {
  constructor(
    private readonly mqtt: TlsMqttServer,
    private readonly protocol: EdgeHubProtocol,
    private readonly waiters: ConditionWaiters,
    private readonly log: EmulatorLog,
  ) {}

  async dropConnections(): Promise<number> {
    const connections = this.protocol.connections.liveConnections();
    const dropped = this.mqtt.dropConnections();
    await this.untilGone(connections);
    this.log("info", `dropped ${dropped} connection(s)`);
    return dropped;
  }

  async pause(): Promise<void> {
    const connections = this.protocol.connections.liveConnections();
    await this.mqtt.closeListener();
    await this.untilGone(connections);
    this.log("info", "paused: refusing connections");
  }

  async resume(): Promise<void> {
    await this.mqtt.listen();
    this.log("info", `resumed on 127.0.0.1:${this.mqtt.port}`);
  }

  async restart(loseSessions: boolean): Promise<void> {
    const connections = this.protocol.connections.liveConnections();
    await this.mqtt.closeListener();
    await this.untilGone(connections);
    if (loseSessions) {
      await this.mqtt.replaceBroker();
      this.protocol.connections.sessions.forgetAll();
    }
    await this.mqtt.listen();
    this.log("info", `restarted on 127.0.0.1:${this.mqtt.port} (sessions ${loseSessions ? "lost" : "kept"})`);
    this.waiters.notify();
  }

  /** Until the broker has reported every one of `connections` as disconnected. */
  private async untilGone(connections: ReadonlySet<Client>): Promise<void> {
    await this.waiters.waitUntil(
      () => {
        const live = this.protocol.connections.liveConnections();
        return [...connections].every((client) => !live.has(client)) ? true : undefined;
      },
      SETTLE_TIMEOUT_MS,
      `${connections.size} dropped connection(s) to close`,
    );
  }
}
