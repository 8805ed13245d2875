import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ConfigError, loadConfig, redactedConfig } from "../../modules/kostal2mqtt/src/config/loadConfig.js";

test("defaults are the PIKO's and the original script's", () => {
  const config = loadConfig({});
  assert.deepEqual(config.kostal, {
    host: "",
    id: "",
    username: "pvserver",
    password: "pvwr",
    protocol: "auto",
    inverters: "",
    timeoutSeconds: 5,
    mirrorPort: 0,
  });
  assert.equal(config.scrapeIntervalSeconds, 10);
  assert.equal(config.logLevel, "info");
  assert.deepEqual(
    {
      host: config.mqtt.host,
      port: config.mqtt.port,
      topic: config.mqtt.topic,
      keepalive: config.mqtt.keepaliveSeconds,
    },
    { host: "", port: 1883, topic: "KOSTAL", keepalive: 60 },
  );
  assert.equal(config.mqtt.tls, false);
  assert.equal(config.mqtt.discovery, true);
});

test("flags take true/false, 1/0, yes/no, on/off and nothing else", () => {
  assert.equal(loadConfig({ MQTT_TLS: "yes" }).mqtt.tls, true);
  assert.equal(loadConfig({ MQTT_TLS: "FALSE" }).mqtt.tls, false);
  assert.equal(loadConfig({ HA_DISCOVERY: "0" }).mqtt.discovery, false);
  assert.throws(() => loadConfig({ MQTT_TLS: "maybe" }), /MQTT_TLS: must be true or false/);
});

test("topics to publish to never hold wildcards", () => {
  for (const topic of ["a/#", "a/+/b", "/lead"]) {
    assert.throws(() => loadConfig({ MQTT_TOPIC: topic }), /MQTT_TOPIC/, topic);
  }
  assert.equal(loadConfig({ MQTT_TOPIC: "home/solar" }).mqtt.topic, "home/solar");
});

test("environment variables are read and converted", () => {
  const config = loadConfig({
    KOSTAL_HOST: "192.168.0.40:80",
    SCRAPE_INTERVAL: "30",
    KOSTAL_TIMEOUT: "2.5",
    LOG_LEVEL: "debug",
  });
  assert.equal(config.kostal.host, "192.168.0.40:80");
  assert.equal(config.scrapeIntervalSeconds, 30);
  assert.equal(config.kostal.timeoutSeconds, 2.5);
  assert.equal(config.logLevel, "debug");
});

test("every problem is listed at once, by variable name, without echoing a secret", () => {
  const secret = "canary\u0001secret";
  const error = (() => {
    try {
      loadConfig({
        SCRAPE_INTERVAL: "1",
        KOSTAL_TIMEOUT: "soon",
        KOSTAL_HOST: "ftp://x",
        KOSTAL_ID: "Bad Id",
        LOG_LEVEL: "loud",
        KOSTAL_PASSWORD: secret,
      });
    } catch (e) {
      return e;
    }
    return assert.fail("should throw");
  })();
  assert.ok(error instanceof ConfigError);
  const variables = error.problems.map((p) => p.split(":")[0]).sort();
  assert.deepEqual(variables, [
    "KOSTAL_HOST",
    "KOSTAL_ID",
    "KOSTAL_PASSWORD",
    "KOSTAL_TIMEOUT",
    "LOG_LEVEL",
    "SCRAPE_INTERVAL",
  ]);
  assert.ok(!error.message.includes("canary"), error.message);
});

test("secrets may come from *_FILE; an unreadable file is a listed problem", () => {
  const dir = mkdtempSync(join(tmpdir(), "k2m-"));
  writeFileSync(join(dir, "pw"), "from-file\n");
  assert.equal(loadConfig({ KOSTAL_PASSWORD_FILE: join(dir, "pw") }).kostal.password, "from-file");
  assert.equal(
    loadConfig({ KOSTAL_PASSWORD_FILE: join(dir, "pw"), KOSTAL_PASSWORD: "env" }).kostal.password,
    "env",
  );
  assert.throws(
    () => loadConfig({ KOSTAL_PASSWORD_FILE: join(dir, "missing") }),
    (e: unknown) =>
      e instanceof ConfigError && /KOSTAL_PASSWORD_FILE: cannot read .* \(ENOENT\)/.test(e.problems[0] ?? ""),
  );
});

test("the redacted configuration hides every secret", () => {
  const shown = redactedConfig(loadConfig({ KOSTAL_PASSWORD: "canary-secret" }));
  assert.equal(shown.KOSTAL_PASSWORD, "[redacted]");
  assert.equal(shown.KOSTAL_USERNAME, "pvserver");
  assert.ok(!JSON.stringify(shown).includes("canary-secret"));
});
