import azureIotMqttBase from "azure-iot-mqtt-base";
import { newMqttClient, type MqttClientOptions } from "../../lib/mqttClient.js";
import { Mqtt } from "./azureSdk.js";

/**
 * The Azure SDK's MQTT transport (azure-iot-device-mqtt's `Mqtt`, unmodified) over the process's one MQTT client.
 *
 * The SDK's `MqttBase` takes the MQTT library as a constructor argument ("the object passed as argument instead of
 * the default MQTT.JS library", SRS_NODE_COMMON_MQTT_BASE_16_005) and `Mqtt` takes the `MqttBase` (SRS_NODE_DEVICE_
 * MQTT_18_025). Given nothing, the SDK loads its own MQTT.js 4 with every transport (WebSocket included) and an
 * always-built 6 MiB number cache, and a bridge with both outputs held two MQTT.js: 8 MiB more in edgeHub mode and
 * 9 more with both outputs (BENCHMARKS.md, "edgeHub over the one MQTT client"). Here the SDK's own code does
 * everything it did (authentication, SAS renewal, topics, twin, methods, message encoding); only the client that
 * carries its packets is MQTT.js 5's, speaking MQTT 3.1.1 as the SDK asks (`protocolVersion: 4`).
 */

/** What the SDK's MqttBase asks of an MQTT library: `connect(uri, options)` returning a connecting client. */
const oneMqttClient = {
  connect(uri: string, options: MqttClientOptions) {
    // uri: mqtts://<gatewayHostName>[:port]; the SDK connects to edgeHub over TLS, its port 8883 by default.
    const url = new URL(uri);
    return newMqttClient({
      ...options,
      protocol: "mqtts",
      host: url.hostname,
      port: url.port === "" ? 8883 : Number(url.port),
    });
  },
};

type AuthenticationProvider = ConstructorParameters<typeof Mqtt>[0];

/** Passed to `ModuleClient.fromEnvironment()` in place of `Mqtt`, which it constructs with the provider. */
export class EdgeHubTransport extends Mqtt {
  constructor(authenticationProvider: AuthenticationProvider) {
    super(authenticationProvider, new azureIotMqttBase.MqttBase(oneMqttClient));
  }
}
