import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { configSettings, loadConfig } from "../../modules/kostal2mqtt/src/config/loadConfig.js";
import { runCli } from "../../modules/kostal2mqtt/src/cli/runCli.js";
import { configProblems } from "../support/configProblems.js";

/** Start-up configuration as templates and operators write it: empty lines, certificate files, the health port. */

const problemsOf = configProblems;

test("an empty variable means 'not set' for every setting: the default stays in force", () => {
  const empty = Object.fromEntries(configSettings().map((setting) => [setting.env, ""]));
  assert.deepEqual(loadConfig(empty), loadConfig({}));
  const config = loadConfig({ KOSTAL_HOST: "192.168.0.40", KOSTAL_PASSWORD: "", KOSTAL_USERNAME: "  " });
  assert.equal(config.kostal.password, "pvwr", ".env.example's KOSTAL_PASSWORD= keeps the PIKO's default");
  assert.equal(config.kostal.username, "pvserver");
  assert.equal(loadConfig({ MQTT_TOPIC: "" }).mqtt.topic, "KOSTAL");
});

test("an empty secret variable lets its _FILE form apply", () => {
  const dir = mkdtempSync(join(tmpdir(), "k2m-config-"));
  writeFileSync(join(dir, "pw"), "from-file\n");
  const config = loadConfig({ KOSTAL_PASSWORD: "", KOSTAL_PASSWORD_FILE: join(dir, "pw") });
  assert.equal(config.kostal.password, "from-file");
});

test("a missing or unreadable certificate file is a configuration error naming the variable and the file", () => {
  const dir = mkdtempSync(join(tmpdir(), "k2m-tls-"));
  const notPem = join(dir, "ca.txt");
  writeFileSync(notPem, "hello");
  const problems = problemsOf({
    MQTT_HOST: "broker",
    MQTT_TLS: "true",
    MQTT_CA_FILE: "/missing/ca.pem",
    MQTT_CERT_FILE: notPem,
    SCRAPE_INTERVAL: "1",
  });
  assert.ok(problems.includes("MQTT_CA_FILE: cannot read /missing/ca.pem (ENOENT)"), problems.join("\n"));
  assert.ok(problems.includes(`MQTT_CERT_FILE: ${notPem} is not a PEM file (no -----BEGIN line)`));
  assert.ok(
    problems.some((line) =>
      line.startsWith("MQTT_CERT_FILE, MQTT_KEY_FILE: a client certificate needs its key"),
    ),
  );
  assert.ok(
    problems.some((line) => line.startsWith("SCRAPE_INTERVAL:")),
    "every problem at once",
  );
});

test("certificate files without MQTT_TLS are an error, not a silent plain-text connection", () => {
  const problems = problemsOf({ MQTT_HOST: "broker", MQTT_CA_FILE: "/etc/ssl/ca.pem" });
  assert.deepEqual(problems, ["MQTT_CA_FILE: set, but MQTT_TLS is not true"]);
});

test("edgeHub's CA file (EdgeModuleCACertificateFile) is checked at start as well", () => {
  assert.deepEqual(problemsOf({ EdgeModuleCACertificateFile: "/missing/edge-ca.pem" }), [
    "EdgeModuleCACertificateFile: cannot read /missing/edge-ca.pem (ENOENT)",
  ]);
});

test("run with a missing CA file ends with exit 2 and one line, not an internal error", async () => {
  const lines: string[] = [];
  const code = await runCli(["run"], {
    env: { MQTT_HOST: "127.0.0.1", MQTT_TLS: "true", MQTT_CA_FILE: "/missing", HEALTH_PORT: "0" },
    stdout: (line) => lines.push(line),
    stderr: (line) => lines.push(line),
    now: () => 0,
    untilStopped: () => Promise.resolve(),
    onLibraryFault: () => undefined,
  });
  assert.equal(code, 2);
  assert.deepEqual(lines, [
    "kostal2mqtt: invalid configuration:\n  MQTT_CA_FILE: cannot read /missing (ENOENT)",
  ]);
});

test("the health server's port and address are settings: 0 turns it off; the address must be an IP", () => {
  assert.deepEqual(loadConfig({}).health, { port: 8480, bind: "127.0.0.1" });
  assert.deepEqual(loadConfig({ HEALTH_PORT: "0", HEALTH_BIND: "0.0.0.0" }).health, {
    port: 0,
    bind: "0.0.0.0",
  });
  assert.ok(problemsOf({ HEALTH_BIND: "everywhere" }).some((line) => line.startsWith("HEALTH_BIND:")));
  assert.ok(problemsOf({ HEALTH_PORT: "70000" }).some((line) => line.startsWith("HEALTH_PORT:")));
});
