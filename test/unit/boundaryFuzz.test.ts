import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DesiredProperties,
  type EnvDefaults,
} from "../../modules/kostal2mqtt/src/config/desiredProperties.js";
import { ConfigError, configSettings, loadConfig } from "../../modules/kostal2mqtt/src/config/loadConfig.js";
import { createLogger, Redactor } from "../../modules/kostal2mqtt/src/log/logger.js";
import { EdgeController } from "../../modules/kostal2mqtt/src/controllers/edgeController.js";
import { statusPageUrl } from "../../modules/kostal2mqtt/src/piko/inverterAddress.js";
import { isInverterId } from "../../modules/kostal2mqtt/src/reading/reading.js";
import { Bridge } from "../../modules/kostal2mqtt/src/runtime/bridge.js";
import { Prng, testSeed } from "../support/prng.js";

/**
 * Fuzz tests of the input boundaries other than the page (which readerFuzz.test.ts covers): module twin desired
 * patches, direct method payloads and the environment, 10,000 cases each. Seeded: the seed is printed and in the
 * test names; FUZZ_SEED replays a run.
 */

const CASES = 10_000;
const seed = testSeed("boundary fuzz", "dist/test/unit/boundaryFuzz.test.js");
const CANARY = "canary-fuzz-secret";

const KEYS = [
  "pollIntervalSeconds",
  "inverters",
  "host",
  "username",
  "password",
  "enabled",
  "dach",
  "Bad Id",
  "$version",
  "x",
  "",
  "__proto__",
  "constructor",
];

function randomString(prng: Prng): string {
  const pool = [
    "",
    " ",
    "10",
    "-5",
    "1e308",
    "NaN",
    "dach",
    "192.168.0.40",
    "http://piko:80",
    "ftp://x",
    "a:b@c",
    "\u0000",
    "\u001b[2J",
    "ü",
    "x".repeat(300),
    "true",
    "null",
    "{}",
    "[]",
  ];
  return prng.chance(0.7)
    ? pool[prng.int(pool.length)]!
    : String.fromCharCode(...Array.from({ length: prng.int(12) }, () => prng.int(0x250)));
}

function randomValue(prng: Prng, depth = 0): unknown {
  const kind = prng.int(depth > 3 ? 6 : 8);
  switch (kind) {
    case 0:
      return null;
    case 1:
      return prng.chance(0.5);
    case 2:
      return [0, 1, 2, 10, 3600, 3601, -1, 2.5, 1e308, -0, Number.MAX_SAFE_INTEGER][prng.int(11)];
    case 3:
    case 4:
    case 5:
      return randomString(prng);
    case 6:
      return Array.from({ length: prng.int(4) }, () => randomValue(prng, depth + 1));
    default: {
      const object: Record<string, unknown> = {};
      for (let i = prng.int(5); i > 0; i--)
        object[KEYS[prng.int(KEYS.length)]!] = randomValue(prng, depth + 1);
      return object;
    }
  }
}

function randomPatch(prng: Prng, version: number): unknown {
  if (prng.chance(0.05)) return randomValue(prng);
  const patch: Record<string, unknown> = { $version: prng.chance(0.9) ? version : randomValue(prng) };
  if (prng.chance(0.6)) patch.pollIntervalSeconds = randomValue(prng);
  if (prng.chance(0.6)) {
    const inverters: Record<string, unknown> = {};
    for (let i = prng.int(4); i > 0; i--) {
      const id = prng.chance(0.7) ? ["dach", "garage", "w2"][prng.int(3)]! : randomString(prng);
      inverters[id] = prng.chance(0.6)
        ? {
            host: prng.chance(0.7) ? "10.0.0.2" : randomValue(prng),
            password: CANARY,
            ...(prng.chance(0.3) ? { enabled: randomValue(prng) } : {}),
          }
        : randomValue(prng);
    }
    patch.inverters = inverters;
  }
  if (prng.chance(0.2)) patch[KEYS[prng.int(KEYS.length)]!] = randomValue(prng);
  return patch;
}

const defaults: EnvDefaults = {
  pollIntervalSeconds: 10,
  inverters: new Map(),
  username: "pvserver",
  password: CANARY,
};

test(`twin desired patches: ${CASES} random patches give valid settings and acks, never a throw (seed ${seed})`, () => {
  const prng = new Prng(seed, 1);
  const desired = new DesiredProperties(defaults);
  for (let i = 0; i < CASES; i++) {
    const evaluation = prng.chance(0.05)
      ? desired.replace(randomPatch(prng, i + 1))
      : desired.patch(randomPatch(prng, i + 1));
    if (evaluation === null) continue;
    const { pollIntervalSeconds, inverters } = evaluation.settings;
    assert.ok(
      Number.isInteger(pollIntervalSeconds) && pollIntervalSeconds >= 2 && pollIntervalSeconds <= 3600,
      `case ${i}`,
    );
    for (const [id, settings] of inverters) {
      assert.ok(isInverterId(id), `case ${i}: id ${JSON.stringify(id)}`);
      assert.doesNotThrow(() => statusPageUrl(settings.host), `case ${i}`);
      assert.equal(typeof settings.enabled, "boolean");
    }
    for (const ack of Object.values(evaluation.reported)) {
      if (ack === null) continue;
      assert.ok([200, 203, 400].includes(ack.ac), `case ${i}`);
      assert.equal(typeof ack.ad, "string");
    }
    assert.ok(
      !JSON.stringify(evaluation.reported).includes(CANARY),
      `case ${i}: a password in reported properties`,
    );
  }
});

test(`direct method payloads: ${CASES} random payloads are answered 200/400/404/503, never a throw (seed ${seed})`, async () => {
  const prng = new Prng(seed, 2);
  const log = createLogger({ level: "error", write: () => undefined });
  const bridge = new Bridge({ outputs: [], log, limits: { timeoutMs: 100, maxBytes: 1024 } });
  const sync = new EdgeController({
    control: bridge,
    twin: { isConnected: false, updateReported: () => Promise.resolve(), refetchTwin: () => undefined },
    desired: new DesiredProperties(defaults),
    info: { version: "x", startedAt: "y" },
    log,
    redactor: new Redactor(),
  });
  for (let i = 0; i < CASES; i++) {
    const payload = prng.chance(0.3) ? { inverter: randomValue(prng) } : randomValue(prng);
    const answer = await sync.methods.readNow!(payload);
    assert.ok([200, 400, 404, 503].includes(answer.status), `case ${i}: ${answer.status}`);
    assert.doesNotThrow(() => JSON.stringify(answer.payload));
    const status = await sync.methods.getStatus!(payload);
    assert.equal(status.status, 200);
  }
});

test(`environment: ${CASES} random environments are a configuration or one ConfigError listing problems (seed ${seed})`, () => {
  const prng = new Prng(seed, 3);
  const names = configSettings().map((s) => s.env);
  const secretNames = new Set(
    configSettings()
      .filter((s) => s.sensitive)
      .map((s) => s.env),
  );
  for (let i = 0; i < CASES; i++) {
    const env: Record<string, string> = {};
    for (let n = prng.int(6); n > 0; n--) {
      const name = names[prng.int(names.length)]!;
      env[name] = secretNames.has(name) ? `${CANARY}${prng.chance(0.3) ? "\u0001" : ""}` : randomString(prng);
    }
    try {
      const config = loadConfig(env);
      assert.ok(config.scrapeIntervalSeconds >= 2, `case ${i}`);
    } catch (error) {
      assert.ok(error instanceof ConfigError, `case ${i}: ${String(error)}`);
      assert.ok(error.problems.length >= 1);
      assert.ok(!error.message.includes(CANARY), `case ${i}: a secret in the error`);
    }
  }
});
