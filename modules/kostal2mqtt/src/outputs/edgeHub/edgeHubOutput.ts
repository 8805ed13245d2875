import type { Logger } from "../../log/logger.js";
import type { Reading } from "../../reading/reading.js";
import { SCHEMA_VERSION } from "../../reading/reading.js";
import { serialiseReading } from "../../reading/serialise.js";
import { DeliveryQueue, type QueueLimits, type QueuePersistence } from "../deliveryQueue.js";
import type { BridgeEvent, InverterStatusReport, Output, OutputHealth } from "../output.js";
import { Message } from "./azureSdk.js";
import type { EdgeHubSession } from "./edgeHubSession.js";

/** Whether a persisted queue entry is a message this output can send (the shape EdgeMessage says). */
export function isEdgeMessage(item: unknown): item is EdgeMessage {
  if (typeof item !== "object" || item === null) return false;
  const m = item as Record<string, unknown>;
  return (
    (m.output === "telemetry" || m.output === "events") &&
    typeof m.messageId === "string" &&
    typeof m.body === "string" &&
    typeof m.properties === "object" &&
    m.properties !== null &&
    Object.values(m.properties).every((value) => typeof value === "string")
  );
}

/** A message waiting for edgeHub: which output, its body and its properties. */
export interface EdgeMessage {
  output: "telemetry" | "events";
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

function toSdkMessage(message: EdgeMessage): InstanceType<typeof Message> {
  const sdkMessage = new Message(message.body);
  sdkMessage.messageId = message.messageId;
  sdkMessage.contentType = "application/json";
  sdkMessage.contentEncoding = "utf-8";
  for (const [key, value] of Object.entries(message.properties)) sdkMessage.properties.add(key, value);
  return sdkMessage;
}

export interface EdgeHubOutputOptions {
  session: EdgeHubSession;
  log: Logger;
  limits: QueueLimits;
  /** Keeps undelivered messages across a restart. */
  persistence?: QueuePersistence<EdgeMessage>;
  /** Messages in flight at once (QoS 1 publishes, acknowledged out of order). */
  window?: number;
  now?: () => number;
}

/**
 * Telemetry (`telemetry`) and state changes (`events`) to edgeHub. Everything goes through a bounded queue and out
 * oldest first while connected; a failed send goes back in front and waits for the next connection, however long
 * edgeHub is away (the SDK gives up after about 240 s; this does not).
 */
export class EdgeHubOutput implements Output {
  readonly name = "edgehub";
  private readonly queue: DeliveryQueue<EdgeMessage>;
  private sending = false;
  private delivered = 0;
  private stopped = false;

  constructor(private readonly options: EdgeHubOutputOptions) {
    // What a restart reads back is input like any other: an entry that is not a message is moved aside.
    const persistence = options.persistence && { ...options.persistence, validate: isEdgeMessage };
    this.queue = new DeliveryQueue(options.limits, options.now, persistence);
  }

  start(): Promise<void> {
    this.options.session.start();
    return Promise.resolve();
  }

  async stop(deadlineMs: number): Promise<void> {
    const until = Date.now() + deadlineMs;
    while (this.queue.size > 0 && this.options.session.isConnected && Date.now() < until) {
      await this.flush();
      if (this.queue.size > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    this.stopped = true;
    this.queue.close();
    await this.options.session.stop();
  }

  publishReading(reading: Reading): void {
    this.enqueue(readingMessage(reading));
  }

  publishEvent(event: BridgeEvent): void {
    this.enqueue(eventMessage(event));
  }

  /** Inverter status goes to reported properties (the module's twin glue), not to telemetry. */
  publishInverterStatus(_status: InverterStatusReport): void {}

  health(): OutputHealth {
    const connected = this.options.session.isConnected;
    return {
      state: this.stopped ? "stopped" : connected ? "connected" : "connecting",
      queued: this.queue.size,
      dropped: this.queue.dropped,
      delivered: this.delivered,
      message: connected ? "connected to edgeHub" : "waiting for edgeHub",
    };
  }

  /** Sends what waits; called on every new message and when the connection comes (back). */
  kick(): void {
    if (!this.sending) void this.flush();
  }

  private enqueue(message: EdgeMessage): void {
    if (this.stopped) return;
    this.queue.push(message);
    this.kick();
  }

  private async flush(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.queue.size > 0 && this.options.session.isConnected) {
        const batch = this.queue.take(this.options.window ?? 32);
        const results = await Promise.allSettled(
          batch.map((entry) =>
            this.options.session.sendOutputEvent(entry.item.output, toSdkMessage(entry.item)),
          ),
        );
        const failed = batch.filter((_, i) => results[i]?.status === "rejected");
        this.queue.ack(batch.filter((_, i) => results[i]?.status === "fulfilled"));
        this.delivered += batch.length - failed.length;
        if (failed.length > 0) {
          this.queue.requeue(failed);
          const reason = results.find((r): r is PromiseRejectedResult => r.status === "rejected")
            ?.reason as unknown;
          this.options.log.warn(`${failed.length} message(s) wait for edgeHub`, reason);
          this.options.session.reportSendFailure(reason instanceof Error ? reason.message : String(reason));
          break;
        }
      }
    } finally {
      this.sending = false;
    }
  }
}
