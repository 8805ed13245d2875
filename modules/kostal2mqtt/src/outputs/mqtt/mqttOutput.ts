import { dirname } from "node:path";
import type { IConnackPacket, MqttClient } from "mqtt";
import type { MqttConfig } from "../../config/schema.js";
import { newMqttClient } from "../../lib/mqttClient.js";
import type { Logger } from "../../log/logger.js";
import { MEASUREMENT_FIELDS } from "../../reading/fields.js";
import type { Reading } from "../../reading/reading.js";
import { DeliveryQueue, type QueueLimits, type QueuePersistence } from "../deliveryQueue.js";
import type {
  BridgeEvent,
  HistoryMessage,
  InverterStatusReport,
  Output,
  OutputHealth,
} from "../../ports/output.js";
import { PublishRejected } from "../outputErrors.js";
import { clientIdFor } from "./clientId.js";
import { ConnectionWatch } from "./connectionWatch.js";
import { discoveryPayload } from "./homeAssistant.js";
import { lastWill, mqttClientOptions } from "./mqttClientOptions.js";
import {
  eventMessage,
  historyMessage,
  isMqttMessage,
  readingMessages,
  statusMessages,
} from "./mqttMessages.js";
import { isPublishableTopic, MqttTopics } from "./mqttTopics.js";
import { acceptEveryPubackReasonCode } from "./pubackCodes.js";
import { Publisher, type MqttMessage } from "./publisher.js";
import { ReadBack } from "./readBack.js";
import type { SendLoop } from "../sendLoop.js";
import { mqttSendLoop, Rejections } from "./sendLoop.js";

export type { MqttMessage } from "./publisher.js";

/**
 * How long a publish may wait for its PUBACK. Longer, and the connection is taken for broken and replaced; the
 * message stays queued (a second time unanswered while sent alone, it is dropped as one the broker cannot take).
 * Not a setting: ten seconds is an eternity for a broker and short against a poll interval. Tests pass their own.
 */
export const PUBLISH_DEADLINE_MS = 10_000;

export interface MqttOutputOptions {
  /** The instance's data folder (the default client id's suffix is kept there); else the queue file's folder. */
  dataDir?: string | null;
  publishDeadlineMs?: number;
}

/**
 * The stand-alone bridge's output to an MQTT broker: retained bridge and inverter state, the reading on every
 * poll, optional per-value and legacy topics, Home Assistant discovery. Delivery is QoS 1 from a bounded queue,
 * oldest first, as far as the broker offers QoS 1 and retain; what it refuses for good is dropped and said once.
 */
export class MqttOutput implements Output {
  readonly name = "mqtt";
  private client: MqttClient | null = null;
  private readonly topics: MqttTopics;
  private readonly queue: DeliveryQueue<MqttMessage>;
  private readonly publisher: Publisher;
  private readonly rejections: Rejections;
  private readonly sender: SendLoop<MqttMessage>;
  private readonly readBack: ReadBack;
  private watch: ConnectionWatch | null = null;
  private readonly discovered = new Map<string, string>();
  private readonly lastReading = new Map<string, Reading>();
  private readonly lastStatus = new Map<string, InverterStatusReport>();
  /** Connected and neither stopping nor doubting the connection: sends may go out. */
  private sendable = false;
  private everConnected = false;
  private stopped = false;
  private readonly dataDir: string | null;

  constructor(
    private readonly config: MqttConfig,
    private readonly log: Logger,
    limits: QueueLimits,
    persistence?: QueuePersistence<MqttMessage>,
    options: MqttOutputOptions = {},
  ) {
    this.topics = new MqttTopics(config.topic, config.discoveryPrefix, config.will);
    // What a restart reads back is input like any other: an entry that is not a sendable message is moved aside.
    this.queue = new DeliveryQueue(
      limits,
      Date.now,
      persistence && { ...persistence, validate: isMqttMessage },
    );
    const queuePath = persistence?.file.path ?? null;
    this.dataDir =
      options.dataDir !== undefined ? options.dataDir : queuePath === null ? null : dirname(queuePath);
    this.publisher = new Publisher(
      options.publishDeadlineMs ?? PUBLISH_DEADLINE_MS,
      config.messageExpirySeconds,
      (client) => this.onUnanswered(client),
    );
    const rejections = new Rejections(log);
    this.rejections = rejections;
    this.readBack = new ReadBack(log, (rejection, message) => rejections.record(rejection, message));
    this.sender = mqttSendLoop({
      queue: this.queue,
      publisher: this.publisher,
      client: () => this.sendableClient(),
      rejections,
      log,
      onDelivered: (message) => this.readBack.acknowledged(message),
    });
  }

  /** Connects in the background; a configuration fault (an unreadable TLS file) rejects. */
  start(): Promise<void> {
    try {
      this.connect();
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  private connect(): void {
    const notPatched = acceptEveryPubackReasonCode();
    if (notPatched !== null)
      this.log.debug(`PUBACK codes MQTT.js cannot read are left to the send deadline: ${notPatched}`);
    const clientId = clientIdFor(this.config.clientId, this.dataDir, (message) => this.log.warn(message));
    const watch = new ConnectionWatch(this.log, `${this.config.host}:${this.config.port}`, clientId);
    this.watch = watch;
    const client = newMqttClient(
      mqttClientOptions(this.config, this.topics, watch.protocolVersion, clientId, watch.offer),
    );
    this.client = client;
    client.on("connect", (connack) => this.onConnect(client, watch, connack));
    client.on("message", (topic, payload) => this.onMessage(topic, payload.toString("utf8")));
    client.on("disconnect", (packet) => watch.onDisconnectPacket(packet.reasonCode));
    client.on("reconnect", () => watch.onAttempt());
    // Both run before MQTT.js schedules the next attempt, which reads reconnectPeriod when it does.
    client.on("error", (error) => this.setReconnectPeriod(client, watch.onError(error)));
    client.prependListener("close", () => this.onClose(client, watch));
  }

  async stop(deadlineMs: number): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const client = this.client;
    if (client === null) {
      this.queue.close();
      return;
    }
    const until = performance.now() + deadlineMs;
    const left = (reserveMs = 0) => Math.max(0, until - performance.now() - reserveMs);
    // What is queued goes first, then `offline` (a clean disconnect sends no will), each within the deadline.
    if (this.sendable) await this.sender.drain(left(deadlineMs / 5));
    if (this.sendable) {
      const offline = { topic: this.topics.bridgeState, payload: "offline", retain: true, expires: false };
      await within(this.publisher.send(client, offline), left(deadlineMs / 10));
    }
    this.sendable = false;
    this.readBack.disconnected();
    // What is still in flight stays queued for the next start, and MQTT.js must not wait for its PUBACK.
    this.publisher.failAll("stopping");
    await this.sender.idle();
    this.queue.close();
    const ended = await within(
      client.endAsync(false).then(
        () => true,
        () => true,
      ),
      left(),
    );
    if (ended !== true) client.end(true);
  }

  publishReading(reading: Reading): void {
    this.lastReading.set(reading.inverter, reading);
    this.sendDiscovery(reading, false);
    for (const message of readingMessages(this.topics, this.config, reading)) this.enqueue(message);
  }

  publishInverterStatus(status: InverterStatusReport): void {
    this.lastStatus.set(status.inverter, status);
    for (const message of statusMessages(this.topics, status)) this.enqueue(message);
  }

  publishEvent(event: BridgeEvent): void {
    this.enqueue(eventMessage(this.topics, event));
  }

  publishHistory(message: HistoryMessage): void {
    this.enqueue(historyMessage(this.topics, message));
  }

  health(): OutputHealth {
    const watch = this.watch;
    const state = this.stopped ? "stopped" : watch?.connected === true ? "connected" : "connecting";
    const { maxQos, retain } = this.publisher.offer;
    const offers =
      maxQos === 1 && retain ? "" : ` (the broker takes QoS ${maxQos}${retain ? "" : ", no retain"})`;
    const health: OutputHealth = {
      state,
      queued: this.queue.size,
      dropped: this.queue.dropped,
      delivered: this.sender.delivered,
      message:
        state === "connected"
          ? `connected to ${this.config.host}:${this.config.port}${offers}`
          : state === "stopped"
            ? "stopped"
            : (watch?.lastProblem ?? "not started"),
      rejected: this.rejections.count,
    };
    if (this.rejections.last !== undefined) health.lastRejection = this.rejections.last;
    return health;
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
    if (this.rejections.refusedBefore(message)) {
      this.log.debug(`not sending ${message.topic} again: the broker refused this very message for good`);
      return;
    }
    this.queue.push(message);
    if (this.sendable) void this.sender.flush();
  }

  private sendableClient(): MqttClient | null {
    return this.sendable ? this.client : null;
  }

  private onConnect(client: MqttClient, watch: ConnectionWatch, connack: IConnackPacket): void {
    if (client !== this.client) return;
    watch.onConnect(connack.properties);
    this.publisher.offer = watch.offer;
    this.publisher.v5 = watch.protocolVersion === 5;
    this.readBack.connected(client, watch.protocolVersion === 4 && watch.offer.retain);
    this.sendable = !this.stopped;
    // `online` is about this connection: sent now, never queued for a later one.
    const online = (topic: string) => {
      const message = { topic, payload: "online", retain: true, expires: false };
      void this.publisher.send(client, message).then((outcome) => {
        if (outcome instanceof PublishRejected) this.rejections.record(outcome, message);
        else if (outcome === null) this.readBack.acknowledged(message);
      });
    };
    online(this.topics.bridgeState);
    if (this.topics.bridgeState !== this.topics.bridgeStateDefault) online(this.topics.bridgeStateDefault);
    if (this.config.discovery) {
      client.subscribe(this.topics.homeAssistantStatus, { qos: watch.offer.maxQos }, (error) => {
        // Lost with the connection, it is asked again on the next; a refusal is worth a word.
        if (error && this.sendable) this.log.warn("cannot subscribe to Home Assistant's status", error);
      });
    }
    if (this.everConnected) {
      // A broker restarted without persistence forgot the retained state: send it again.
      for (const status of this.lastStatus.values())
        for (const message of statusMessages(this.topics, status)) this.enqueue(message);
      for (const reading of this.lastReading.values()) this.sendDiscovery(reading, true);
    }
    this.everConnected = true;
    void this.sender.flush();
  }

  private onMessage(topic: string, payload: string): void {
    if (this.readBack.received(topic, payload)) return;
    if (topic === this.topics.homeAssistantStatus && payload === "online") {
      this.log.info("Home Assistant is online: sending discovery again");
      for (const reading of this.lastReading.values()) this.sendDiscovery(reading, true);
    }
  }

  /** A PUBACK overdue: the connection is replaced rather than trusted (the message stays queued, suspected). */
  private onUnanswered(client: MqttClient): void {
    if (client !== this.client || !this.sendable) return;
    this.sendable = false;
    this.watch?.onUnanswered();
    client.stream?.destroy();
  }

  private onClose(client: MqttClient, watch: ConnectionWatch): void {
    if (client !== this.client) return;
    this.sendable = false;
    this.readBack.disconnected();
    const inFlight = this.sender.inFlight > 0;
    this.publisher.failAll("connection closed");
    this.setReconnectPeriod(client, watch.onClose(this.stopped, inFlight));
  }

  private setReconnectPeriod(client: MqttClient, delayMs: number | null): void {
    if (delayMs === null || this.watch === null) return;
    client.options.reconnectPeriod = delayMs;
    // What the next attempt asks for: the broker may have told us it takes less.
    client.options.protocolVersion = this.watch.protocolVersion;
    client.options.will = lastWill(this.topics, this.watch.offer);
  }
}

/** The promise's value, or undefined once `ms` have passed (the timer never keeps the process alive). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
