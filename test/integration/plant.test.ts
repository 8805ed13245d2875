import assert from "node:assert/strict";
import { createServer, type Socket } from "node:net";
import { after, before, test } from "node:test";
import mqtt, { type MqttClient } from "mqtt";
import { startEdgeHubEmulator, type EdgeHubEmulator } from "../../modules/edgehub-emulator/src/index.js";
import { PikoSimulator } from "../../modules/piko-simulator/src/index.js";
import { ModuleProcess } from "../support/moduleProcess.js";
import { freePort, Mosquitto } from "../support/mosquitto.js";
import { daytimeClock } from "../support/simulatedTime.js";
import { until } from "../support/until.js";

/**
 * Issue 12, a plant: the real `run` process with KOSTAL_INVERTERS naming four inverters, two of them old PIKOs on
 * one simulated RS485 bus (one web server), a newer PIKO that speaks dxs.json, and one dead host (it takes connections and never answers), through both
 * outputs at once: a real mosquitto and the edgeHub emulator. The live ones keep publishing every interval, the
 * dead one is reported unreachable, and neither output is the worse for it.
 */

const MODULE = "kostal2mqtt";
const INVERTER_PASSWORD = "canary-plant-pw";
const BROKER_PASSWORD = "canary-plant-broker-pw";
const INTERVAL_MS = 2000;
const DEAD_TIMEOUT_MS = 3000;

interface Server {
  host: string;
  stop(): Promise<void>;
}

/** The web servers the plant's inverters are reached through; a new kind (a dxs PIKO) is one more line. */
const SERVERS = {
  bus: startBus,
  dxs: startDxsPiko,
  dead: startSilentHost,
} satisfies Record<string, () => Promise<Server>>;

type Hosts = Record<keyof typeof SERVERS, string>;

/** An entry read through the bus's web server at `address`, with its own password (not KOSTAL_PASSWORD's). */
const onBus = (address: number) => (hosts: Hosts) => ({
  host: hosts.bus,
  rs485Address: address,
  password: INVERTER_PASSWORD,
});

/** The plant: each inverter, its entry in KOSTAL_INVERTERS, what it must show when it answers; one line each. */
const PLANT: Array<{
  id: string;
  entry: (hosts: Hosts) => object;
  shows: { name: string; address: number } | null;
}> = [
  { id: "haus", entry: onBus(255), shows: { name: "haus", address: 255 } },
  { id: "garage", entry: onBus(2), shows: { name: "garage", address: 2 } },
  // A web UI 6 PIKO: found out by the probe (protocol auto); the API gives no bus address (255, the factory's).
  { id: "dach", entry: (h) => ({ host: h.dxs }), shows: { name: "dach", address: 255 } },
  { id: "dead", entry: (h) => ({ host: h.dead }), shows: null },
];
const LIVE = PLANT.filter((inverter) => inverter.shows !== null);

/** haus (address 255) serves the web page; garage (address 2) is its neighbour on the RS485 bus. */
async function startBus(): Promise<Server> {
  const clock = daytimeClock();
  const haus = new PikoSimulator({ model: "8.3", name: "haus", password: INVERTER_PASSWORD, clock });
  const garage = new PikoSimulator({ model: "3.6", name: "garage", rs485Address: 2, seed: 5, clock });
  haus.connectBus([garage]);
  return { host: new URL(await haus.start()).host, stop: () => haus.stop() };
}

/** A PIKO with web UI 6: `/api/dxs.json`, no login. */
async function startDxsPiko(): Promise<Server> {
  const dach = new PikoSimulator({ model: "10.1", name: "dach", protocol: "dxs", clock: daytimeClock() });
  return { host: new URL(await dach.start()).host, stop: () => dach.stop() };
}

/** A host that takes connections and never answers: every request runs into KOSTAL_TIMEOUT. */
async function startSilentHost(): Promise<Server> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    host: `127.0.0.1:${port}`,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface Received {
  topic: string;
  payload: string;
}

const parts = {} as {
  servers: Server[];
  broker: Mosquitto;
  emulator: EdgeHubEmulator;
  subscriber: MqttClient;
  messages: Received[];
  module: ModuleProcess;
  healthPort: number;
};

before(async () => {
  const started = await Promise.all(Object.values(SERVERS).map((start) => start()));
  parts.servers = started;
  const hosts = Object.fromEntries(Object.keys(SERVERS).map((key, i) => [key, started[i]!.host])) as Hosts;
  parts.broker = await Mosquitto.start({ bridge: BROKER_PASSWORD, tester: "tester-pw" });
  parts.subscriber = await mqtt.connectAsync(parts.broker.url, { username: "tester", password: "tester-pw" });
  parts.messages = [];
  parts.subscriber.on("message", (topic, payload) =>
    parts.messages.push({ topic, payload: payload.toString() }),
  );
  await parts.subscriber.subscribeAsync("KOSTAL/#", { qos: 1 });
  parts.emulator = await startEdgeHubEmulator({
    modules: [{ moduleId: MODULE, desired: { pollIntervalSeconds: INTERVAL_MS / 1000 } }],
  });
  parts.healthPort = await freePort();
  parts.module = new ModuleProcess(["run"], {
    ...parts.emulator.connectionStringEnvironment(MODULE),
    KOSTAL_INVERTERS: JSON.stringify(Object.fromEntries(PLANT.map(({ id, entry }) => [id, entry(hosts)]))),
    // The list's own passwords (no KOSTAL_PASSWORD), at debug level: they must appear nowhere all the same.
    LOG_LEVEL: "debug",
    // Longer than the slack allowed below: a live inverter held up by the dead one would miss its interval.
    KOSTAL_TIMEOUT: String(DEAD_TIMEOUT_MS / 1000),
    SCRAPE_INTERVAL: String(INTERVAL_MS / 1000),
    MQTT_HOST: "127.0.0.1",
    MQTT_PORT: String(parts.broker.port),
    MQTT_USERNAME: "bridge",
    MQTT_PASSWORD: BROKER_PASSWORD,
    HEALTH_PORT: String(parts.healthPort),
  });
});

after(async () => {
  const code = await parts.module?.stop();
  await parts.subscriber?.endAsync();
  await parts.emulator?.stop();
  await parts.broker?.stop();
  await Promise.all((parts.servers ?? []).map((server) => server.stop()));
  assert.equal(code, 0, "SIGTERM ends the module with exit code 0");
  const everything =
    parts.module.output() +
    JSON.stringify(parts.messages) +
    JSON.stringify(parts.emulator.messages.map((m) => m.body.toString()));
  assert.ok(!everything.includes(INVERTER_PASSWORD), "the inverters' password appears nowhere");
});

const readingsOf = (id: string) =>
  parts.messages
    .filter((m) => m.topic === `KOSTAL/${id}/state`)
    .map((m) => JSON.parse(m.payload) as { ts_ms: number; name: string; rs485_address: number });

test(
  "the live inverters publish every interval to the broker, each its own page",
  { timeout: 60_000 },
  async () => {
    await until(
      () => (LIVE.every(({ id }) => readingsOf(id).length >= 5) ? true : undefined),
      40_000,
      "5 readings each",
    );
    for (const { id, shows } of LIVE) {
      const readings = readingsOf(id);
      assert.ok(
        readings.every((r) => r.name === shows?.name && r.rs485_address === shows.address),
        `${id} shows ${JSON.stringify(shows)}`,
      );
      const gaps = readings.slice(1).map((r, i) => r.ts_ms - readings[i]!.ts_ms);
      assert.ok(
        gaps.every((gap) => gap >= INTERVAL_MS - 500 && gap < INTERVAL_MS + DEAD_TIMEOUT_MS / 2),
        `${id} every ${INTERVAL_MS} ms, never held up by the dead one: ${gaps.join(", ")}`,
      );
    }
    assert.deepEqual(readingsOf("dead"), []);
    const status = await until(
      () => parts.messages.findLast((m) => m.topic === "KOSTAL/dead/status"),
      10_000,
      "the dead inverter's status",
    );
    assert.equal((JSON.parse(status.payload) as { state: string }).state, "unreachable");
    assert.equal(parts.messages.findLast((m) => m.topic === "KOSTAL/bridge/state")?.payload, "online");
  },
);

test(
  "edgeHub gets the same: the live ones' telemetry, the dead one's state",
  { timeout: 60_000 },
  async () => {
    const { emulator } = parts;
    const telemetryOf = (id: string) =>
      emulator.messages.filter((m) => m.output === "telemetry" && m.properties.inverter === id);
    await until(
      () => (LIVE.every(({ id }) => telemetryOf(id).length >= 3) ? true : undefined),
      30_000,
      "telemetry",
    );
    assert.deepEqual(telemetryOf("dead"), []);
    const event = await until(
      () =>
        emulator.messages.find((m) => {
          if (m.output !== "events") return false;
          const body = JSON.parse(m.body.toString("utf8")) as { inverter?: string; to?: string };
          return body.inverter === "dead" && body.to === "unreachable";
        }),
      10_000,
      "the dead inverter's state event",
    );
    assert.ok(event);
  },
);

test("neither output is affected: both connected, only the dead inverter keeps the module from ready", async () => {
  const answer = await fetch(`http://127.0.0.1:${parts.healthPort}/readyz`);
  const verdict = (await answer.json()) as {
    problems: string[];
    outputs: Record<string, string>;
    inverters: object;
  };
  assert.deepEqual(verdict.outputs, { mqtt: "connected", edgehub: "connected" }, JSON.stringify(verdict));
  assert.deepEqual(
    verdict.inverters,
    Object.fromEntries(PLANT.map(({ id, shows }) => [id, shows === null ? "unreachable" : "producing"])),
  );
  assert.deepEqual(
    verdict.problems.filter((problem) => !problem.startsWith("inverter dead:")),
    [],
    "no problem but the dead inverter",
  );
  assert.doesNotMatch(
    parts.module.output(),
    /output (mqtt|edgehub): \w+ failed/,
    "no output fault in the log",
  );
});
