import type { MqttClient } from "mqtt";
import type { Logger } from "../../log/logger.js";
import type { DeliveryQueue } from "../deliveryQueue.js";
import { OutputUnavailable, type Rejections } from "../outputErrors.js";
import { SendLoop } from "../sendLoop.js";
import type { MqttMessage, Publisher } from "./publisher.js";

export { Rejections } from "../outputErrors.js";

/**
 * At most this many messages await their PUBACK at once (fewer if the broker's Receive Maximum says so); the window
 * slides: the next message goes as soon as any PUBACK comes back.
 */
const WINDOW = 64;

export interface MqttSendLoopOptions {
  queue: DeliveryQueue<MqttMessage>;
  publisher: Publisher;
  /** The client to send on, or null while there is none that is connected and not stopping. */
  client: () => MqttClient | null;
  rejections: Rejections;
  log: Logger;
  /** The broker acknowledged this message. */
  onDelivered?: (message: MqttMessage) => void;
}

/**
 * The MQTT output's side of the shared send loop (outputs/sendLoop.ts): each message is one PUBLISH with its own
 * deadline (Publisher), the window is the broker's Receive Maximum, and what the broker answers arrives already
 * typed (brokerAnswers.ts `translatePublishError`). A publish that goes unanswered or is in flight when the
 * connection closes is handled by the publisher and the output (the connection is replaced); the loop only keeps
 * the message and waits for the next `flush`.
 */
export function mqttSendLoop(options: MqttSendLoopOptions): SendLoop<MqttMessage> {
  const { publisher, client } = options;
  return new SendLoop<MqttMessage>({
    queue: options.queue,
    rejections: options.rejections,
    log: options.log,
    destination: "the MQTT broker",
    ready: () => client() !== null,
    window: () => Math.min(WINDOW, publisher.offer.receiveMaximum),
    describe: (message) => message,
    send: (message) => {
      const current = client();
      // Not handed to MQTT.js at all: it would keep it and send it by itself on reconnect, behind the queue's back.
      if (current === null) return Promise.reject(new OutputUnavailable("not connected", false));
      return publisher.publish(current, message);
    },
    ...(options.onDelivered ? { onDelivered: options.onDelivered } : {}),
  });
}
