import { createRequire } from "node:module";
import { createConnection, isIP } from "node:net";
import { connect as connectTls } from "node:tls";
import type { IClientOptions, MqttClient } from "mqtt";

/**
 * MQTT.js's client over a plain TCP or a TLS socket, and nothing else of MQTT.js: MQTT.js 5's for the MQTT output,
 * and the SDK's own MQTT.js 4 client class for edgeHub (outputs/edgeHub/edgeHubTransport.ts).
 *
 * - `mqtt.connect()` loads the stream builders of every transport on its first call: WebSocket (`ws`) and SOCKS
 *   (`socks`, `ip-address`, `smart-buffer`), about 3 MiB in a process that never uses them. The socket is built
 *   here and the builder handed to the client, which calls it again for every reconnect.
 * - `writeCache: false`: by default MQTT.js pre-builds a 2-byte Buffer for every one of the 65,536 packet ids and
 *   lengths at its first publish, 6 MiB of heap held for the life of the process. Without it, the two bytes are
 *   written as they come (BENCHMARKS.md, "MQTT.js's number cache"). MQTT.js 4 has no such option; the edgeHub
 *   transport turns its cache off in its mqtt-packet.
 */

/** The client's options plus a TLS key's passphrase (the Azure SDK passes one for X.509 identities). */
export type MqttClientOptions = IClientOptions & { passphrase?: string };

/** MQTT.js's client class: MQTT.js 5's, or (for the Azure SDK) the MQTT.js 4 the SDK depends on. */
export type MqttClientClass = new (
  streamBuilder: () => NodeJS.ReadWriteStream,
  options: IClientOptions,
) => MqttClient;

let clientClass: MqttClientClass | undefined;

function loadClientClass(): MqttClientClass {
  // A CommonJS module whose exports' `default` is the class.
  clientClass ??= (createRequire(import.meta.url)("mqtt/lib/client") as { default: MqttClientClass }).default;
  return clientClass;
}

/**
 * A client for `options.host`:`options.port`, over TLS when `options.protocol` is "mqtts" (with its ca, cert, key,
 * passphrase and rejectUnauthorized; the server name is the host unless the host is an IP address). node:tls
 * refuses a certificate that does not verify with a coded error on the socket, which MQTT.js emits as the
 * client's error, as its own TLS builder would.
 */
export function newMqttClient(
  options: MqttClientOptions,
  Client: MqttClientClass = loadClientClass(),
): MqttClient {
  const tls = options.protocol === "mqtts";
  const host = options.host ?? "localhost";
  const port = options.port ?? (tls ? 8883 : 1883);
  const servername = isIP(host) === 0 ? (options.servername ?? host) : undefined;
  const socket = () =>
    tls
      ? connectTls({
          host,
          port,
          servername,
          ca: options.ca,
          cert: options.cert,
          key: options.key,
          passphrase: options.passphrase,
          rejectUnauthorized: options.rejectUnauthorized !== false,
        })
      : createConnection({ host, port });
  return new Client(socket, { ...options, host, port, writeCache: false });
}
