import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DesiredProperties,
  mergePatch,
  type EnvDefaults,
} from "../../modules/kostal2mqtt/src/config/desiredProperties.js";

const defaults: EnvDefaults = {
  pollIntervalSeconds: 10,
  inverters: new Map([
    ["env", { host: "192.168.0.40", username: "pvserver", password: "env-secret", enabled: true }],
  ]),
  username: "pvserver",
  password: "env-secret",
};

test("twin patches merge like IoT Hub: objects merge, null deletes", () => {
  assert.deepEqual(
    mergePatch({ a: 1, m: { x: { h: "1" }, y: { h: "2" } } }, { a: 2, m: { x: null, z: { h: "3" } } }),
    {
      a: 2,
      m: { y: { h: "2" }, z: { h: "3" } },
    },
  );
});

test("without desired properties the environment's defaults apply, acknowledged as 203", () => {
  const desired = new DesiredProperties(defaults);
  const evaluation = desired.replace({ $version: 1 });
  assert.ok(evaluation);
  assert.equal(evaluation.settings.pollIntervalSeconds, 10);
  assert.deepEqual([...evaluation.settings.inverters.keys()], ["env"]);
  assert.deepEqual(evaluation.reported.pollIntervalSeconds, {
    value: 10,
    ac: 203,
    av: 0,
    ad: "default (SCRAPE_INTERVAL)",
  });
  assert.deepEqual(evaluation.reported.inverters?.value, {
    env: { host: "192.168.0.40", username: "pvserver", enabled: true, protocol: "auto", mirrorPort: 0 },
  });
});

test("valid values are applied and acknowledged with 200 and the desired version; passwords never echoed", () => {
  const desired = new DesiredProperties(defaults);
  const evaluation = desired.replace({
    $version: 4,
    pollIntervalSeconds: 30,
    inverters: {
      dach: { host: "10.0.0.2:8080", password: "twin-secret" },
      garage: { host: "garage", enabled: false },
    },
  });
  assert.ok(evaluation);
  assert.deepEqual(evaluation.reported.pollIntervalSeconds, { value: 30, ac: 200, av: 4, ad: "applied" });
  assert.equal(evaluation.reported.inverters?.ac, 200);
  assert.equal(evaluation.settings.inverters.get("dach")?.password, "twin-secret");
  assert.equal(
    evaluation.settings.inverters.get("dach")?.username,
    "pvserver",
    "username defaults from the environment",
  );
  assert.equal(evaluation.settings.inverters.get("garage")?.enabled, false);
  assert.ok(!JSON.stringify(evaluation.reported).includes("secret"));
});

test("invalid values get 400 with the reason, and the last good value stays in force", () => {
  const desired = new DesiredProperties(defaults);
  desired.replace({ $version: 1, pollIntervalSeconds: 20, inverters: { dach: { host: "a" } } });
  const cases: unknown[] = [1, 3601, 2.5, "10", null, -5, 1e308, { nested: [1] }, [10], true];
  let version = 1;
  for (const value of cases) {
    const evaluation = desired.patch({ $version: ++version, pollIntervalSeconds: value });
    assert.ok(evaluation);
    const ack = evaluation.reported.pollIntervalSeconds;
    if (value === null) {
      assert.equal(ack?.ac, 203, "null deletes the desired value: the default applies");
      desired.patch({ $version: ++version, pollIntervalSeconds: 20 });
      continue;
    }
    assert.equal(ack?.ac, 400, JSON.stringify(value));
    assert.equal(ack?.av, version);
    assert.match(ack?.ad ?? "", /^rejected: .*; 20 s stays in force$/);
    assert.equal(evaluation.settings.pollIntervalSeconds, 20);
  }
});

test("an invalid inverter rejects the inverters property; unknown keys are rejected and later cleared", () => {
  const desired = new DesiredProperties(defaults);
  desired.replace({ $version: 1, inverters: { dach: { host: "a" } } });
  const bad = desired.patch({
    $version: 2,
    inverters: { "Bad Id": { host: "x" }, ok: { host: "ftp://x" }, more: { host: "y", colour: "red" }, n: 5 },
    surprise: { deep: { deeper: [1, 2, 3] } },
  });
  assert.ok(bad);
  assert.equal(bad.reported.inverters?.ac, 400);
  assert.match(
    bad.reported.inverters?.ad ?? "",
    /Bad Id.*a-z.*ok\.host.*speaks http.*more: unknown key 'colour'.*n: must be an object/,
  );
  assert.deepEqual([...bad.settings.inverters.keys()], ["dach"], "last good set in force");
  assert.deepEqual(bad.reported.surprise, { value: null, ac: 400, av: 2, ad: "rejected: unknown property" });
  const cleared = desired.patch({
    $version: 3,
    surprise: null,
    inverters: { "Bad Id": null, ok: null, more: null, n: null },
  });
  assert.ok(cleared);
  assert.equal(cleared.reported.surprise, null, "the ack of a removed unknown key is deleted");
  assert.equal(cleared.reported.inverters?.ac, 200);
});

test("a patch can add, change and remove one inverter; stale versions are ignored; gaps are flagged", () => {
  const desired = new DesiredProperties(defaults);
  desired.replace({ $version: 5, inverters: { a: { host: "a" }, b: { host: "b" } } });
  const changed = desired.patch({ $version: 6, inverters: { a: { host: "a2" }, b: null, c: { host: "c" } } });
  assert.deepEqual([...(changed?.settings.inverters.keys() ?? [])].sort(), ["a", "c"]);
  assert.equal(changed?.settings.inverters.get("a")?.host, "a2");
  assert.equal(desired.patch({ $version: 6, pollIntervalSeconds: 99 }), null, "already applied");
  assert.equal(desired.replace({ $version: 4 }), null, "older twin");
  assert.equal(desired.patch({ $version: 9, pollIntervalSeconds: 60 })?.gap, true);
});
