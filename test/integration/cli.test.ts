import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ManualClock, PikoSimulator } from "../../modules/piko-simulator/src/index.js";
import { runCliProcess } from "../support/cliProcess.js";
import { capturesTestOptions, PIKO_HTML_DIR } from "../support/fixtures.js";
import { assertValidReading } from "../support/readingSchema.js";
import { NOON } from "../support/simulatedTime.js";

/** The command line as a user runs it: `node bin/kostal2mqtt.js ...`, exit codes and output lines. */

const cli = runCliProcess;

let simulator: PikoSimulator;
let url: string;

before(async () => {
  simulator = new PikoSimulator({
    model: "5.5",
    language: "nl",
    password: "canary-cli-pw",
    clock: new ManualClock(NOON),
  });
  url = await simulator.start();
});

after(() => simulator.stop());

test("parse FILE: one JSON line on stdout, exit 0", capturesTestOptions(), async () => {
  const { code, stdout, stderr } = await cli([
    "parse",
    join(PIKO_HTML_DIR, "piko8.3-2string-3phase-de-off.html"),
  ]);
  assert.equal(code, 0, stderr);
  assert.equal(stdout.length, 1);
  assertValidReading(stdout[0]!, "parse output");
  const reading = JSON.parse(stdout[0]!) as Record<string, unknown>;
  assert.equal(reading.status, "off");
  assert.match(stdout[0]!, /"energy_total_kwh":69425\.0/);
});

test("parse of something that is not a status page: one line naming the file and the problem, exit 2", async () => {
  const dir = mkdtempSync(join(tmpdir(), "k2m-cli-"));
  const file = join(dir, "login.html");
  writeFileSync(file, "<html><body><form>login</form></body></html>");
  const { code, stdout, stderr } = await cli(["parse", file]);
  assert.equal(code, 2);
  assert.deepEqual(stdout, []);
  assert.equal(stderr.split("\n").length, 1);
  assert.ok(stderr.startsWith(`${file}: not a PIKO status page`), stderr);
});

test("read --url: one live poll of the simulator over HTTP", async () => {
  const { code, stdout, stderr } = await cli(["read", "--url", url], { KOSTAL_PASSWORD: "canary-cli-pw" });
  assert.equal(code, 0, stderr);
  assertValidReading(stdout[0]!, "read output");
  const reading = JSON.parse(stdout[0]!) as Record<string, unknown>;
  assert.equal(reading.model, "PIKO 5.5");
});

test("read: wrong credentials and an unreachable inverter are one clear line and exit 1, without the password", async () => {
  const wrong = await cli(["read", "--url", url, "--password", "wrong-canary"]);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /^InverterAuth: inverter 127\.0\.0\.1:\d+ refused the credentials \(HTTP 401\)/);
  assert.ok(!wrong.stderr.includes("wrong-canary"));
  const down = await cli(["read", "--url", "127.0.0.1:1"]);
  assert.equal(down.code, 1);
  assert.equal(down.stderr, "InverterUnreachable: inverter 127.0.0.1:1 refused the connection");
});

test("read: a dxs device is found by itself and, without an id, named by its serial", async () => {
  const dxs = new PikoSimulator({
    model: "4.2",
    protocol: "dxs",
    serial: "90812ABC",
    clock: new ManualClock(NOON),
  });
  const dxsUrl = await dxs.start();
  try {
    const { code, stdout, stderr } = await cli(["read", "--url", dxsUrl]);
    assert.equal(code, 0, stderr);
    const reading = JSON.parse(stdout[0]!) as Record<string, unknown>;
    assert.deepEqual(
      [reading.inverter, reading.model, typeof reading.dc1_power_w],
      ["90812abc", "PIKO 4.2", "number"],
    );
    const named = await cli(["read", "--url", dxsUrl, "--id", "dach", "--protocol", "dxs"]);
    assert.equal((JSON.parse(named.stdout[0]!) as Record<string, unknown>).inverter, "dach");
    const wrong = await cli(["read", "--url", dxsUrl, "--protocol", "modbus"]);
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /--protocol must be one of auto, html, dxs, mpplus/);
  } finally {
    await dxs.stop();
  }
});

test("invalid configuration: every problem at once, exit 2", async () => {
  const { code, stderr } = await cli(["run"], {
    SCRAPE_INTERVAL: "0",
    MQTT_PORT: "x",
    KOSTAL_PASSWORD: "canary\u0001",
  });
  assert.equal(code, 2);
  assert.match(stderr, /SCRAPE_INTERVAL/);
  assert.match(stderr, /MQTT_PORT/);
  assert.match(stderr, /KOSTAL_PASSWORD/);
  assert.ok(!stderr.includes("canary"));
});

test("run --print-config shows the effective configuration with every secret redacted", async () => {
  const { code, stdout } = await cli(["run", "--print-config"], {
    KOSTAL_PASSWORD: "canary-k",
    MQTT_PASSWORD: "canary-m",
  });
  assert.equal(code, 0);
  const text = stdout.join("\n");
  assert.ok(!text.includes("canary"), text);
  const shown = JSON.parse(text) as Record<string, unknown>;
  assert.equal(shown.KOSTAL_PASSWORD, "[redacted]");
  assert.equal(shown.MQTT_PASSWORD, "[redacted]");
});

test("unknown commands and options: usage, exit 2", async () => {
  assert.equal((await cli(["frobnicate"])).code, 2);
  assert.equal((await cli(["parse", "--bogus"])).code, 2);
  assert.equal((await cli(["help"])).code, 0);
});
