import type { Logger } from "../../log/logger.js";
import { backoffMs } from "../../lib/timeouts.js";
import {
  FULL_OFFER,
  lackFromRefusal,
  offerFromConnack,
  REASON,
  reasonText,
  WHAT_IS_LOST,
  type BrokerOffer,
  type ConnackProperties,
} from "./brokerAnswers.js";

/** CONNACK codes that mean wrong or missing credentials (MQTT 3.1.1: 4, 5; MQTT 5: 134, 135). */
const AUTH_CODES = new Set([4, 5, 134, 135]);
/** The broker does not speak MQTT 5 (CONNACK 1 in 3.1.1, 132 in 5): fall back to 3.1.1. */
const VERSION_CODES = new Set([1, 132]);
const CONNACK_311: Readonly<Record<number, string>> = {
  2: "identifier rejected",
  3: "server unavailable",
};
/** A connection that lasted this long ends a run of take-overs. */
const STABLE_MS = 60_000;
/**
 * A connection the broker ends sooner than this, without a reason or a socket error and with no message in flight,
 * may have been taken over: mosquitto 2.0 closes the older connection silently, in MQTT 5 too (no DISCONNECT 0x8E).
 */
const SHORT_MS = 30_000;
const TAKEOVER_CAP_MS = 5 * 60_000;
/** Reconnecting right away: we changed what we ask for, the broker has not gone anywhere. */
const AT_ONCE_MS = 100;

/**
 * Reads the broker's answers to the connection itself (CONNACK, DISCONNECT, a hang-up) and decides what the next
 * attempt asks for (protocol version, QoS, retain), how long to wait for it, and what to tell the log, once.
 */
export class ConnectionWatch {
  protocolVersion: 4 | 5 = 5;
  offer: BrokerOffer = { ...FULL_OFFER };
  lastProblem = "not connected yet";
  connected = false;
  private connectedAt = 0;
  private failures = 0;
  private authRefused = false;
  /** The delay before the next attempt is set for this one. */
  private decided = false;
  private disconnectReason: number | null = null;
  private takeovers = 0;
  private diagnosed = false;
  private silentRefusals = 0;
  private errorThisAttempt = false;
  private unanswered = false;
  private readonly told = new Set<string>();

  constructor(
    private readonly log: Logger,
    private readonly endpoint: string,
    private readonly clientId: string,
    private readonly now: () => number = () => performance.now(),
  ) {}

  onConnect(properties: ConnackProperties | undefined): void {
    this.connected = true;
    this.connectedAt = this.now();
    this.failures = 0;
    this.authRefused = false;
    this.silentRefusals = 0;
    this.disconnectReason = null;
    this.errorThisAttempt = false;
    this.decided = false;
    const before = this.offer;
    if (this.protocolVersion === 5) this.offer = offerFromConnack(this.offer, properties);
    if (before.retain && !this.offer.retain)
      this.once("retain", `${WHAT_IS_LOST.retain} (the broker says so)`);
    if (before.maxQos > this.offer.maxQos) this.once("qos", `${WHAT_IS_LOST.qos} (the broker says so)`);
    const line = `connected to MQTT broker ${this.endpoint} (MQTT ${this.protocolVersion === 5 ? "5" : "3.1.1"})`;
    // After a diagnosed take-over, each reconnect is part of the story already told.
    if (this.takeovers >= 2) this.log.debug(line);
    else this.log.info(line);
  }

  onDisconnectPacket(reasonCode: number | undefined): void {
    this.disconnectReason = reasonCode ?? null;
  }

  /** We are dropping the connection ourselves: a publish went unanswered past its deadline. */
  onUnanswered(): void {
    this.unanswered = true;
  }

  /** MQTT.js starts another attempt. */
  onAttempt(): void {
    this.decided = false;
    this.errorThisAttempt = false;
  }

  /**
   * An error from MQTT.js. A refused CONNACK ends the attempt and MQTT.js schedules the next one right after this
   * event: the delay is returned then (null for other errors, whose attempt ends with its close).
   */
  onError(error: Error & { code?: number | string }): number | null {
    this.errorThisAttempt = true;
    this.lastProblem = error.message;
    const code = typeof error.code === "number" ? error.code : null;
    if (this.connected) {
      // The connection's fate shows in the sends (deadline, PUBACK) and in its close; this is detail.
      this.log.debug(`MQTT client error while connected: ${error.message}`);
      return null;
    }
    if (code === null) {
      if (this.failures === 0)
        this.log.warn(`MQTT broker ${this.endpoint} unreachable; retrying with backoff`, error);
      return null;
    }
    this.decided = true;
    if (VERSION_CODES.has(code) && this.protocolVersion === 5) {
      this.log.info("the MQTT broker does not speak MQTT 5: using 3.1.1");
      this.protocolVersion = 4;
      this.offer = { ...this.offer, maxPacketSize: null, receiveMaximum: FULL_OFFER.receiveMaximum };
      return AT_ONCE_MS;
    }
    const lack = lackFromRefusal(code);
    if (lack !== null) {
      this.offer = lack === "retain" ? { ...this.offer, retain: false } : { ...this.offer, maxQos: 0 };
      this.once(lack, `${WHAT_IS_LOST[lack]} (it refused the connection: ${reasonText(code)})`);
      return AT_ONCE_MS;
    }
    if (AUTH_CODES.has(code)) {
      if (!this.authRefused) {
        this.log.error(
          `the MQTT broker refused the credentials (${error.message}): check MQTT_USERNAME/MQTT_PASSWORD; retrying slowly`,
        );
      }
      this.authRefused = true;
    } else {
      const why =
        this.protocolVersion === 5 ? reasonText(code) : (CONNACK_311[code] ?? `return code ${code}`);
      this.once(
        `refused ${code}`,
        `the MQTT broker ${this.endpoint} refused the connection: ${why}; retrying with backoff`,
      );
    }
    return this.failed();
  }

  /**
   * The connection (or the attempt) ended; called before MQTT.js schedules the next attempt. The delay until then,
   * or null when the attempt's refusal decided it already.
   */
  onClose(stopped: boolean, messagesInFlight: boolean): number | null {
    const wasConnected = this.connected;
    this.connected = false;
    const silent = !this.errorThisAttempt;
    const reason = this.disconnectReason;
    this.disconnectReason = null;
    const unanswered = this.unanswered;
    this.unanswered = false;
    if (this.decided) return null;
    this.decided = true;
    if (wasConnected && unanswered) {
      this.once("unanswered", "the MQTT broker left a message unanswered: replacing the connection");
      this.lastProblem = "a message went unanswered";
      return AT_ONCE_MS;
    }
    if (wasConnected) return stopped ? 0 : this.afterConnection(reason, silent && !messagesInFlight);
    if (silent && this.protocolVersion === 4 && this.silentRefused()) return AT_ONCE_MS;
    return this.failed();
  }

  private failed(): number {
    // Not let back in at once: whatever ended the last connection, it was no take-over.
    this.takeovers = 0;
    this.failures++;
    return this.authRefused
      ? backoffMs(Math.min(this.failures, 4), 60_000, 10 * 60_000)
      : backoffMs(this.failures - 1, 1000, 30_000);
  }

  /**
   * A take-over shows as connections the broker ends soon after accepting them while it lets us back in at once.
   * One such end is an ordinary loss (a broker restarting looks the same); the second in a row is diagnosed, and
   * from then on reconnects back off exponentially and are logged at debug level only.
   */
  private afterConnection(reason: number | null, unexplained: boolean): number {
    const lasted = this.now() - this.connectedAt;
    if (lasted >= STABLE_MS) {
      this.takeovers = 0;
      this.diagnosed = false;
    }
    const certain = reason === REASON.takenOver;
    const who = `another client with this id (${this.clientId}) connected`;
    if (!certain && !(reason === null && unexplained && lasted < SHORT_MS)) {
      this.takeovers = 0;
      const why = reason === null ? "" : ` (${reasonText(reason)})`;
      this.log.warn(`connection to the MQTT broker lost${why}; readings wait in the queue`);
      this.failures = 1;
      return backoffMs(0, 1000, 30_000);
    }
    this.takeovers++;
    if (this.takeovers === 1) {
      this.log.warn(
        certain
          ? `the MQTT broker ended this connection: ${who} (session taken over); reconnecting`
          : "connection to the MQTT broker lost; readings wait in the queue",
      );
    } else if (!this.diagnosed) {
      this.diagnosed = true;
      const advice =
        "give each bridge its own MQTT_CLIENT_ID (or leave it unset: the default is unique per instance); reconnecting with backoff";
      this.log.error(
        certain
          ? `${who} twice in a row and the broker handed it this session (session taken over): ${advice}`
          : `the MQTT broker ended this connection twice in a row soon after accepting it, giving no reason: probably ${who} (mosquitto closes the older connection without a word); ${advice}`,
      );
    } else {
      this.log.debug(`connection ended again soon after connecting (${this.takeovers} in a row)`);
    }
    if (this.takeovers >= 2)
      this.lastProblem = `the session was taken over (${this.takeovers} in a row): another client uses the id ${this.clientId}?`;
    return backoffMs(this.takeovers - 1, 1000, TAKEOVER_CAP_MS);
  }

  /**
   * MQTT 3.1.1 has no code for "your will asks too much": mosquitto (max_qos 0, retain_available false) closes the
   * connection right after CONNECT without a CONNACK. Twice in a row, without a socket error, the next attempts
   * ask for QoS 0 and no retain, will included; being let in then shows that this was the reason.
   */
  private silentRefused(): boolean {
    if (this.offer.maxQos === 0 && !this.offer.retain) return false;
    if (++this.silentRefusals < 2) return false;
    this.offer = { ...this.offer, maxQos: 0, retain: false };
    this.once(
      "retain",
      `the MQTT broker closed the connection twice right after CONNECT without an answer (MQTT 3.1.1 gives no reason), as brokers do when they refuse a QoS 1 or retained will; trying QoS 0 without retain: ${WHAT_IS_LOST.retain}`,
    );
    return true;
  }

  private once(key: string, line: string): void {
    if (this.told.has(key)) return;
    this.told.add(key);
    this.log.warn(line);
  }
}
