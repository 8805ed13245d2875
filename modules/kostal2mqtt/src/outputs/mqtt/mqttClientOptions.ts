import { readFileSync } from "node:fs";
import type { IClientOptions } from "mqtt";
import type { MqttConfig } from "../../config/schema.js";
import type { BrokerOffer } from "./brokerAnswers.js";
import type { MqttTopics } from "./mqttTopics.js";

/** A problem with the TLS files: named, without their content. */
export class MqttTlsFileError extends Error {}

function readPem(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new MqttTlsFileError(
      `cannot read the ${what} ${path} (${(error as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
}

/** The `offline` last will, retained with QoS 1 unless the broker takes less (then as much as it takes). */
export function lastWill(topics: MqttTopics, offer: BrokerOffer): NonNullable<IClientOptions["will"]> {
  return {
    topic: topics.bridgeState,
    payload: Buffer.from("offline"),
    qos: offer.maxQos,
    retain: offer.retain,
  };
}

/**
 * MQTT.js options from the configuration: MQTT v5, the `offline` last will, TLS with the configured CA
 * (certificate checking on unless explicitly turned off), optional client certificate, optional credentials.
 * Reconnecting is left on (`reconnectPeriod`); the output stretches the period itself while the broker is away.
 */
export function mqttClientOptions(
  config: MqttConfig,
  topics: MqttTopics,
  protocolVersion: 4 | 5,
  clientId: string,
  offer: BrokerOffer,
): IClientOptions {
  const options: IClientOptions = {
    host: config.host,
    port: config.port,
    protocol: config.tls ? "mqtts" : "mqtt",
    protocolVersion,
    clientId,
    keepalive: config.keepaliveSeconds,
    clean: true,
    connectTimeout: 10_000,
    reconnectPeriod: 1000,
    reconnectOnConnackError: true,
    resubscribe: true,
    queueQoSZero: false,
    will: lastWill(topics, offer),
  };
  if (config.username !== "") options.username = config.username;
  if (config.password !== "") options.password = config.password;
  if (config.tls) {
    options.rejectUnauthorized = !config.tlsInsecure;
    if (config.caFile !== "") options.ca = readPem(config.caFile, "CA file (MQTT_CA_FILE)");
    if (config.certFile !== "")
      options.cert = readPem(config.certFile, "client certificate (MQTT_CERT_FILE)");
    if (config.keyFile !== "") options.key = readPem(config.keyFile, "client key (MQTT_KEY_FILE)");
    options.servername = config.host;
  }
  return options;
}
