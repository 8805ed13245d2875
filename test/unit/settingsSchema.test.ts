import assert from "node:assert/strict";
import { test } from "node:test";
import {
  BACKOFF_JITTER,
  INVERTER_BACKOFF,
  jittered,
  QUEUE_LIMITS,
} from "../../modules/kostal2mqtt/src/config/defaults.js";
import {
  DesiredProperties,
  type EnvDefaults,
} from "../../modules/kostal2mqtt/src/config/desiredProperties.js";
import { ConfigError, loadConfig } from "../../modules/kostal2mqtt/src/config/loadConfig.js";
import {
  configSettings,
  settingAt,
  settingRange,
  validateSetting,
} from "../../modules/kostal2mqtt/src/config/settingInfo.js";

/**
 * One schema: the module twin's desired properties are checked by the same rules as the environment, each setting
 * says whether the twin changes it live, and the defaults derived from the tunables are the tunables.
 */

const defaults: EnvDefaults = {
  pollIntervalSeconds: 10,
  inverters: new Map(),
  username: "pvserver",
  password: "pvwr",
};

function envAccepts(env: Record<string, string>): boolean {
  try {
    loadConfig(env);
    return true;
  } catch (error) {
    if (error instanceof ConfigError) return false;
    throw error;
  }
}

let version = 0;
function twinAccepts(
  desired: Record<string, unknown>,
  property: "pollIntervalSeconds" | "inverters",
): boolean {
  const evaluation = new DesiredProperties(defaults).replace({ $version: ++version, ...desired });
  assert.ok(evaluation);
  return evaluation.reported[property]?.ac === 200;
}

test("pollIntervalSeconds takes exactly the numbers SCRAPE_INTERVAL takes", () => {
  for (const value of [0, 1, 2, 3, 10, 59, 3600, 3601, 2.5, -5, 1e6]) {
    assert.equal(
      twinAccepts({ pollIntervalSeconds: value }, "pollIntervalSeconds"),
      envAccepts({ SCRAPE_INTERVAL: String(value) }),
      String(value),
    );
  }
  const { min, max, integer } = settingRange("scrapeIntervalSeconds") ?? assert.fail("no range");
  assert.deepEqual({ min, max, integer }, { min: 2, max: 3600, integer: true });
  assert.match(validateSetting("scrapeIntervalSeconds", "10") ?? "", /whole number from 2 to 3600/);
  assert.equal(validateSetting("scrapeIntervalSeconds", 10), null);
});

test("an inverter entry of the twin follows KOSTAL_HOST, KOSTAL_USERNAME and KOSTAL_PASSWORD's rules", () => {
  const cases: Array<[string, "host" | "username" | "password" | "protocol", string]> = [
    ["KOSTAL_PROTOCOL", "protocol", "dxs"],
    ["KOSTAL_PROTOCOL", "protocol", "auto"],
    ["KOSTAL_PROTOCOL", "protocol", "modbus"],
    ["KOSTAL_PROTOCOL", "protocol", "DXS"],
    ["KOSTAL_HOST", "host", "192.168.0.40:8080"],
    ["KOSTAL_HOST", "host", "http://piko.local"],
    ["KOSTAL_HOST", "host", "ftp://piko.local"],
    ["KOSTAL_HOST", "host", "http://admin:secret@piko.local"],
    ["KOSTAL_USERNAME", "username", "x".repeat(64)],
    ["KOSTAL_USERNAME", "username", "x".repeat(65)],
    ["KOSTAL_USERNAME", "username", "pv\u0007server"],
    ["KOSTAL_PASSWORD", "password", "p".repeat(128)],
    ["KOSTAL_PASSWORD", "password", "p".repeat(129)],
    ["KOSTAL_PASSWORD", "password", "pw\u0000"],
  ];
  for (const [variable, key, value] of cases) {
    const entry = { host: "192.168.0.41", [key]: value };
    assert.equal(
      twinAccepts({ inverters: { dach: entry } }, "inverters"),
      envAccepts({ KOSTAL_HOST: "192.168.0.40", [variable]: value }),
      `${variable} / ${key}: ${JSON.stringify(value).slice(0, 40)}`,
    );
  }
});

test("each setting says whether it applies live; the live ones are the twin's, and the twin knows them all", () => {
  const live = configSettings().filter((setting) => setting.live);
  assert.deepEqual(live.map((setting) => setting.env).sort(), [
    "KOSTAL_HOST",
    "KOSTAL_ID",
    "KOSTAL_INVERTERS",
    "KOSTAL_MIRROR_PORT",
    "KOSTAL_PASSWORD",
    "KOSTAL_PROTOCOL",
    "KOSTAL_USERNAME",
    "SCRAPE_INTERVAL",
  ]);
  for (const setting of configSettings()) {
    assert.equal(
      setting.twin !== null,
      setting.live,
      `${setting.env}: live exactly when the twin changes it`,
    );
  }
  assert.ok(
    configSettings().every((setting) => !setting.env.startsWith("MQTT_") || !setting.live),
    "MQTT settings need a restart",
  );
  const names = [...new Set(live.map((setting) => setting.twin!.split(".")[0]!))];
  const evaluation = new DesiredProperties(defaults).replace({
    $version: 1,
    ...Object.fromEntries(names.map((name) => [name, name === "inverters" ? {} : 10])),
  });
  for (const name of names) assert.notEqual(evaluation?.reported[name]?.ac, 400, name);
  assert.throws(() => settingAt("mqtt.nonsense"), /no setting mqtt\.nonsense/);
});

test("defaults that derive from the tunables are the tunables", () => {
  assert.equal(settingAt("site.retryMaxSeconds").default, INVERTER_BACKOFF.maxMs / 1000);
  assert.equal(settingAt("site.authRetrySeconds").default, INVERTER_BACKOFF.authStartMs / 1000);
  assert.equal(loadConfig({}).site.retryMaxSeconds, 300, "the documented 300 s");
  assert.deepEqual({ ...QUEUE_LIMITS }, { maxItems: 10_000, maxAgeMs: 24 * 3600_000 });
  assert.equal(
    jittered(1000, () => 0),
    1000 * (1 - BACKOFF_JITTER),
  );
  assert.equal(
    jittered(1000, () => 1),
    1000 * (1 + BACKOFF_JITTER),
  );
  assert.equal(
    jittered(1000, () => 0.5),
    1000,
  );
});
