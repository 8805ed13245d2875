import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { createServer, type Socket } from "node:net";
import { test } from "node:test";
import { mqttConfig, mqttHarness } from "../support/mqttHarness.js";
import { until } from "../support/until.js";

/**
 * The MQTT output loads MQTT.js's client and nothing of its other transports (BENCHMARKS.md, "MQTT.js"):
 * `mqtt.connect()` would load the WebSocket and SOCKS stream builders with their packages on its first call.
 * This file runs in a process of its own (node --test), so what is in the CommonJS module cache is what the output
 * loaded. The "broker" is a TCP server on an ephemeral port that accepts the socket and never answers.
 */

const OTHER_TRANSPORTS = /node_modules[\\/](ws|socks|ip-address|smart-buffer)[\\/]/;

/** mqtt-packet's number cache, of the copy MQTT.js writes with: empty unless a client asked for it. */
function numberCacheSize(): number {
  const fromMqtt = createRequire(createRequire(import.meta.url).resolve("mqtt"));
  const numbers = fromMqtt("mqtt-packet/numbers") as { cache: Record<number, Buffer> };
  return Object.keys(numbers.cache).length;
}

test("the MQTT output connects over TCP without MQTT.js's WebSocket and SOCKS transports or its number cache", async () => {
  const sockets: Socket[] = [];
  let received = 0;
  const server = createServer((socket) => {
    sockets.push(socket);
    socket.on("data", (chunk: Buffer) => (received += chunk.length));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const harness = mqttHarness(mqttConfig((server.address() as { port: number }).port));
  try {
    await harness.output.start();
    // The CONNECT packet is written through the same packet writer as every PUBLISH.
    await until(() => (received > 0 ? true : undefined), 5000, "the output's CONNECT");
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    assert.ok(
      loaded.some((path) => /node_modules[\\/]mqtt[\\/]build[\\/]lib[\\/]client\.js$/.test(path)),
      "MQTT.js's client is loaded",
    );
    assert.deepEqual(
      loaded.filter((path) => OTHER_TRANSPORTS.test(path)),
      [],
    );
    assert.equal(numberCacheSize(), 0, "no pre-built number buffers");
  } finally {
    await harness.output.stop(200);
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
