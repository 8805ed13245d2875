import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import mqtt, { type MqttClient } from "mqtt";
import { MEASUREMENT_FIELDS } from "../../modules/kostal2mqtt/src/reading/fields.js";
import { PikoSimulator } from "../../modules/piko-simulator/src/index.js";
import { ModuleProcess } from "../support/moduleProcess.js";
import { Mosquitto, mosquittoTestOptions } from "../support/mosquitto.js";
import { daytimeClock } from "../support/simulatedTime.js";
import { until } from "../support/until.js";

/** The stand-alone bridge (the real process) against a real mosquitto and the simulator over HTTP. */

const BROKER_PASSWORD = "canary-broker-pw";
const INVERTER_PASSWORD = "canary-inverter-pw";

interface Received {
  topic: string;
  payload: string;
  retain: boolean;
  at: number;
}

async function subscriber(
  broker: Mosquitto,
  topics: string[],
  options: mqtt.IClientOptions = {},
): Promise<{
  client: MqttClient;
  messages: Received[];
}> {
  const client = await mqtt.connectAsync(broker.url, {
    username: "tester",
    password: "tester-pw",
    ...options,
  });
  const messages: Received[] = [];
  client.on("message", (topic, payload, packet) =>
    messages.push({ topic, payload: payload.toString("utf8"), retain: packet.retain, at: Date.now() }),
  );
  await client.subscribeAsync(topics, { qos: 1 });
  return { client, messages };
}

function bridgeEnv(broker: Mosquitto, simulatorHost: string, extra: Record<string, string> = {}) {
  return {
    KOSTAL_HOST: simulatorHost,
    KOSTAL_ID: "dach",
    KOSTAL_PASSWORD: INVERTER_PASSWORD,
    SCRAPE_INTERVAL: "2",
    MQTT_HOST: "127.0.0.1",
    MQTT_PORT: String(broker.port),
    MQTT_USERNAME: "bridge",
    MQTT_PASSWORD: BROKER_PASSWORD,
    MQTT_PER_VALUE_TOPICS: "true",
    MQTT_PAYLOAD_FORMAT: "both",
    ...extra,
  };
}

/** A broker, a simulator and the bridge processes a group of tests starts; no password in any of their logs. */
function setUp(): {
  broker: () => Mosquitto;
  simulator: () => PikoSimulator;
  simulatorHost: () => string;
  processes: ModuleProcess[];
} {
  let broker: Mosquitto;
  let simulator: PikoSimulator;
  let simulatorHost: string;
  const processes: ModuleProcess[] = [];
  before(async () => {
    broker = await Mosquitto.start({ bridge: BROKER_PASSWORD, tester: "tester-pw" });
    simulator = new PikoSimulator({
      model: "3.6",
      language: "en",
      password: INVERTER_PASSWORD,
      clock: daytimeClock(),
    });
    simulatorHost = new URL(await simulator.start()).host;
  });
  after(async () => {
    for (const process of processes) await process.stop();
    const logs = processes.map((p) => p.output()).join("\n");
    await simulator?.stop();
    await broker?.stop();
    assert.ok(
      !logs.includes(BROKER_PASSWORD) && !logs.includes(INVERTER_PASSWORD),
      "no password in any log line",
    );
  });
  return { broker: () => broker, simulator: () => simulator, simulatorHost: () => simulatorHost, processes };
}

// Two groups, each with its own broker and simulator, run at once: the bridge that gets in (one after another, as
// they share the bridge process), and the bridges that cannot.
describe("stand-alone bridge to mosquitto", { ...mosquittoTestOptions, concurrency: true }, () => {
  describe("a bridge that gets in", { concurrency: 1 }, () => {
    const group = setUp();
    let broker: Mosquitto;
    let simulator: PikoSimulator;
    let bridge: ModuleProcess;

    before(async () => {
      broker = group.broker();
      simulator = group.simulator();
      bridge = new ModuleProcess(["run"], bridgeEnv(broker, group.simulatorHost()));
      group.processes.push(bridge);
      await bridge.waitForLine(/connected to MQTT broker/);
    });

    test("retained topics: bridge state, the reading, availability, status, per-value; legacy document live", async () => {
      await bridge.waitForLine(/starting -> producing/);
      // Only what the broker already holds comes with retain set: a subscriber that arrives before the first
      // publish gets it live (retain false). So a probe waits until every topic below exists, then the real look.
      const retained = ["bridge/state", "dach/state", "dach/availability", "dach/status", "dach/ac_power_w"];
      const probe = await subscriber(broker, ["KOSTAL/#"]);
      try {
        for (const topic of retained.map((t) => `KOSTAL/${t}`))
          await until(() => probe.messages.find((m) => m.topic === topic), 10_000, topic);
      } finally {
        await probe.client.endAsync();
      }
      const { client, messages } = await subscriber(broker, ["KOSTAL/#", "KOSTAL"]);
      try {
        const get = (topic: string) => until(() => messages.find((m) => m.topic === topic), 10_000, topic);
        assert.deepEqual(
          { ...(await get("KOSTAL/bridge/state")), at: 0 },
          { topic: "KOSTAL/bridge/state", payload: "online", retain: true, at: 0 },
        );
        const state = await get("KOSTAL/dach/state");
        assert.equal(state.retain, true);
        const reading = JSON.parse(state.payload) as Record<string, unknown>;
        assert.equal(reading.inverter, "dach");
        assert.equal(reading.model, "PIKO 3.6");
        assert.equal("l2_power_w" in reading, false, "a 1-phase model has no L2");
        assert.match(state.payload, /"energy_total_kwh":\d+\.\d+/);
        assert.equal((await get("KOSTAL/dach/availability")).payload, "online");
        const status = JSON.parse((await get("KOSTAL/dach/status")).payload) as Record<string, unknown>;
        assert.equal(status.state, "producing");
        assert.ok(typeof status.since === "string" && typeof status.last_seen === "string");
        assert.match((await get("KOSTAL/dach/ac_power_w")).payload, /^\d+\.\d+$/);
        assert.match((await get("KOSTAL/dach/dc2_current_a")).payload, /^\d+(\.\d+)?$/);
        const legacy = await get("KOSTAL");
        assert.equal(legacy.retain, false);
        const doc = JSON.parse(legacy.payload) as {
          PIKO: { ENERGY: { total: number }; STATE: { flag: number } };
        };
        assert.equal(typeof doc.PIKO.ENERGY.total, "number");
        assert.equal(doc.PIKO.STATE.flag, 3, "'supply MPP' is feeding: flag 3, as 'Einspeisen MPP' is");
        assert.ok(messages.every((m) => !m.topic.includes("+") && !m.topic.includes("#")));
      } finally {
        await client.endAsync();
      }
    });

    test("Home Assistant discovery: one sensor per field the device has, re-sent when HA comes online", async () => {
      const { client, messages } = await subscriber(broker, ["homeassistant/device/#"]);
      try {
        const first = await until(
          () => messages.find((m) => m.topic === "homeassistant/device/kostal2mqtt_dach/config"),
          10_000,
          "discovery",
        );
        assert.equal(first.retain, true);
        const config = JSON.parse(first.payload) as {
          dev: { ids: string[]; mdl: string };
          o: { name: string };
          state_topic: string;
          availability: Array<{ topic: string }>;
          cmps: Record<
            string,
            {
              p: string;
              unique_id: string;
              unit_of_measurement?: string;
              device_class: string;
              state_class?: string;
              value_template: string;
            }
          >;
        };
        assert.deepEqual(config.dev.ids, ["kostal2mqtt_dach"]);
        assert.equal(config.dev.mdl, "PIKO 3.6");
        assert.equal(config.o.name, "kostal2mqtt");
        assert.equal(config.state_topic, "KOSTAL/dach/state");
        assert.deepEqual(
          config.availability.map((a) => a.topic),
          ["KOSTAL/bridge/state", "KOSTAL/dach/availability"],
        );
        const components = Object.values(config.cmps);
        assert.equal(
          new Set(components.map((c) => c.unique_id)).size,
          components.length,
          "unique ids are unique",
        );
        const present = [
          "ac_power_w",
          "energy_today_kwh",
          "energy_total_kwh",
          "dc1_voltage_v",
          "dc1_current_a",
          "dc2_voltage_v",
          "dc2_current_a",
          "l1_voltage_v",
          "l1_power_w",
        ];
        for (const field of MEASUREMENT_FIELDS) {
          const component = components.find((c) => c.unique_id === `kostal2mqtt_dach_${field.key}`);
          if (!present.includes(field.key)) {
            assert.equal(component, undefined, `${field.key} is not a field of a PIKO 3.6`);
            continue;
          }
          assert.ok(component, field.key);
          assert.equal(component.p, "sensor");
          assert.equal(component.unit_of_measurement, field.unit);
          assert.equal(component.device_class, field.homeAssistant.deviceClass);
          assert.equal(component.state_class, field.homeAssistant.stateClass);
          assert.equal(component.value_template, `{{ value_json.${field.key} }}`);
        }
        assert.equal(config.cmps.dach_energy_total_kwh?.state_class, "total_increasing");
        const count = messages.length;
        await client.publishAsync("homeassistant/status", "online");
        await until(() => (messages.length > count ? true : undefined), 10_000, "discovery sent again");
      } finally {
        await client.endAsync();
      }
    });

    test("broker restarted mid-run: the bridge is back within 5 s and no reading is lost", async () => {
      const persistent = await subscriber(broker, ["KOSTAL/dach/state"], {
        clientId: "tester-persistent",
        clean: false,
      });
      try {
        await until(
          () => (persistent.messages.some((m) => !m.retain) ? true : undefined),
          10_000,
          "a live reading",
        );
      } finally {
        // Ended on failure too: a client left reconnecting to a stopped broker keeps the test process alive for ever.
        await persistent.client.endAsync();
      }
      const cutAt = Date.now();
      const polled = simulator.stats.pages;
      await broker.pause();
      // Away until the bridge has polled without it: a reading that has to wait for the broker.
      await until(
        () => (simulator.stats.pages > polled ? true : undefined),
        10_000,
        "a poll during the outage",
      );
      await broker.resume();
      const upAt = Date.now();
      const online = await subscriber(broker, ["KOSTAL/bridge/state"]);
      const again = await subscriber(broker, ["KOSTAL/dach/state"], {
        clientId: "tester-persistent",
        clean: false,
      });
      try {
        await until(
          () =>
            online.messages.find((m) => m.payload === "online" && !m.retain) ??
            online.messages.find(
              (m) =>
                m.payload === "online" &&
                m.at - upAt < 5000 &&
                bridge.output().includes("connected to MQTT broker"),
            ),
          6_000,
          "online again",
        );
        await until(
          () =>
            bridge.stderr.filter((l) => /connected to MQTT broker/.test(l)).length >= 2 ? true : undefined,
          5_000,
          "reconnect within 5 s",
        );
        // Readings are delivered oldest first: once one made after the broker is back has arrived, so has
        // everything made before it.
        const readingTime = (m: Received) => Number((JSON.parse(m.payload) as { ts_ms: number }).ts_ms);
        const around = () =>
          [...persistent.messages, ...again.messages]
            .map(readingTime)
            .filter((t, i, all) => all.indexOf(t) === i && t > cutAt - 4000)
            .sort((a, b) => a - b);
        const times = await until(
          () => {
            const seen = around();
            return seen.some((t) => t > upAt) && seen.length >= 4 ? seen : undefined;
          },
          10_000,
          "four readings around the outage, the last made after it",
        );
        for (let i = 1; i < times.length; i++) {
          assert.ok(
            times[i]! - times[i - 1]! < 3500,
            `no reading lost between ${times[i - 1]} and ${times[i]}`,
          );
        }
      } finally {
        await online.client.endAsync();
        await again.client.endAsync();
      }
    });

    test("the last will: killed with SIGKILL, the bridge's state becomes offline", async () => {
      const { client, messages } = await subscriber(broker, ["KOSTAL/bridge/state"]);
      try {
        await until(() => messages.find((m) => m.payload === "online"), 10_000, "online");
        await bridge.kill9();
        const offline = await until(() => messages.find((m) => m.payload === "offline"), 10_000, "the will");
        assert.equal(offline.topic, "KOSTAL/bridge/state");
      } finally {
        await client.endAsync();
      }
    });
  });

  describe("bridges that cannot get in", { concurrency: 1 }, () => {
    const group = setUp();
    let broker: Mosquitto;
    let simulator: PikoSimulator;
    let simulatorHost: string;
    const processes = group.processes;

    before(() => {
      broker = group.broker();
      simulator = group.simulator();
      simulatorHost = group.simulatorHost();
    });

    test("wrong broker password: one clear error line, no crash, no password in the log", async () => {
      const wrong = new ModuleProcess(
        ["run"],
        bridgeEnv(broker, simulatorHost, { MQTT_PASSWORD: "wrong-password", MQTT_CLIENT_ID: "wrong" }),
      );
      processes.push(wrong);
      const line = await wrong.waitForLine(/refused the credentials/);
      assert.match(line, /check MQTT_USERNAME\/MQTT_PASSWORD/);
      // Said once, not per poll: two more polls (this process alone polls this simulator now), each reading
      // queued for a broker that keeps refusing. The next attempt to connect comes 60 s or more after a refusal.
      const polled = simulator.stats.pages;
      await until(() => (simulator.stats.pages >= polled + 2 ? true : undefined), 10_000, "two more polls");
      assert.equal(
        wrong.stderr.filter((l) => /refused the credentials/.test(l)).length,
        1,
        "said once, not on every retry",
      );
      assert.ok(!wrong.output().includes("wrong-password"));
      assert.equal(await wrong.stop(), 0, "still running, and stops cleanly");
    });

    test("TLS with the broker's CA connects; without it the certificate is refused", async () => {
      const tlsEnv = { MQTT_TLS: "true", MQTT_PORT: String(broker.tlsPort), MQTT_CLIENT_ID: "tls" };
      const secure = new ModuleProcess(
        ["run"],
        bridgeEnv(broker, simulatorHost, { ...tlsEnv, MQTT_CA_FILE: broker.caFile }),
      );
      processes.push(secure);
      await secure.waitForLine(/connected to MQTT broker/);
      const untrusted = new ModuleProcess(
        ["run"],
        bridgeEnv(broker, simulatorHost, { ...tlsEnv, MQTT_CLIENT_ID: "untrusted" }),
      );
      processes.push(untrusted);
      await untrusted.waitForLine(/unreachable; retrying/);
      assert.match(untrusted.output(), /certificate|self.signed|issuer/i);
      assert.ok(!untrusted.output().includes("connected to MQTT broker"));
    });
  });
});
