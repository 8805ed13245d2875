import { createRequire } from "node:module";
import azureIotMqttBase from "azure-iot-mqtt-base";
import { newMqttClient, type MqttClientClass, type MqttClientOptions } from "../../lib/mqttClient.js";
import { Mqtt } from "./azureSdk.js";

/**
 * The Azure SDK's MQTT transport (azure-iot-device-mqtt's `Mqtt`, unmodified) on its own MQTT.js 4, without what
 * it never uses. Left to itself the SDK's `MqttBase` calls `mqtt.connect()`, which loads every transport of
 * MQTT.js 4 (WebSocket included), and the first packet it writes builds mqtt-packet's cache of 65,536 two-byte
 * Buffers (6 MiB of heap; MQTT.js 4 has no `writeCache` option to turn it off). Here:
 * - `MqttBase` takes the MQTT library as a constructor argument ("the object passed as argument instead of the
 *   default MQTT.JS library", SRS_NODE_COMMON_MQTT_BASE_16_005) and `Mqtt` takes the `MqttBase` (SRS_NODE_DEVICE_
 *   MQTT_18_025): the library given is the SDK's own MQTT.js 4 client class over a TLS socket built by
 *   lib/mqttClient.ts, as `mqtt.connect()` would build it for `mqtts://`;
 * - that MQTT.js's mqtt-packet is told not to build its number cache (`writeToStream.cacheNumbers = false`, its
 *   documented switch).
 * The SDK's client, with its timing, errors and reconnect behaviour, is the one it was tested with; the SDK's code
 * does everything it did. (MQTT.js 5's client under the SDK, tried first, saved 7 MiB more in a process with both
 * outputs, but it hands errors to the SDK's callbacks in other places and forms, and a five-minute edgeHub outage
 * found the difference: BENCHMARKS.md, "edgeHub on the SDK's own MQTT.js".)
 */

const fromSdk = createRequire(createRequire(import.meta.url).resolve("azure-iot-mqtt-base"));
const fromSdkMqtt = createRequire(fromSdk.resolve("mqtt/lib/client"));

let sdkClientClass: MqttClientClass | undefined;

function sdkMqttClient(): MqttClientClass {
  if (sdkClientClass === undefined) {
    const packetWriter = fromSdkMqtt("mqtt-packet") as { writeToStream: { cacheNumbers: boolean } };
    packetWriter.writeToStream.cacheNumbers = false;
    sdkClientClass = fromSdk("mqtt/lib/client") as MqttClientClass;
  }
  return sdkClientClass;
}

/** What the SDK's MqttBase asks of an MQTT library: `connect(uri, options)` returning a connecting client. */
const sdkMqttLibrary = {
  connect(uri: string, options: MqttClientOptions) {
    // uri: mqtts://<gatewayHostName>[:port]; the SDK connects to edgeHub over TLS, its port 8883 by default.
    const url = new URL(uri);
    const port = url.port === "" ? 8883 : Number(url.port);
    return newMqttClient({ ...options, protocol: "mqtts", host: url.hostname, port }, sdkMqttClient());
  },
};

type AuthenticationProvider = ConstructorParameters<typeof Mqtt>[0];

/** Passed to `ModuleClient.fromEnvironment()` in place of `Mqtt`, which it constructs with the library. */
export class EdgeHubTransport extends Mqtt {
  constructor(authenticationProvider: AuthenticationProvider) {
    super(authenticationProvider, new azureIotMqttBase.MqttBase(sdkMqttLibrary));
  }
}
