import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { PikoSimulator } from "../../modules/piko-simulator/src/index.js";
import { ConfiguredMosquitto } from "../support/brokerConfigs.js";
import { ModuleProcess } from "../support/moduleProcess.js";
import { mosquittoTestOptions } from "../support/mosquitto.js";
import { subscriber, timed } from "../support/mqttHarness.js";
import { daytimeClock } from "../support/simulatedTime.js";
import { until } from "../support/until.js";

/**
 * The real process, as users ran it, against brokers that refuse some of its messages (issue 9): a message size
 * limit below the Home Assistant discovery document, an ACL that denies the inverter's topics. Readings keep
 * flowing, the refusal is said once with the topic, SIGTERM ends the process promptly.
 */

const PASSWORD = "inverter-pw";

/**
 * Each test has its own broker and process (the simulator is shared: it answers one request at a time, as the
 * device does) and mostly waits for polls: they run at once.
 */
const AT_ONCE = { ...mosquittoTestOptions, concurrency: true };

describe("the bridge process against a refusing broker", AT_ONCE, () => {
  let simulator: PikoSimulator;
  let simulatorHost: string;
  const cleanups: Array<() => Promise<unknown>> = [];

  before(async () => {
    simulator = new PikoSimulator({
      model: "8.3",
      language: "de",
      password: PASSWORD,
      clock: daytimeClock(),
    });
    simulatorHost = new URL(await simulator.start()).host;
  });

  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await simulator?.stop();
  });

  async function run(
    broker: ConfiguredMosquitto,
    refused: string,
    reason: RegExp,
    delivered: string,
    env: Record<string, string> = {},
  ) {
    const { client, messages } = await subscriber(broker.url, ["KOSTAL/#", "homeassistant/#"]);
    cleanups.push(() => client.endAsync());
    const bridge = new ModuleProcess(["run"], {
      KOSTAL_HOST: simulatorHost,
      KOSTAL_ID: "dach",
      KOSTAL_PASSWORD: PASSWORD,
      SCRAPE_INTERVAL: "2",
      MQTT_HOST: "127.0.0.1",
      MQTT_PORT: String(broker.port),
      ...env,
    });
    cleanups.push(() => bridge.stop());
    const said = `dropped the message to ${refused}: `;
    const line = await bridge.waitForLine(new RegExp(said.replace(/[/]/g, "\\/")));
    assert.match(line, reason);
    // Readings go on after the refusal: three more of them.
    const seen = () => messages.filter((m) => m.topic === delivered).length;
    const target = seen() + 3;
    await until(() => (seen() >= target ? true : undefined), 15_000, `three more messages on ${delivered}`);
    assert.equal(
      bridge
        .output()
        .split("\n")
        .filter((l) => l.includes(said)).length,
      1,
      bridge.output(),
    );
    assert.doesNotMatch(bridge.output(), /unreachable/);
    let code: number | null = null;
    const elapsed = await timed(async () => {
      code = await bridge.stop();
    });
    assert.equal(code, 0);
    // The MQTT output's stop is a matter of milliseconds here; the rest is the process's own way out.
    assert.ok(elapsed < 2000, `SIGTERM took ${Math.round(elapsed)} ms`);
    return elapsed;
  }

  test("message_size_limit below the discovery document: readings flow, SIGTERM is prompt", async (t) => {
    const broker = await ConfiguredMosquitto.start(["message_size_limit 3000"]);
    cleanups.push(() => broker.stop());
    const elapsed = await run(
      broker,
      "homeassistant/device/kostal2mqtt_dach/config",
      /too large/,
      "KOSTAL/dach/state",
    );
    t.diagnostic(`SIGTERM took ${Math.round(elapsed)} ms`);
  });

  test("an ACL that denies the original's legacy topic: said once, the rest flows, SIGTERM is prompt", async (t) => {
    const allowed = ["bridge/state", "bridge/event", "dach/state", "dach/status", "dach/availability"];
    const acl = [
      ...allowed.map((topic) => `topic write KOSTAL/${topic}`),
      "topic write homeassistant/device/kostal2mqtt_dach/config",
      "topic read #",
      "",
    ];
    const broker = await ConfiguredMosquitto.start([], acl.join("\n"));
    cleanups.push(() => broker.stop());
    const env = { MQTT_PAYLOAD_FORMAT: "both" };
    const elapsed = await run(broker, "KOSTAL", /not authori[sz]ed/, "KOSTAL/dach/state", env);
    t.diagnostic(`SIGTERM took ${Math.round(elapsed)} ms`);
  });
});
