import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import mqtt, { type MqttClient } from "mqtt";
import {
  startEdgeHubEmulator,
  type EdgeHubEmulator,
  type TwinCollection,
} from "../../modules/edgehub-emulator/src/index.js";
import { PikoSimulator } from "../../modules/piko-simulator/src/index.js";
import {
  generateManifest,
  moduleDefinition,
  moduleDesired,
  moduleEnvironment,
  readDotEnv,
  type Json,
} from "../support/deploymentManifest.js";
import { ModuleProcess } from "../support/moduleProcess.js";
import { Mosquitto, mosquittoTestOptions } from "../support/mosquitto.js";
import { repoPath } from "../support/paths.js";
import { until } from "../support/until.js";

/**
 * The module exactly as the deployment manifests start it: the manifest generated from the template and the
 * README's `.env` (`.env.example` with the inverter filled in), its environment and its twin's desired properties
 * read from that manifest, run against the edgeHub emulator and the simulator over HTTP. A template that stops the
 * polling (as `"inverters": {}` once did) or an `.env` that breaks the login fails here.
 */

const MODULE = "kostal2mqtt";
const IMAGES = {
  kostal2mqtt: "registry.test/kostal2mqtt:0.1.0-amd64",
  "piko-simulator": "registry.test/sim",
};
// Noon on a midsummer day: the simulated PIKO is producing whatever the wall clock says.
const NOON = Date.parse("2026-06-21T12:00:00+02:00");

interface Reported {
  pollIntervalSeconds?: { value: unknown; ac: number };
  inverters?: { ac: number; ad: string };
  module?: { state: string };
  inverterState?: Record<string, { state: string; model: string | null } | null>;
}

function telemetryOf(emulator: EdgeHubEmulator) {
  return emulator.messages.filter((message) => message.output === "telemetry");
}

function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  return until(probe, timeoutMs, what, 100);
}

/**
 * The one setting a test changes: the manifests' poll interval (10 s) becomes the shortest the module takes (2 s),
 * so that the test waits seconds, not tens of seconds. What the manifest says is checked first: the same valid
 * interval in the environment and in the twin.
 */
const TEST_INTERVAL_SECONDS = 2;

function checkInterval(env: Record<string, string>, desired: Json | undefined): void {
  const fromEnv = Number(env.SCRAPE_INTERVAL);
  assert.ok(
    Number.isInteger(fromEnv) && fromEnv >= 2 && fromEnv <= 3600,
    `SCRAPE_INTERVAL ${env.SCRAPE_INTERVAL}`,
  );
  if (desired !== undefined) {
    const fromTwin = (desired as { pollIntervalSeconds?: unknown }).pollIntervalSeconds;
    assert.equal(fromTwin, fromEnv, "the twin's pollIntervalSeconds is the environment's SCRAPE_INTERVAL");
  }
}

test("every variable the templates use is named in .env.example, with iotedgedev's names", () => {
  const variables = readDotEnv(repoPath(".env.example"));
  for (const template of [
    "deployment.template.json",
    "deployment.debug.template.json",
    "deployment.layered.template.json",
  ]) {
    const { unexpanded } = generateManifest(template, variables, IMAGES);
    assert.deepEqual(unexpanded, [], `${template} leaves ${unexpanded.join(", ")} unexpanded`);
  }
  for (const name of [
    "CONTAINER_REGISTRY_SERVER",
    "CONTAINER_REGISTRY_USERNAME",
    "CONTAINER_REGISTRY_PASSWORD",
  ])
    assert.ok(name in variables, `${name} (read by iotedgedev) is in .env.example`);
});

test("the manifests deploy the IoT Edge 1.6 LTS runtime and keep the broker off the LAN", () => {
  for (const template of ["deployment.template.json", "deployment.debug.template.json"]) {
    const { manifest } = generateManifest(template, readDotEnv(repoPath(".env.example")), IMAGES);
    const agent = (manifest.modulesContent as Record<string, Json>).$edgeAgent!["properties.desired"] as {
      schemaVersion: string;
      systemModules: Record<string, { settings: { image: string } }>;
    };
    assert.equal(agent.schemaVersion, "1.1");
    assert.equal(agent.systemModules.edgeAgent?.settings.image, "mcr.microsoft.com/azureiotedge-agent:1.6");
    assert.equal(agent.systemModules.edgeHub?.settings.image, "mcr.microsoft.com/azureiotedge-hub:1.6");
    const broker = moduleDefinition(manifest, "mosquitto") as { settings: { createOptions: Json } };
    const options = JSON.stringify(broker.settings.createOptions);
    assert.ok(!options.includes("PortBindings"), `${template}: mosquitto publishes no port on the gateway`);
  }
});

describe("deployment.template.json, as the README's .env fills it", mosquittoTestOptions, () => {
  let simulator: PikoSimulator;
  let emulator: EdgeHubEmulator;
  let broker: Mosquitto;
  let module: ModuleProcess;
  let subscriber: MqttClient;
  const brokerReadings: string[] = [];
  let inverterId = "";

  before(async () => {
    // The PIKO's own default login: .env.example leaves KOSTAL_USERNAME and KOSTAL_PASSWORD empty.
    simulator = new PikoSimulator({ model: "10.1", clock: { now: () => NOON } });
    const host = new URL(await simulator.start()).host;
    const variables = { ...readDotEnv(repoPath(".env.example")), KOSTAL_HOST: host };
    const { manifest } = generateManifest("deployment.template.json", variables, IMAGES);
    const env = moduleEnvironment(manifest, MODULE);
    assert.equal(env.KOSTAL_PASSWORD, "", "the manifest passes the empty password through, as .env has it");
    const desired = moduleDesired(manifest, MODULE);
    checkInterval(env, desired);
    const fast = { ...(desired as TwinCollection | undefined), pollIntervalSeconds: TEST_INTERVAL_SECONDS };
    emulator = await startEdgeHubEmulator({ modules: [{ moduleId: MODULE, desired: fast }] });
    broker = await Mosquitto.start({ bridge: "bridge-pw" });
    subscriber = await mqtt.connectAsync(broker.url, { username: "bridge", password: "bridge-pw" });
    subscriber.on("message", (_topic, payload) => brokerReadings.push(payload.toString("utf8")));
    await subscriber.subscribeAsync(`${env.MQTT_TOPIC}/+/state`, { qos: 1 });
    module = new ModuleProcess(["run"], {
      ...env,
      SCRAPE_INTERVAL: String(TEST_INTERVAL_SECONDS),
      // The manifest's broker is the mosquitto module on the edge network; here it is the test's, on loopback.
      MQTT_HOST: "127.0.0.1",
      MQTT_PORT: String(broker.port),
      MQTT_USERNAME: "bridge",
      MQTT_PASSWORD: "bridge-pw",
      ...emulator.connectionStringEnvironment(MODULE),
    });
  });

  after(async () => {
    const code = await module?.stop();
    await subscriber?.endAsync();
    await broker?.stop();
    await emulator?.stop();
    await simulator?.stop();
    assert.equal(code, 0);
  });

  test("keeps sending readings, polled every pollIntervalSeconds, to edgeHub and to the broker", async () => {
    const [first, second] = await emulator.waitForMessages(
      2,
      (m) => m.output === "telemetry",
      (TEST_INTERVAL_SECONDS * 2 + 10) * 1000,
    );
    const readings = [first!, second!].map(
      (m) => JSON.parse(m.body.toString("utf8")) as { ts_ms: number; model: string; inverter: string },
    );
    assert.equal(readings[0]!.model, "PIKO 10.1", "the default login was accepted");
    assert.ok(readings[1]!.ts_ms > readings[0]!.ts_ms, "a second, later reading: the polling goes on");
    inverterId = readings[0]!.inverter;
    await waitFor("readings at the broker", () => (brokerReadings.length >= 1 ? true : undefined));
    assert.equal(telemetryOf(emulator).length >= 2, true);
  });

  test("the twin reports the environment's inverter as in force and producing", async () => {
    const reported = await waitFor("reported inverterState", () => {
      const current = emulator.twin(MODULE).reported as Reported;
      return current.inverterState?.[inverterId]?.state === "producing" ? current : undefined;
    });
    assert.equal(reported.module?.state, "polling");
    assert.deepEqual(reported.pollIntervalSeconds, { ...reported.pollIntervalSeconds, value: 2, ac: 200 });
    assert.equal(reported.inverters?.ac, 203);
    assert.match(reported.inverters?.ad ?? "", /default \(KOSTAL_HOST\)/);
  });

  test("a twin that empties the inverters map keeps the environment's inverter polled", async () => {
    emulator.updateDesired(MODULE, { inverters: {} });
    const reported = await waitFor("the empty map acknowledged", () => {
      const current = emulator.twin(MODULE).reported as Reported;
      return current.inverters?.ac === 200 ? current : undefined;
    });
    assert.match(reported.inverters?.ad ?? "", /no inverter in the twin; default \(KOSTAL_HOST\)/);
    const before = telemetryOf(emulator).length;
    await emulator.waitForMessages(before + 1, (m) => m.output === "telemetry", 25_000);
  });
});

describe("deployment.layered.template.json, for a fleet: the inverters come from each module twin", () => {
  let simulator: PikoSimulator;
  let emulator: EdgeHubEmulator;
  let module: ModuleProcess;
  let simulatorHost: string;

  before(async () => {
    simulator = new PikoSimulator({ model: "8.3", clock: { now: () => NOON } });
    simulatorHost = new URL(await simulator.start()).host;
    const { manifest } = generateManifest(
      "deployment.layered.template.json",
      readDotEnv(repoPath(".env.example")),
      IMAGES,
    );
    assert.equal(
      moduleDesired(manifest, MODULE),
      undefined,
      "the layered manifest leaves the module twin alone",
    );
    const env = moduleEnvironment(manifest, MODULE);
    assert.equal(env.KOSTAL_HOST, undefined, "nothing site-specific in a manifest for many gateways");
    checkInterval(env, undefined);
    emulator = await startEdgeHubEmulator({ modules: [{ moduleId: MODULE }] });
    module = new ModuleProcess(["run"], { ...env, ...emulator.connectionStringEnvironment(MODULE) });
  });

  after(async () => {
    const code = await module?.stop();
    await emulator?.stop();
    await simulator?.stop();
    assert.equal(code, 0);
  });

  test("the module waits for configuration, then polls what the device's twin names", async () => {
    await waitFor("waiting for configuration", () => {
      const reported = emulator.twin(MODULE).reported as Reported;
      return reported.module?.state === "waiting for configuration" ? true : undefined;
    });
    // What an operator does per gateway: az iot hub module-twin update ... --desired '{"inverters": {...}}'
    emulator.updateDesired(MODULE, { inverters: { garage: { host: simulatorHost } } });
    const [message] = await emulator.waitForMessages(1, (m) => m.output === "telemetry", 20_000);
    const reading = JSON.parse(message!.body.toString("utf8")) as { inverter: string; model: string };
    assert.deepEqual([reading.inverter, reading.model], ["garage", "PIKO 8.3"]);
  });
});
