import assert from "node:assert/strict";
import { createServer, type Server } from "node:net";
import { after, before, describe, test } from "node:test";
import { Aedes } from "aedes";
import { createLogger } from "../../modules/kostal2mqtt/src/log/logger.js";
import { ConsoleOutput } from "../../modules/kostal2mqtt/src/outputs/consoleOutput.js";
import {
  EdgeHubOutput,
  type EdgeHubLink,
} from "../../modules/kostal2mqtt/src/outputs/edgeHub/edgeHubOutput.js";
import type { Output } from "../../modules/kostal2mqtt/src/ports/output.js";
import { mqttConfig, mqttHarness } from "../support/mqttHarness.js";
import { checkReadingLater } from "../support/readingSchema.js";
import { RecordingOutput, runtimeHarness, settingsFor } from "../support/runtimeHarness.js";
import { until } from "../support/until.js";

/**
 * Failure containment with the real outputs (issue 10): the bridge on a fake clock polls a fake inverter, and each
 * kind of output, in-process, either throws beside another or keeps working beside one that throws. The inverter
 * stays `producing`, the working output gets every reading, the fault is counted in the failing output's health.
 * (Before the bridge guarded each output, the first throw starved every output after it and the inverter went to
 * `format_error` with the output's message.)
 */

const POLLS = 5;
const LIMIT = { timeout: 30_000 };

/** Polls the fake inverter `POLLS` times at the 10 s interval; returns the readings' measurement times. */
async function pollWith(outputs: Output[]) {
  const harness = runtimeHarness(outputs);
  harness.bridge.apply(settingsFor(["dach"], 10));
  await harness.bridge.start();
  const start = harness.clock.now();
  await harness.clock.advance(0);
  for (let i = 1; i < POLLS; i++) await harness.clock.advance(10_000);
  const times = Array.from({ length: POLLS }, (_, i) => start + i * 10_000);
  return { ...harness, times };
}

function assertProducing(bridge: ReturnType<typeof runtimeHarness>["bridge"]): void {
  const [status] = bridge.inverterStatuses();
  assert.equal(status?.state, "producing", JSON.stringify(status));
  assert.equal(status?.failures, 0);
}

describe("output containment with the real outputs", LIMIT, () => {
  let broker: Aedes;
  let server: Server;
  let port: number;
  const states: Array<{ ts_ms: number }> = [];

  before(async () => {
    broker = await Aedes.createBroker();
    broker.on("publish", (packet, client) => {
      if (client && packet.topic === "KOSTAL/dach/state") {
        checkReadingLater(packet.payload.toString(), "published state");
        states.push(JSON.parse(packet.payload.toString()) as { ts_ms: number });
      }
    });
    server = createServer(broker.handle);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await new Promise<void>((resolve) => broker.close(() => resolve()));
  });

  test("MQTT beside an output that throws: the broker gets every reading", async () => {
    states.length = 0;
    const mqtt = mqttHarness(mqttConfig(port, { clientId: "containment-1" }));
    const broken = new RecordingOutput("broken");
    broken.fail.publishReading = new Error("broken output");
    const { bridge, times } = await pollWith([broken, mqtt.output]);
    try {
      await mqtt.waitConnected();
      await until(
        () => (states.length >= POLLS ? true : undefined),
        10_000,
        `${POLLS} readings at the broker`,
      );
      assert.deepEqual(
        states.map((s) => s.ts_ms),
        times,
        "every reading, in order",
      );
      assertProducing(bridge);
      const health = bridge.outputHealth();
      assert.equal(health.broken?.faults, POLLS);
      assert.equal(health.mqtt?.faults, undefined);
      assert.deepEqual(mqtt.problems(), []);
    } finally {
      await bridge.stop(2000);
    }
  });

  test("the console output throwing (a closed stdout) beside MQTT: the broker gets every reading", async () => {
    states.length = 0;
    const mqtt = mqttHarness(mqttConfig(port, { clientId: "containment-2" }));
    const closedStdout = new ConsoleOutput(() => {
      throw Object.assign(new Error("write EPIPE"), { code: "EPIPE" });
    });
    const { bridge, times, lines } = await pollWith([closedStdout, mqtt.output]);
    try {
      await until(
        () => (states.length >= POLLS ? true : undefined),
        10_000,
        `${POLLS} readings at the broker`,
      );
      assert.deepEqual(
        states.map((s) => s.ts_ms),
        times,
      );
      assertProducing(bridge);
      const health = bridge.outputHealth();
      assert.equal(health.console?.faults, POLLS);
      assert.equal(health.console?.lastFault, "publishReading: write EPIPE");
      assert.equal(lines.filter((line) => /output console: publishReading failed/.test(line)).length, 1);
    } finally {
      await bridge.stop(2000);
    }
  });

  test("the console output beside an output that throws: every reading is printed", async () => {
    const printed: string[] = [];
    const broken = new RecordingOutput("broken");
    broken.fail.publishReading = new Error("broken output");
    const { bridge, times } = await pollWith([broken, new ConsoleOutput((line) => printed.push(line))]);
    try {
      assert.deepEqual(
        printed.map((line) => (JSON.parse(line) as { ts_ms: number }).ts_ms),
        times,
      );
      assertProducing(bridge);
      assert.equal(bridge.outputHealth().console?.delivered, POLLS);
    } finally {
      await bridge.stop(100);
    }
  });

  test("edgeHub beside an output that throws: every reading goes out as telemetry", async () => {
    const sent: Array<{ output: string; body: string }> = [];
    const link: EdgeHubLink = {
      isConnected: true,
      start: () => undefined,
      stop: () => Promise.resolve(),
      sendOutputEvent: (output, message) => {
        sent.push({ output, body: String(message.data) });
        return Promise.resolve();
      },
      reportSendFailure: () => undefined,
    };
    const edge = new EdgeHubOutput({
      session: link,
      log: createLogger({ level: "error", write: () => undefined }),
      limits: { maxItems: 100, maxAgeMs: 3600_000 },
    });
    const broken = new RecordingOutput("broken");
    broken.fail.publishReading = new Error("broken output");
    const { bridge, times } = await pollWith([broken, edge]);
    try {
      const telemetry = () => sent.filter((m) => m.output === "telemetry");
      await until(() => (telemetry().length >= POLLS ? true : undefined), 10_000, "every reading sent");
      for (const message of telemetry()) checkReadingLater(message.body, "telemetry body");
      assert.deepEqual(
        telemetry().map((m) => (JSON.parse(m.body) as { ts_ms: number }).ts_ms),
        times,
      );
      assertProducing(bridge);
      assert.equal(bridge.outputHealth().broken?.faults, POLLS);
    } finally {
      await bridge.stop(1000);
    }
  });
});
