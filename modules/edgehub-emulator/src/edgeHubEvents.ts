/**
 * What the emulator tells its users: the per-module connection state, the events it emits (each also
 * re-checks pending `waitUntil` conditions) and its counters.
 */
import type { ConnectionInfo } from "./connectAuthentication.js";
import type { OutputMessage } from "./outputMessage.js";
import type { SessionSubscription } from "./sessionStore.js";

export interface ModuleConnectionState {
  readonly moduleId: string;
  readonly connected: boolean;
  /** Accepted CONNECTs so far; grows by one per (re)connection. */
  readonly connectCount: number;
  readonly disconnectCount: number;
  /** The subscriptions of the module's session, as edgeHub holds them now. */
  readonly subscriptions: readonly SessionSubscription[];
  readonly lastConnection: ConnectionInfo | undefined;
}

export type TwinActivity =
  | { kind: "get"; moduleId: string; rid: string; delivered: boolean }
  | { kind: "reported"; moduleId: string; rid: string; status: number; version?: number; delivered: boolean }
  | { kind: "desired"; moduleId: string; version: number; delivered: boolean };

/** The emulator's events; every one of them is also a moment at which `waitUntil` conditions are re-checked. */
export interface EdgeHubEvents {
  connect: [ConnectionInfo];
  refused: [{ clientId: string; reason: string }];
  disconnect: [{ moduleId: string }];
  subscribe: [{ moduleId: string; filter: string; qos: number }];
  unsubscribe: [{ moduleId: string; filter: string }];
  message: [OutputMessage];
  twin: [TwinActivity];
}

export type EmitEdgeHubEvent = <K extends keyof EdgeHubEvents>(event: K, ...args: EdgeHubEvents[K]) => void;

export interface EdgeHubCounters {
  connectsAccepted: number;
  connectsRefused: number;
  disconnects: number;
  outputMessages: number;
  twinGets: number;
  reportedPatches: number;
  desiredPatches: number;
  methodCalls: number;
  /** Replies, patches and method requests dropped because the module was offline or not subscribed. */
  undeliverable: number;
  /** Publishes refused because they left the module's own topics (the connection is closed for them). */
  forbiddenPublishes: number;
}
