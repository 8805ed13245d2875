import assert from "node:assert/strict";
import { test } from "node:test";
import type {
  BridgeSettings,
  InverterSettings,
} from "../../modules/kostal2mqtt/src/config/bridgeSettings.js";
import {
  validateInverters,
  publicInverters,
} from "../../modules/kostal2mqtt/src/config/desiredProperties.js";
import { envDefaults } from "../../modules/kostal2mqtt/src/config/envSettings.js";
import { loadConfig } from "../../modules/kostal2mqtt/src/config/loadConfig.js";
import { createLogger } from "../../modules/kostal2mqtt/src/log/logger.js";
import { MirrorServers } from "../../modules/kostal2mqtt/src/mirror/mirrorServers.js";
import type { SettingsListener } from "../../modules/kostal2mqtt/src/runtime/bridgeControl.js";
import { freePort } from "../support/mosquitto.js";
import { RecordingOutput, runtimeHarness, settingsFor } from "../support/runtimeHarness.js";
import { sampleReading } from "../support/sampleReading.js";

/**
 * The mirrors follow the inverters' settings as the bridge applies them (environment at start, twin live), and
 * the setting is checked by the one schema: KOSTAL_MIRROR_PORT and the twin entry's `mirrorPort` share one rule.
 */

const READING = sampleReading("dach");

function inverter(mirrorPort: number, password = "pvwr", enabled = true): InverterSettings {
  return { host: "piko", username: "pvserver", password, enabled, mirrorPort };
}

function harness() {
  let listener: SettingsListener | null = null;
  const mirrors = new MirrorServers({
    bind: "127.0.0.1",
    cache: {
      pollIntervalMs: 10_000,
      lastReading: () => READING,
      onSettingsApplied: (l) => {
        listener = l;
        return () => (listener = null);
      },
    },
    now: () => READING.ts_ms,
    log: createLogger({ level: "error", write: () => undefined }),
  });
  const apply = async (inverters: Record<string, InverterSettings>) => {
    const settings: BridgeSettings = {
      pollIntervalSeconds: 10,
      inverters: new Map(Object.entries(inverters)),
    };
    listener?.(settings);
    await mirrors.settled();
  };
  return { mirrors, apply, subscribed: () => listener !== null };
}

async function pageStatus(port: number, password = "pvwr"): Promise<number> {
  const authorization = `Basic ${Buffer.from(`pvserver:${password}`).toString("base64")}`;
  const response = await fetch(`http://127.0.0.1:${port}/index.fhtml`, { headers: { authorization } });
  await response.arrayBuffer();
  return response.status;
}

test("a mirror opens, follows its credentials live, moves with its port and closes when disabled", async () => {
  const { mirrors, apply, subscribed } = harness();
  mirrors.start();
  const [first, second] = [await freePort(), await freePort()];
  await apply({ dach: inverter(first), garage: inverter(0) });
  assert.equal(mirrors.portOf("dach"), first);
  assert.equal(mirrors.portOf("garage"), null);
  assert.equal(await pageStatus(first), 200);
  await apply({ dach: inverter(first, "neu") });
  assert.equal(await pageStatus(first), 401);
  assert.equal(await pageStatus(first, "neu"), 200);
  await apply({ dach: inverter(second) });
  assert.equal(mirrors.portOf("dach"), second);
  await assert.rejects(pageStatus(first));
  await apply({ dach: inverter(second, "pvwr", false) });
  assert.equal(mirrors.portOf("dach"), null);
  await apply({ dach: inverter(second) });
  await mirrors.stop();
  assert.equal(subscribed(), false);
  await assert.rejects(pageStatus(second));
});

test("a port already taken leaves that mirror off and the others on", async () => {
  const { mirrors, apply } = harness();
  mirrors.start();
  const port = await freePort();
  await apply({ dach: inverter(port), garage: inverter(port) });
  assert.equal(mirrors.portOf("dach"), port);
  assert.equal(mirrors.portOf("garage"), null);
  await mirrors.stop();
});

test("KOSTAL_MIRROR_PORT and the twin's mirrorPort: one rule, off by default, reported without secrets", () => {
  assert.equal(loadConfig({}).kostal.mirrorPort, 0);
  assert.equal(loadConfig({}).mirror.bind, "127.0.0.1");
  const config = loadConfig({ KOSTAL_HOST: "piko", KOSTAL_MIRROR_PORT: "8081", MIRROR_BIND: "0.0.0.0" });
  const defaults = envDefaults(config);
  assert.equal(defaults.inverters.get("piko")?.mirrorPort, 8081);
  assert.equal(config.mirror.bind, "0.0.0.0");
  assert.throws(
    () => loadConfig({ KOSTAL_MIRROR_PORT: "http", MIRROR_BIND: "everywhere" }),
    (error: Error) => {
      assert.match(error.message, /KOSTAL_MIRROR_PORT: must be a whole number from 0 to 65535/);
      assert.match(error.message, /MIRROR_BIND/);
      return true;
    },
  );
  const checked = validateInverters({ piko: { mirrorPort: 8082 }, dach: { host: "dach" } }, defaults);
  assert.ok(checked instanceof Map);
  assert.equal(checked.get("piko")?.mirrorPort, 8082);
  assert.equal(checked.get("dach")?.mirrorPort, 0);
  const refused = validateInverters({ piko: { mirrorPort: 70000 } }, defaults);
  assert.equal(typeof refused, "string");
  assert.match(refused as string, /piko\.mirrorPort: must be/);
  assert.deepEqual(publicInverters(checked)["piko"], {
    host: "piko",
    username: "pvserver",
    enabled: true,
    protocol: "auto",
    mirrorPort: 8082,
  });
});

test("the bridge's read-only cache: the reading it published last, and every settings change as applied", async () => {
  const output = new RecordingOutput("out");
  const { bridge, clock, lines } = runtimeHarness([output]);
  const applied: number[] = [];
  const unsubscribe = bridge.onSettingsApplied((settings) => applied.push(settings.inverters.size));
  bridge.onSettingsApplied(() => {
    throw new Error("a broken listener");
  });
  assert.equal(bridge.lastReading("a"), null);
  bridge.apply(settingsFor(["a", "b"]));
  await clock.advance(10_000);
  assert.deepEqual(bridge.lastReading("a"), output.readings.filter((r) => r.inverter === "a").at(-1));
  assert.equal(bridge.lastReading("nobody"), null);
  bridge.apply(settingsFor(["b"]));
  assert.equal(bridge.lastReading("a"), null, "an inverter no longer polled has nothing to serve");
  unsubscribe();
  bridge.apply(settingsFor([]));
  assert.deepEqual(applied, [2, 1]);
  assert.ok(lines.some((line) => /\[ERR\].*a settings listener failed.*a broken listener/.test(line)));
  await bridge.stop(100);
});
