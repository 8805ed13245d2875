import type { MqttClient } from "mqtt";
import type { MqttConfig } from "../../config/schema.js";
import type { Logger } from "../../log/logger.js";
import { MEASUREMENT_FIELDS } from "../../reading/fields.js";
import type { Reading } from "../../reading/reading.js";
import { serialiseReading } from "../../reading/serialise.js";
import { backoffMs } from "../../runtime/timeouts.js";
import { DeliveryQueue, type QueueLimits, type QueuePersistence } from "../deliveryQueue.js";
import type { BridgeEvent, InverterStatusReport, Output, OutputHealth } from "../output.js";
import { discoveryPayload } from "./homeAssistant.js";
import { mqttClientOptions } from "./mqttClientOptions.js";
import { isPublishableTopic, legacyPayload, MqttTopics, perValueMessages } from "./mqttTopics.js";

export interface MqttMessage {
  topic: string;
  payload: string;
  retain: boolean;
  /** Readings expire (MQTT v5) so a late subscriber is not handed stale data as live. */
  expires: boolean;
}

/** CONNACK codes that mean wrong or missing credentials (MQTT 3.1.1: 4, 5; MQTT 5: 134, 135). */
const AUTH_CODES = new Set([4, 5, 134, 135]);
/** The broker does not speak MQTT 5 (CONNACK 1 in 3.1.1, 132 in 5): fall back to 3.1.1. */
const VERSION_CODES = new Set([1, 132]);
const ONLINE_STATES = new Set(["producing", "idle"]);

/**
 * The stand-alone bridge's output to an MQTT broker: retained bridge and inverter state, the reading on every
 * poll, optional per-value and legacy topics, Home Assistant discovery. Delivery is QoS 1 from a bounded queue,
 * oldest first; MQTT.js reconnects forever, the period stretched with backoff (long after refused credentials).
 */
export class MqttOutput implements Output {
  readonly name = "mqtt";
  private client: MqttClient | null = null;
  private readonly topics: MqttTopics;
  private readonly queue: DeliveryQueue<MqttMessage>;
  private readonly discovered = new Map<string, string>();
  private readonly lastReading = new Map<string, Reading>();
  private readonly lastStatus = new Map<string, InverterStatusReport>();
  private connected = false;
  private everConnected = false;
  private sending = false;
  private stopped = false;
  private delivered = 0;
  private failures = 0;
  private authRefused = false;
  private protocolVersion: 4 | 5 = 5;
  private lastProblem = "not connected yet";

  constructor(
    private readonly config: MqttConfig,
    private readonly log: Logger,
    limits: QueueLimits,
    persistence?: QueuePersistence<MqttMessage>,
  ) {
    this.topics = new MqttTopics(config.topic, config.discoveryPrefix, config.will);
    this.queue = new DeliveryQueue(limits, Date.now, persistence);
  }

  async start(): Promise<void> {
    const mqtt = await import("mqtt");
    const client = mqtt.connect(mqttClientOptions(this.config, this.topics, this.protocolVersion));
    this.client = client;
    client.on("connect", () => this.onConnect(client));
    client.on("message", (topic, payload) => this.onMessage(topic, payload.toString("utf8")));
    client.on("error", (error) => this.onError(client, error));
    client.on("close", () => this.onClose(client));
  }

  async stop(deadlineMs: number): Promise<void> {
    this.stopped = true;
    const client = this.client;
    if (client === null) return;
    const until = Date.now() + deadlineMs;
    while (this.queue.size > 0 && this.connected && Date.now() < until) {
      await this.flush();
      if (this.queue.size > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (this.connected) {
      // A clean disconnect sends no will: say offline ourselves.
      await Promise.race([
        this.publishNow({ topic: this.topics.bridgeState, payload: "offline", retain: true, expires: false }),
        new Promise((resolve) => setTimeout(resolve, Math.max(100, until - Date.now()))),
      ]).catch(() => undefined);
    }
    this.queue.close();
    // While the broker is away, a graceful end never completes: give it a moment, then force it.
    const ended = await Promise.race([
      client.endAsync(false).then(
        () => true,
        () => true,
      ),
      new Promise<false>((resolve) => setTimeout(() => resolve(false), 1000)),
    ]);
    if (!ended) client.end(true);
  }

  publishReading(reading: Reading): void {
    const id = reading.inverter;
    this.lastReading.set(id, reading);
    this.sendDiscovery(reading, false);
    if (this.config.payloadFormat !== "legacy") {
      this.enqueue({
        topic: this.topics.state(id),
        payload: serialiseReading(reading),
        retain: true,
        expires: true,
      });
    }
    if (this.config.payloadFormat !== "json") {
      this.enqueue({
        topic: this.topics.legacy,
        payload: legacyPayload(reading),
        retain: false,
        expires: true,
      });
    }
    if (this.config.perValueTopics) {
      for (const [field, value] of perValueMessages(reading)) {
        this.enqueue({ topic: this.topics.value(id, field), payload: value, retain: true, expires: true });
      }
    }
  }

  publishInverterStatus(status: InverterStatusReport): void {
    this.lastStatus.set(status.inverter, status);
    this.enqueueStatus(status);
  }

  publishEvent(event: BridgeEvent): void {
    const payload = JSON.stringify({ ...event, inverter: event.subject ?? null });
    this.enqueue({ topic: `${this.topics.base}/bridge/event`, payload, retain: false, expires: false });
  }

  health(): OutputHealth {
    return {
      state: this.stopped ? "stopped" : this.connected ? "connected" : "connecting",
      queued: this.queue.size,
      dropped: this.queue.dropped,
      delivered: this.delivered,
      message: this.connected ? `connected to ${this.config.host}:${this.config.port}` : this.lastProblem,
    };
  }

  private enqueueStatus(status: InverterStatusReport): void {
    const { inverter: id, state, since, last_seen, message } = status;
    if (state === "starting") return;
    const availability = ONLINE_STATES.has(state) ? "online" : "offline";
    this.enqueue({
      topic: this.topics.availability(id),
      payload: availability,
      retain: true,
      expires: false,
    });
    const payload = JSON.stringify({ state, since, last_seen, message });
    this.enqueue({ topic: this.topics.status(id), payload, retain: true, expires: false });
  }

  /** Discovery for an inverter: on its first reading, when its fields change, and when Home Assistant restarts. */
  private sendDiscovery(reading: Reading, force: boolean): void {
    if (!this.config.discovery) return;
    // What discovery depends on: built and compared cheaply on every reading, the payload only when it changes.
    const signature = `${reading.model}|${reading.name}|${MEASUREMENT_FIELDS.map((f) => (reading[f.key] === undefined ? 0 : 1)).join("")}`;
    if (!force && this.discovered.get(reading.inverter) === signature) return;
    this.discovered.set(reading.inverter, signature);
    const payload = discoveryPayload(this.topics, reading);
    this.enqueue({ topic: this.topics.discovery(reading.inverter), payload, retain: true, expires: false });
  }

  private enqueue(message: MqttMessage): void {
    if (!isPublishableTopic(message.topic)) {
      this.log.error(`refusing to publish to '${message.topic}': a topic must not contain + or #`);
      return;
    }
    this.queue.push(message);
    if (this.connected && !this.sending) void this.flush();
  }

  private onConnect(client: MqttClient): void {
    if (client !== this.client) return;
    this.connected = true;
    this.failures = 0;
    this.authRefused = false;
    client.options.reconnectPeriod = 1000;
    this.log.info(
      `connected to MQTT broker ${this.config.host}:${this.config.port} (MQTT ${this.protocolVersion === 5 ? "5" : "3.1.1"})`,
    );
    const online = (topic: string) =>
      this.publishNow({ topic, payload: "online", retain: true, expires: false });
    void online(this.topics.bridgeState).catch(() => undefined);
    if (this.topics.bridgeState !== this.topics.bridgeStateDefault) {
      void online(this.topics.bridgeStateDefault).catch(() => undefined);
    }
    if (this.config.discovery) {
      client.subscribe(this.topics.homeAssistantStatus, { qos: 1 }, (error) => {
        if (error) this.log.warn("cannot subscribe to Home Assistant's status", error);
      });
    }
    if (this.everConnected) {
      // A broker restarted without persistence forgot the retained state: send it again.
      for (const status of this.lastStatus.values()) this.enqueueStatus(status);
      for (const reading of this.lastReading.values()) this.sendDiscovery(reading, true);
    }
    this.everConnected = true;
    void this.flush();
  }

  private onMessage(topic: string, payload: string): void {
    if (topic === this.topics.homeAssistantStatus && payload === "online") {
      this.log.info("Home Assistant is online: sending discovery again");
      for (const reading of this.lastReading.values()) this.sendDiscovery(reading, true);
    }
  }

  private onError(client: MqttClient, error: Error & { code?: number | string }): void {
    if (client !== this.client) return;
    const code = typeof error.code === "number" ? error.code : -1;
    if (VERSION_CODES.has(code) && this.protocolVersion === 5) {
      this.log.info("the MQTT broker does not speak MQTT 5: using 3.1.1");
      this.protocolVersion = 4;
      client.options.protocolVersion = 4;
      return;
    }
    if (AUTH_CODES.has(code)) {
      if (!this.authRefused) {
        this.log.error(
          `the MQTT broker refused the credentials (${error.message}): check MQTT_USERNAME/MQTT_PASSWORD; retrying slowly`,
        );
      }
      this.authRefused = true;
    } else if (this.failures === 0) {
      this.log.warn(
        `MQTT broker ${this.config.host}:${this.config.port} unreachable; retrying with backoff`,
        error,
      );
    }
    this.lastProblem = error.message;
  }

  private onClose(client: MqttClient): void {
    if (client !== this.client) return;
    if (this.connected && !this.stopped)
      this.log.warn("connection to the MQTT broker lost; readings wait in the queue");
    this.connected = false;
    this.failures++;
    client.options.reconnectPeriod = this.authRefused
      ? backoffMs(Math.min(this.failures, 4), 60_000, 10 * 60_000)
      : backoffMs(this.failures - 1, 1000, 30_000);
  }

  private publishNow(message: MqttMessage): Promise<void> {
    const client = this.client;
    if (client === null) return Promise.reject(new Error("no client"));
    const properties =
      message.expires && this.protocolVersion === 5
        ? { messageExpiryInterval: this.config.messageExpirySeconds }
        : undefined;
    return client
      .publishAsync(message.topic, message.payload, {
        qos: 1,
        retain: message.retain,
        ...(properties ? { properties } : {}),
      })
      .then(() => undefined);
  }

  private async flush(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.connected && this.queue.size > 0) {
        const batch = this.queue.take(64);
        const results = await Promise.allSettled(batch.map((entry) => this.publishNow(entry.item)));
        const failed = batch.filter((_, i) => results[i]?.status === "rejected");
        this.queue.ack(batch.filter((_, i) => results[i]?.status === "fulfilled"));
        this.delivered += batch.length - failed.length;
        if (failed.length > 0) {
          this.queue.requeue(failed);
          break;
        }
      }
    } finally {
      this.sending = false;
    }
  }
}
