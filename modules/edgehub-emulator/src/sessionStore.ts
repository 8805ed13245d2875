/**
 * edgeHub's view of each module's MQTT session: the topic filters it subscribed to. A `clean: false` session
 * outlives its connection (the SDK always connects with `clean: false`), a clean one ends with it, and an
 * edgeHub restart that loses its state forgets them all.
 *
 * Why not ask aedes: the `$iothub/...` topics are shared by every module, so the emulator answers a module
 * with `client.publish` (to that connection only) and needs to know, by documented events, whether that
 * module is subscribed. aedes keeps the same subscriptions in its own persistence for session resumption;
 * both are fed by the same SUBSCRIBE/UNSUBSCRIBE packets and the same authorisation rule.
 */
import { topicMatches } from "./iothubTopics.js";

export interface SessionSubscription {
  readonly filter: string;
  readonly qos: number;
}

export class SessionStore {
  private readonly sessions = new Map<string, Map<string, number>>();

  /** A connection was accepted: a clean one starts from nothing, a persistent one resumes what it had. */
  connected(clientId: string, clean: boolean): { sessionPresent: boolean } {
    const existing = this.sessions.get(clientId);
    if (clean || existing === undefined) {
      this.sessions.set(clientId, new Map());
      return { sessionPresent: false };
    }
    return { sessionPresent: existing.size > 0 };
  }

  /** A connection ended; only a clean session ends with it. */
  disconnected(clientId: string, clean: boolean): void {
    if (clean) this.sessions.delete(clientId);
  }

  subscribed(clientId: string, filter: string, qos: number): void {
    let session = this.sessions.get(clientId);
    if (session === undefined) {
      session = new Map();
      this.sessions.set(clientId, session);
    }
    session.set(filter, qos);
  }

  unsubscribed(clientId: string, filter: string): void {
    this.sessions.get(clientId)?.delete(filter);
  }

  subscriptions(clientId: string): SessionSubscription[] {
    return [...(this.sessions.get(clientId) ?? new Map<string, number>())].map(([filter, qos]) => ({
      filter,
      qos,
    }));
  }

  /** The highest-QoS subscription of `clientId` that matches `topic`, if any. */
  match(clientId: string, topic: string): SessionSubscription | undefined {
    let best: SessionSubscription | undefined;
    for (const subscription of this.subscriptions(clientId)) {
      if (topicMatches(subscription.filter, topic) && (best === undefined || subscription.qos > best.qos)) {
        best = subscription;
      }
    }
    return best;
  }

  /** edgeHub restarted without its state: every session and subscription is gone. */
  forgetAll(): void {
    this.sessions.clear();
  }
}
