import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, test } from "node:test";
import mqtt, { type MqttClient } from "mqtt";
import { startEdgeHubEmulator, type EdgeHubEmulator } from "../../modules/edgehub-emulator/src/index.js";
import { PikoSimulator } from "../../modules/piko-simulator/src/index.js";
import { childEnv } from "../support/childEnv.js";
import { ModuleProcess } from "../support/moduleProcess.js";
import { Mosquitto, mosquittoTestOptions } from "../support/mosquitto.js";
import { repoPath } from "../support/paths.js";
import { daytimeClock } from "../support/simulatedTime.js";
import { until } from "../support/until.js";

/**
 * Canary secrets for the inverter (environment and twin), the broker and the edgeHub connection string, with both
 * outputs on and debug logging, through a wrong password too: none of them may appear in any log line, any
 * published message (MQTT or edgeHub), the reported properties, or `--print-config`.
 */

const INVERTER_PASSWORD = "canary-inv-7f3a";
const TWIN_PASSWORD = "canary-twin-91bc";
const BROKER_PASSWORD = "canary-mqtt-c0de";
const MODULE = "kostal2mqtt";

describe("secrets never leak", mosquittoTestOptions, () => {
  let broker: Mosquitto;
  let emulator: EdgeHubEmulator;
  let simulator: PikoSimulator;
  let module: ModuleProcess;
  let subscriber: MqttClient;
  const published: string[] = [];
  let env: Record<string, string>;
  let secrets: string[];

  before(async () => {
    broker = await Mosquitto.start({ bridge: BROKER_PASSWORD, tester: "tester-pw" });
    simulator = new PikoSimulator({ model: "8.3", password: INVERTER_PASSWORD, clock: daytimeClock() });
    const host = new URL(await simulator.start()).host;
    emulator = await startEdgeHubEmulator({ modules: [MODULE] });
    const edgeEnv = emulator.connectionStringEnvironment(MODULE);
    const key = emulator.moduleIdentity(MODULE).key;
    secrets = [
      INVERTER_PASSWORD,
      TWIN_PASSWORD,
      BROKER_PASSWORD,
      key,
      edgeEnv.EdgeHubConnectionString ?? "",
    ].filter((s) => s !== "");
    subscriber = await mqtt.connectAsync(broker.url, { username: "tester", password: "tester-pw" });
    subscriber.on("message", (topic, payload) => published.push(`${topic} ${payload.toString("utf8")}`));
    await subscriber.subscribeAsync("#", { qos: 1 });
    env = {
      ...edgeEnv,
      KOSTAL_HOST: host,
      KOSTAL_ID: "dach",
      KOSTAL_PASSWORD: INVERTER_PASSWORD,
      SCRAPE_INTERVAL: "2",
      MQTT_HOST: "127.0.0.1",
      MQTT_PORT: String(broker.port),
      MQTT_USERNAME: "bridge",
      MQTT_PASSWORD: BROKER_PASSWORD,
      LOG_LEVEL: "debug",
    };
    module = new ModuleProcess(["run"], env);
    await emulator.waitForMessages(2, (m) => m.output === "telemetry", 30_000);
    // A second inverter from the twin, with a wrong password: auth errors are logged at every level.
    emulator.updateDesired(MODULE, {
      inverters: { dach: { host, password: INVERTER_PASSWORD }, garage: { host, password: TWIN_PASSWORD } },
    });
    await module.waitForLine(/garage: starting -> auth_error/, 30_000);
    await module.waitForLine(/connected to MQTT broker/, 30_000);
  });

  after(async () => {
    await module?.stop();
    await subscriber?.endAsync();
    await emulator?.stop();
    await simulator?.stop();
    await broker?.stop();
  });

  const leaks = (text: string) => secrets.filter((secret) => text.includes(secret));

  test("not in any log line (debug level)", () => {
    assert.ok(module.stderr.length > 10);
    assert.deepEqual(leaks(module.output()), []);
  });

  test("not in any published MQTT message", async () => {
    // Both inverters' topics: the reading of the one that answers, the status of the one refused.
    for (const topic of ["KOSTAL/dach/state ", "KOSTAL/garage/status "]) {
      await until(() => (published.some((m) => m.startsWith(topic)) ? true : undefined), 15_000, topic);
    }
    assert.match(
      published.find((m) => m.startsWith("KOSTAL/garage/status "))!,
      /auth_error/,
    );
    assert.deepEqual(leaks(published.join("\n")), []);
  });

  test("not in any edgeHub message, nor in the reported properties", () => {
    const messages = emulator.messages.map(
      (m) => `${JSON.stringify(m.properties)} ${m.body.toString("utf8")}`,
    );
    assert.deepEqual(leaks(messages.join("\n")), []);
    const reported = JSON.stringify(emulator.twin(MODULE).reported);
    assert.match(reported, /garage/);
    assert.deepEqual(leaks(reported), []);
  });

  test("not in --print-config", async () => {
    const output = await new Promise<string>((resolve) =>
      execFile(
        process.execPath,
        [repoPath("bin/kostal2mqtt.js"), "run", "--print-config"],
        { env: childEnv(env) },
        (_e, stdout, stderr) => resolve(stdout + stderr),
      ),
    );
    assert.match(output, /"MQTT_PASSWORD": "\[redacted\]"/);
    assert.deepEqual(leaks(output), []);
  });
});
