import { createConnection } from "node:net";
import { connect as connectTls } from "node:tls";
import type { IClientOptions, MqttClient } from "mqtt";

/**
 * The MQTT client over a plain TCP or a TLS socket, and nothing else of MQTT.js. `mqtt.connect()` loads the stream
 * builders of every transport on its first call: WebSocket (`ws`) and SOCKS (`socks`, `ip-address`,
 * `smart-buffer`), about 3 MiB of resident memory in a process that never uses them (BENCHMARKS.md, "MQTT.js").
 * The bridge speaks mqtt:// and mqtts:// only, so it builds its socket itself and hands MQTT.js's client the
 * builder, which MQTT.js calls again for every reconnect. `options` are those of mqttClientOptions(): host, port,
 * `protocol` "mqtts" for TLS with its ca/cert/key/servername/rejectUnauthorized.
 */
export async function connectMqttClient(options: IClientOptions): Promise<MqttClient> {
  // A CommonJS module: `default` is its module.exports, whose own `default` is the class.
  const { default: Client } = (await import("mqtt/lib/client")).default;
  const host = options.host ?? "localhost";
  const port = options.port ?? (options.protocol === "mqtts" ? 8883 : 1883);
  const socket = () =>
    options.protocol === "mqtts"
      ? // node:tls refuses a certificate that does not verify (unless rejectUnauthorized is false) with a coded
        // error on the socket, which MQTT.js emits as the client's error, as its own TLS builder would.
        connectTls({
          host,
          port,
          servername: options.servername,
          ca: options.ca,
          cert: options.cert,
          key: options.key,
          rejectUnauthorized: options.rejectUnauthorized !== false,
        })
      : createConnection({ host, port });
  return new Client(socket, options);
}
