import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";
import { startEdgeHubEmulator } from "../../modules/edgehub-emulator/src/index.js";
import { createLogger } from "../../modules/kostal2mqtt/src/log/logger.js";
import { Message } from "../../modules/kostal2mqtt/src/outputs/edgeHub/azureSdk.js";
import { EdgeHubSession } from "../../modules/kostal2mqtt/src/outputs/edgeHub/edgeHubSession.js";
import { until } from "../support/until.js";

/**
 * The edgeHub session carries the Azure SDK's packets on the process's one MQTT client (MQTT.js 5, no number
 * cache) instead of the MQTT.js 4 the SDK would load with its WebSocket transport (BENCHMARKS.md, "edgeHub over the
 * one MQTT client"). This file runs in a process of its own (node --test), so the CommonJS module cache holds what
 * the session loaded: the unmodified SDK against the edgeHub emulator on an ephemeral loopback port, a twin fetched
 * and one message sent and acknowledged.
 */

const require = createRequire(import.meta.url);
const SDK_OWN_MQTT = /node_modules[\\/]azure-iot-mqtt-base[\\/]node_modules[\\/](mqtt|mqtt-packet|ws)[\\/]/;
const ANY_WEBSOCKET = /node_modules[\\/]ws[\\/]/;

/** mqtt-packet's number cache, of the copy MQTT.js 5 writes with: empty unless a client asked for it. */
function numberCacheSize(): number {
  const fromMqtt = createRequire(require.resolve("mqtt"));
  const numbers = fromMqtt("mqtt-packet/numbers") as { cache: Record<number, Buffer> };
  return Object.keys(numbers.cache).length;
}

test("the edgeHub session sends through MQTT.js 5's client, without the SDK's MQTT.js 4 or its number cache", async () => {
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
      loaded.some((path) => /node_modules[\\/]mqtt[\\/]build[\\/]lib[\\/]client\.js$/.test(path)),
      "MQTT.js 5's client is loaded",
    );
    assert.deepEqual(
      loaded.filter((path) => SDK_OWN_MQTT.test(path) || ANY_WEBSOCKET.test(path)),
      [],
    );
    assert.equal(numberCacheSize(), 0, "no pre-built number buffers");
  } finally {
    await session.stop();
    await emulator.stop();
  }
});
