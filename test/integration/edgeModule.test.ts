import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startEdgeHubEmulator, type EdgeHubEmulator } from "../../modules/edgehub-emulator/src/index.js";
import { PikoSimulator } from "../../modules/piko-simulator/src/index.js";
import { ModuleProcess } from "../support/moduleProcess.js";
import { assertValidReading } from "../support/readingSchema.js";
import { daytimeClock } from "../support/simulatedTime.js";
import { firstArrivals, readingTs } from "../support/edgeMessages.js";

/**
 * The real module process, with the unmodified Azure SDK, against the project's edgeHub emulator and the PIKO
 * simulator over real HTTP: telemetry and its properties, the twin, direct methods, and edgeHub faults.
 */

const MODULE = "kostal2mqtt";

interface Ack {
  value: unknown;
  ac: number;
  av: number;
  ad: string;
}

interface Reported {
  pollIntervalSeconds?: Ack;
  inverters?: Ack;
  surprise?: Ack;
  module?: { state: string };
  inverterState?: Record<string, { model: string }>;
}

const INVERTER_PASSWORD = "canary-inverter-pw";

/** The module (SCRAPE_INTERVAL 2 s, polling the simulator as "dach") with its own simulator and emulator. */
function setUp(options: { edgeHubLate: boolean }) {
  const parts = {} as { emulator: EdgeHubEmulator; simulator: PikoSimulator; module: ModuleProcess };
  before(async () => {
    parts.simulator = new PikoSimulator({
      model: "8.3",
      password: INVERTER_PASSWORD,
      clock: daytimeClock(),
    });
    const simulatorHost = new URL(await parts.simulator.start()).host;
    parts.emulator = await startEdgeHubEmulator({
      modules: [{ moduleId: MODULE, desired: { pollIntervalSeconds: 2 } }],
    });
    // edgeHub is not up when the module starts: its first open() must be retried.
    if (options.edgeHubLate) await parts.emulator.pause();
    parts.module = new ModuleProcess(["run"], {
      ...parts.emulator.connectionStringEnvironment(MODULE),
      KOSTAL_HOST: simulatorHost,
      KOSTAL_ID: "dach",
      KOSTAL_PASSWORD: INVERTER_PASSWORD,
      SCRAPE_INTERVAL: "2",
    });
    if (options.edgeHubLate) {
      // In words that say what is wrong (the SDK calls every failed first connection "Not authorized").
      await parts.module.waitForLine(
        /cannot connect to edgeHub \(attempt 1\): edgeHub is unreachable \(connect ECONNREFUSED 127\.0\.0\.1:\d+\)$/,
      );
      await parts.emulator.resume();
    }
    await parts.emulator.waitForConnection(MODULE, 0, 30_000);
  });

  after(async () => {
    const { module, emulator, simulator } = parts;
    const code = await module?.stop();
    await emulator?.stop();
    await simulator?.stop();
    assert.equal(code, 0, "SIGTERM ends the module with exit code 0");
    const everything = module.output() + JSON.stringify(emulator.messages.map((m) => m.body.toString()));
    assert.ok(!everything.includes(INVERTER_PASSWORD), "the inverter password appears nowhere");
  });
  return parts;
}

// Two modules, each with its own edgeHub and simulator, run at once: their tests mostly wait (for polls, for the
// SDK to reconnect; after edgeHub lost its sessions, for a twin request's 10 s deadline when the request was lost).
describe("the module against edgeHub", { concurrency: true }, () => {
  describe("telemetry, twin, methods and edgeHub's faults", { concurrency: 1 }, () => {
    const parts = setUp({ edgeHubLate: true });
    let emulator: EdgeHubEmulator;
    let simulator: PikoSimulator;
    let module: ModuleProcess;
    const twinReported = (): Reported => emulator.twin(MODULE).reported as Reported;
    before(() => {
      ({ emulator, simulator, module } = parts);
    });

    test("telemetry: one message per reading with its properties and a stable messageId", async () => {
      const [message] = await emulator.waitForMessages(1, (m) => m.output === "telemetry", 20_000);
      assert.ok(message);
      assertValidReading(message.body.toString("utf8"), "telemetry body");
      const reading = JSON.parse(message.body.toString("utf8")) as Record<string, unknown>;
      assert.equal(reading.inverter, "dach");
      assert.equal(reading.model, "PIKO 8.3");
      assert.equal(message.messageId, `dach-${String(reading.ts_ms)}`);
      assert.equal(message.contentType, "application/json");
      assert.equal(message.contentEncoding, "utf-8");
      assert.equal(message.properties.inverter, "dach");
      assert.equal(message.properties.schema_version, "1");
      assert.equal(message.properties.message_type, "reading");
      assert.equal(message.properties["iothub-creation-time-utc"], reading.ts);
      assert.match(message.body.toString("utf8"), /"energy_total_kwh":\d+\.\d+/);
    });

    test("events: the inverter's state change goes to the events output", async () => {
      const [event] = await emulator.waitForMessages(
        1,
        (m) => m.output === "events" && m.properties.message_type === "event",
        20_000,
      );
      assert.ok(event);
      const body = JSON.parse(event.body.toString("utf8")) as Record<string, unknown>;
      assert.equal(body.type, "inverter_state");
      assert.equal(body.inverter, "dach");
      assert.equal(body.from, "starting");
      assert.ok(typeof body.at === "string" && typeof body.message === "string");
    });

    test("reported properties: acks of the desired values, the module and the inverter's state", async () => {
      const reported = await emulator.waitUntil(() => {
        const r = twinReported();
        return r.inverterState?.dach ? r : undefined;
      }, 20_000);
      assert.deepEqual(reported.pollIntervalSeconds, { value: 2, ac: 200, av: 1, ad: "applied" });
      assert.equal(reported.inverters?.ac, 203);
      assert.equal(reported.module?.state, "polling");
      assert.equal(reported.inverterState?.dach?.model, "PIKO 8.3");
      assert.ok(!JSON.stringify(reported).includes(INVERTER_PASSWORD));
    });

    test("a desired change is applied live and acknowledged; an invalid one gets 400 and the last good stays", async () => {
      const { version } = emulator.updateDesired(MODULE, { pollIntervalSeconds: 3 });
      await emulator.waitUntil(() => {
        const ack = twinReported().pollIntervalSeconds;
        return ack?.av === version && ack.ac === 200 && ack.value === 3 ? ack : undefined;
      }, 15_000);
      const bad = emulator.updateDesired(MODULE, { pollIntervalSeconds: "fast", surprise: { deep: [1] } });
      const reported = await emulator.waitUntil(() => {
        const r = twinReported();
        return r.pollIntervalSeconds?.av === bad.version ? r : undefined;
      }, 15_000);
      assert.equal(reported.pollIntervalSeconds?.ac, 400);
      assert.equal(reported.pollIntervalSeconds?.value, 3);
      assert.match(reported.pollIntervalSeconds?.ad ?? "", /whole number/);
      assert.equal(reported.surprise?.ac, 400);
    });

    test("readNow and getStatus answer; an unknown inverter is 404; a silent one 503", async () => {
      const now = await emulator.invokeMethod(MODULE, "readNow", { inverter: "dach" }, 15_000);
      assert.equal(now.status, 200);
      assert.equal((now.payload as { readings: Array<{ inverter: string }> }).readings[0]?.inverter, "dach");
      const unknown = await emulator.invokeMethod(MODULE, "readNow", { inverter: "nope" }, 15_000);
      assert.equal(unknown.status, 404);
      const status = await emulator.invokeMethod(MODULE, "getStatus", {}, 15_000);
      assert.equal(status.status, 200);
      const payload = status.payload as {
        inverters: Array<{ state: string }>;
        outputs: Record<string, { state: string }>;
      };
      assert.equal(payload.inverters[0]?.state, "producing");
      assert.equal(payload.outputs.edgehub?.state, "connected");
      simulator.setFault({ kind: "status", status: 500 } as never);
      const down = await emulator.invokeMethod(MODULE, "readNow", {}, 15_000);
      simulator.setFault(null);
      assert.equal(down.status, 503);
      assert.match(JSON.stringify(down.payload), /HTTP 500/);
    });

    test("a twin response without a body (SDK pitfall 3): the module survives and telemetry goes on", async () => {
      const connects = emulator.moduleState(MODULE).connectCount;
      emulator.failNextTwinGet(MODULE, 500);
      await emulator.dropConnections();
      await module.waitForLine(/Azure IoT SDK failed inside its own handler/, 30_000);
      await emulator.waitUntil(
        () => (emulator.moduleState(MODULE).connectCount > connects + 1 ? true : undefined),
        30_000,
      );
      const after = Date.now();
      await emulator.waitForMessages(1, (m) => m.output === "telemetry" && readingTs(m) > after, 20_000);
    });
  });

  describe("edgeHub restarted", { concurrency: 1 }, () => {
    const parts = setUp({ edgeHubLate: false });
    let emulator: EdgeHubEmulator;
    const twinReported = (): Reported => emulator.twin(MODULE).reported as Reported;
    before(() => {
      ({ emulator } = parts);
    });

    test("edgeHub restarted with its sessions lost: a desired patch after it is applied within 30 s", async () => {
      const before = emulator.moduleState(MODULE).connectCount;
      await emulator.restart({ loseSessions: true });
      await emulator.waitForConnection(MODULE, before, 30_000);
      const deadline = Date.now() + 30_000;
      const { version } = emulator.updateDesired(MODULE, { pollIntervalSeconds: 4 });
      // The patch may be sent before the new client subscribed; the module fetches the twin after connecting.
      await emulator.waitUntil(
        () => {
          const ack = twinReported().pollIntervalSeconds;
          return ack !== undefined && ack.av >= version && ack.value === 4 ? ack : undefined;
        },
        Math.max(1000, deadline - Date.now()),
      );
    });
  });

  describe("edgeHub away", { concurrency: 1 }, () => {
    const parts = setUp({ edgeHubLate: false });
    let emulator: EdgeHubEmulator;
    let simulator: PikoSimulator;
    before(() => {
      ({ emulator, simulator } = parts);
    });

    test("an outage of edgeHub: readings wait and are delivered after, oldest first, none lost", async () => {
      const cut = Date.now();
      const polled = simulator.stats.pages;
      await emulator.pause();
      // Three polls while edgeHub is away: readings that have to wait for it.
      await emulator.waitUntil(
        () => (simulator.stats.pages >= polled + 3 ? true : undefined),
        30_000,
        "three polls during the outage",
      );
      const resumedAt = Date.now();
      await emulator.resume();
      // Each reading once, in the order of its first arrival (a resend after a lost acknowledgement is a duplicate
      // with the same messageId, which consumers drop), from the last one before the outage on.
      const sinceCut = () => firstArrivals(emulator.messages, (m) => readingTs(m) > cut - 4000);
      // Delivered up to a reading made after edgeHub came back: everything made before it has arrived too.
      const arrived = await emulator.waitUntil(() => {
        const made = sinceCut();
        return made.some((m) => readingTs(m) > resumedAt) ? made : undefined;
      }, 60_000);
      const times = arrived.map(readingTs);
      assert.deepEqual(
        times,
        [...times].sort((a, b) => a - b),
        `oldest first: ${times.join(", ")}`,
      );
      const during = times.filter((t) => t > cut && t < resumedAt);
      assert.ok(during.length >= 2, `readings made during the outage arrive: ${during.length}`);
      // Polled every 2 s: a longer gap between two delivered readings is a reading lost.
      for (let i = 1; i < times.length; i++)
        assert.ok(
          times[i]! - times[i - 1]! < 3500,
          `no reading lost between ${times[i - 1]} and ${times[i]}`,
        );
    });
  });
});
