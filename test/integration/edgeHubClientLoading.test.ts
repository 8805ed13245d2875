import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";
import { startEdgeHubEmulator } from "../../modules/edgehub-emulator/src/index.js";
import { createLogger } from "../../modules/kostal2mqtt/src/log/logger.js";
import { Message } from "../../modules/kostal2mqtt/src/outputs/edgeHub/azureSdk.js";
import { EdgeHubSession } from "../../modules/kostal2mqtt/src/outputs/edgeHub/edgeHubSession.js";
import { until } from "../support/until.js";

/**
 * The edgeHub session runs the Azure SDK on the SDK's own MQTT.js 4 client class, over a socket of ours, without
 * `mqtt.connect()`'s transports and without mqtt-packet's number cache (BENCHMARKS.md, "edgeHub on the SDK's own
 * MQTT.js"). This file runs in a process of its own (node --test), so the CommonJS module cache holds what the
 * session loaded: the unmodified SDK against the edgeHub emulator on an ephemeral loopback port, a twin fetched and
 * one message sent and acknowledged.
 */

const require = createRequire(import.meta.url);
const SDK_MQTT = /node_modules[\\/]azure-iot-mqtt-base[\\/]node_modules[\\/]mqtt[\\/]/;
const TRANSPORTS =
  /node_modules[\\/](ws|azure-iot-mqtt-base[\\/]node_modules[\\/]mqtt[\\/]lib[\\/]connect)[\\/]/;

/** The number cache of the mqtt-packet the SDK's MQTT.js writes with: empty unless a client asked for it. */
function sdkNumberCacheSize(): number {
  const fromSdk = createRequire(require.resolve("azure-iot-mqtt-base"));
  const fromSdkMqtt = createRequire(fromSdk.resolve("mqtt/lib/client"));
  const numbers = fromSdkMqtt("mqtt-packet/numbers") as { cache: Record<number, Buffer> };
  return Object.keys(numbers.cache).length;
}

test("the edgeHub session sends through the SDK's MQTT.js client without its transports or number cache", async () => {
  const emulator = await startEdgeHubEmulator();
  // The SDK's ModuleClient.fromEnvironment() reads the process's environment (this file's process alone).
  const env = emulator.connectionStringEnvironment("loading");
  Object.assign(process.env, env);
  let connected = false;
  const session = new EdgeHubSession({
    env,
    log: createLogger({ level: "error", write: () => undefined }),
    methods: {},
    onDesired: () => undefined,
    onConnected: () => (connected = true),
    onDisconnected: () => undefined,
  });
  try {
    session.start();
    await until(() => (connected ? true : undefined), 20_000, "the session's connection");
    await session.sendOutputEvent("telemetry", new Message(JSON.stringify({ ac_power_w: 1234 })));
    const [message] = await emulator.waitForMessages(1, (m) => m.output === "telemetry", 10_000);
    assert.deepEqual(JSON.parse(message!.body.toString("utf8")), { ac_power_w: 1234 });

    const loaded = Object.keys(require.cache);
    assert.ok(
      loaded.some((path) => SDK_MQTT.test(path) && /[\\/]lib[\\/]client\.js$/.test(path)),
      "the SDK's MQTT.js client is loaded",
    );
    assert.deepEqual(
      loaded.filter((path) => TRANSPORTS.test(path)),
      [],
    );
    assert.equal(sdkNumberCacheSize(), 0, "no pre-built number buffers");
  } finally {
    await session.stop();
    await emulator.stop();
  }
});
