import type { Logger } from "../../log/logger.js";
import type { Reading } from "../../reading/reading.js";
import { SCHEMA_VERSION } from "../../reading/reading.js";
import { serialiseReading } from "../../reading/serialise.js";
import type { Timers } from "../../lib/timers.js";
import { DeliveryQueue, type QueueLimits, type QueuePersistence } from "../deliveryQueue.js";
import { Rejections } from "../outputErrors.js";
import { SendLoop } from "../sendLoop.js";
import type {
  BridgeEvent,
  HistoryMessage,
  InverterStatusReport,
  Output,
  OutputHealth,
} from "../../ports/output.js";
import { Message } from "./azureSdk.js";
import type { EdgeHubSession } from "./edgeHubSession.js";

/** Whether a persisted queue entry is a message this output can send (the shape EdgeMessage says). */
export function isEdgeMessage(item: unknown): item is EdgeMessage {
  if (typeof item !== "object" || item === null) return false;
  const m = item as Record<string, unknown>;
  return (
    (m.output === "telemetry" || m.output === "events" || m.output === "history") &&
    typeof m.messageId === "string" &&
    typeof m.body === "string" &&
    typeof m.properties === "object" &&
    m.properties !== null &&
    Object.values(m.properties).every((value) => typeof value === "string")
  );
}

/** A message waiting for edgeHub: which output, its body and its properties. */
export interface EdgeMessage {
  output: "telemetry" | "events" | "history";
  messageId: string;
  body: string;
  /** Application properties; `iothub-creation-time-utc` carries the measurement time. */
  properties: Record<string, string>;
}

export function readingMessage(reading: Reading): EdgeMessage {
  return {
    output: "telemetry",
    // The same reading always gets the same id, so consumers can drop duplicates of a resend.
    messageId: `${reading.inverter}-${reading.ts_ms}`,
    body: serialiseReading(reading),
    properties: {
      inverter: reading.inverter,
      schema_version: String(SCHEMA_VERSION),
      message_type: "reading",
      "iothub-creation-time-utc": reading.ts,
    },
  };
}

export function eventMessage(event: BridgeEvent): EdgeMessage {
  const body = JSON.stringify({
    type: event.type,
    inverter: event.subject ?? null,
    from: event.from ?? null,
    to: event.to ?? null,
    at: event.at,
    message: event.message,
  });
  return {
    output: "events",
    messageId: `${event.type}-${event.subject ?? "bridge"}-${Date.parse(event.at)}-${event.to ?? ""}`,
    body,
    properties: {
      ...(event.subject ? { inverter: event.subject } : {}),
      schema_version: String(SCHEMA_VERSION),
      message_type: "event",
      "iothub-creation-time-utc": event.at,
    },
  };
}

/** A history entry on output `history`, dated by its true time; the same entry always gets the same id. */
export function historyMessage(message: HistoryMessage): EdgeMessage {
  return {
    output: "history",
    messageId: `${message.inverter}-history-${message.deviceSeconds}`,
    body: message.payload,
    properties: {
      inverter: message.inverter,
      schema_version: String(SCHEMA_VERSION),
      message_type: "history",
      "iothub-creation-time-utc": message.time,
    },
  };
}

function toSdkMessage(message: EdgeMessage): InstanceType<typeof Message> {
  const sdkMessage = new Message(message.body);
  sdkMessage.messageId = message.messageId;
  sdkMessage.contentType = "application/json";
  sdkMessage.contentEncoding = "utf-8";
  for (const [key, value] of Object.entries(message.properties)) sdkMessage.properties.add(key, value);
  return sdkMessage;
}

/** What the output needs of the session (EdgeHubSession): tests pass a fake. */
export type EdgeHubLink = Pick<
  EdgeHubSession,
  "start" | "stop" | "isConnected" | "sendOutputEvent" | "reportSendFailure"
>;

export interface EdgeHubOutputOptions {
  session: EdgeHubLink;
  log: Logger;
  limits: QueueLimits;
  /** Keeps undelivered messages across a restart. */
  persistence?: QueuePersistence<EdgeMessage>;
  /** Messages in flight at once (QoS 1 publishes, acknowledged out of order). */
  window?: number;
  now?: () => number;
  timers?: Timers;
}

/**
 * Telemetry (`telemetry`) and state changes (`events`) to edgeHub. Everything goes through a bounded queue and out
 * oldest first while connected, by the send loop every output shares (outputs/sendLoop.ts); the session translates
 * the SDK's errors into its two types. A message the SDK refuses for good (too large) is dropped, counted and said
 * once; any other failure puts it back in front to wait for the next connection, however long edgeHub is away
 * (the SDK gives up after about 240 s; this does not), and has the session replace its client.
 */
export class EdgeHubOutput implements Output {
  readonly name = "edgehub";
  private readonly queue: DeliveryQueue<EdgeMessage>;
  private readonly rejections: Rejections;
  private readonly sender: SendLoop<EdgeMessage>;
  private stopped = false;

  constructor(private readonly options: EdgeHubOutputOptions) {
    // What a restart reads back is input like any other: an entry that is not a message is moved aside.
    const persistence = options.persistence && { ...options.persistence, validate: isEdgeMessage };
    this.queue = new DeliveryQueue(options.limits, options.now, persistence);
    const { session, log } = options;
    this.rejections = new Rejections(log);
    this.sender = new SendLoop<EdgeMessage>({
      queue: this.queue,
      rejections: this.rejections,
      log,
      destination: "edgeHub",
      ready: () => session.isConnected && !this.stopped,
      window: () => options.window ?? 32,
      describe: (message) => ({ topic: message.output, payload: message.body }),
      send: (message) => session.sendOutputEvent(message.output, toSdkMessage(message)),
      onUnavailable: (error, waiting) => {
        if (this.stopped) return;
        log.warn(`${waiting} message(s) wait for edgeHub`, error);
        session.reportSendFailure(error.message);
      },
      ...(options.timers ? { timers: options.timers } : {}),
    });
  }

  start(): Promise<void> {
    this.options.session.start();
    return Promise.resolve();
  }

  /** Sends what it can until the queue is empty, edgeHub is gone or the deadline passes; then closes. */
  async stop(deadlineMs: number): Promise<void> {
    if (this.options.session.isConnected) await this.sender.drain(deadlineMs);
    this.stopped = true;
    // What is still in flight is in the queue's file too: the next start sends it.
    this.queue.close();
    await this.options.session.stop();
  }

  publishReading(reading: Reading): void {
    this.enqueue(readingMessage(reading));
  }

  publishEvent(event: BridgeEvent): void {
    this.enqueue(eventMessage(event));
  }

  publishHistory(message: HistoryMessage): void {
    this.enqueue(historyMessage(message));
  }

  /** Inverter status goes to reported properties (the module's twin glue), not to telemetry. */
  publishInverterStatus(_status: InverterStatusReport): void {}

  health(): OutputHealth {
    const connected = this.options.session.isConnected;
    const health: OutputHealth = {
      state: this.stopped ? "stopped" : connected ? "connected" : "connecting",
      queued: this.queue.size,
      dropped: this.queue.dropped,
      delivered: this.sender.delivered,
      message: connected ? "connected to edgeHub" : "waiting for edgeHub",
      rejected: this.rejections.count,
    };
    if (this.rejections.last !== undefined) health.lastRejection = this.rejections.last;
    return health;
  }

  /** Sends what waits; called on every new message and when the connection comes (back). */
  kick(): void {
    void this.sender.flush();
  }

  private enqueue(message: EdgeMessage): void {
    if (this.stopped) return;
    this.queue.push(message);
    this.kick();
  }
}
