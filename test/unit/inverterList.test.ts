import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { envDefaults } from "../../modules/kostal2mqtt/src/config/envSettings.js";
import { loadConfig, redactedConfig } from "../../modules/kostal2mqtt/src/config/loadConfig.js";
import { DesiredProperties } from "../../modules/kostal2mqtt/src/config/desiredProperties.js";
import { redactedInverterMap } from "../../modules/kostal2mqtt/src/config/inverterSettings.js";
import { configProblems } from "../support/configProblems.js";

/**
 * Issue 12, several inverters from the environment: KOSTAL_INVERTERS holds the twin's `inverters` shape, checked by
 * the same entry rules, every problem listed with its path at start, passwords never shown.
 */

const SECRET = "Canary-List-Pw9";

function problemsOf(env: Record<string, string>): string[] {
  const problems = configProblems(env);
  assert.ok(problems.length > 0, `no configuration error for ${JSON.stringify(env)}`);
  return problems;
}

test("KOSTAL_INVERTERS names several inverters; KOSTAL_USERNAME and KOSTAL_PASSWORD are their defaults", () => {
  const config = loadConfig({
    KOSTAL_USERNAME: "admin",
    KOSTAL_PASSWORD: "shared-pw",
    KOSTAL_INVERTERS: JSON.stringify({
      roof: { host: "10.0.0.5", rs485Address: 255 },
      garage: { host: "10.0.0.5", rs485Address: 2, password: SECRET },
      barn: { host: "http://10.0.0.7:8080", username: "pvserver", enabled: false },
    }),
  });
  const { inverters } = envDefaults(config);
  assert.deepEqual(Object.fromEntries(inverters), {
    roof: {
      host: "10.0.0.5",
      username: "admin",
      password: "shared-pw",
      enabled: true,
      protocol: "auto",
      mirrorPort: 0,
      rs485Address: 255,
    },
    garage: {
      host: "10.0.0.5",
      username: "admin",
      password: SECRET,
      enabled: true,
      protocol: "auto",
      mirrorPort: 0,
      rs485Address: 2,
    },
    barn: {
      host: "http://10.0.0.7:8080",
      username: "pvserver",
      password: "shared-pw",
      enabled: false,
      protocol: "auto",
      mirrorPort: 0,
    },
  });
});

test("KOSTAL_HOST alone keeps naming one inverter", () => {
  const { inverters } = envDefaults(loadConfig({ KOSTAL_HOST: "192.168.0.40", KOSTAL_ID: "dach" }));
  assert.deepEqual([...inverters.keys()], ["dach"]);
  assert.equal(inverters.get("dach")?.rs485Address, undefined);
});

test("every problem of the list is listed at start with its path, and no password is shown", () => {
  const problems = problemsOf({
    KOSTAL_INVERTERS: JSON.stringify({
      roof: { host: "10.0.0.5", rs485Address: 0, password: SECRET },
      garage: { password: SECRET },
      "Bad Id": { host: "10.0.0.6" },
      shed: { host: "10.0.0.8", colour: "red" },
      attic: { host: "10.0.0.9", password: `${SECRET}\n` },
    }),
  });
  assert.deepEqual(problems, [
    "KOSTAL_INVERTERS: roof.rs485Address: must be from 1 to 255",
    "KOSTAL_INVERTERS: garage.host: missing (the address of the inverter)",
    "KOSTAL_INVERTERS: inverter id 'Bad Id' must be 1 to 64 characters of a-z, 0-9, _ and -",
    "KOSTAL_INVERTERS: shed: unknown key 'colour'",
    "KOSTAL_INVERTERS: attic.password: must not contain control characters",
  ]);
  assert.ok(!problems.join("\n").includes(SECRET));
});

test("text that is not a JSON object is refused without quoting it", () => {
  for (const text of [`{"roof":{"host":"10.0.0.5","password":"${SECRET}"}`, `["${SECRET}"]`, `"${SECRET}"`]) {
    const problems = problemsOf({ KOSTAL_INVERTERS: text });
    assert.equal(problems.length, 1, problems.join("\n"));
    assert.match(problems[0]!, /^KOSTAL_INVERTERS: must be (JSON|an object mapping inverter ids)/);
    assert.ok(!problems[0]!.includes(SECRET), problems[0]);
  }
});

test("KOSTAL_HOST or KOSTAL_ID beside KOSTAL_INVERTERS is a start-up error that says why", () => {
  const problems = problemsOf({
    KOSTAL_HOST: "10.0.0.4",
    KOSTAL_ID: "dach",
    KOSTAL_INVERTERS: JSON.stringify({ roof: { host: "10.0.0.5" } }),
  });
  assert.equal(problems.length, 2);
  assert.match(
    problems[0]!,
    /^KOSTAL_HOST, KOSTAL_INVERTERS: both set; name one inverter in KOSTAL_HOST or several/,
  );
  assert.match(problems[1]!, /^KOSTAL_ID, KOSTAL_INVERTERS: .*the list's keys are its ids/);
});

test("the list may come from KOSTAL_INVERTERS_FILE; the configuration dump redacts its passwords", () => {
  const file = join(mkdtempSync(join(tmpdir(), "k2m-list-")), "inverters.json");
  writeFileSync(file, `${JSON.stringify({ roof: { host: "10.0.0.5", password: SECRET } })}\n`);
  const config = loadConfig({ KOSTAL_INVERTERS_FILE: file });
  assert.equal(envDefaults(config).inverters.get("roof")?.password, SECRET);
  const dump = redactedConfig(config);
  assert.ok(!JSON.stringify(dump).includes(SECRET), JSON.stringify(dump));
  assert.equal(
    dump.KOSTAL_INVERTERS,
    '{"roof":{"host":"10.0.0.5","password":"[redacted]"}}',
    "only the password hidden",
  );
});

test("the twin's entries inherit from the list's by id, the bus address only with the host", () => {
  const defaults = envDefaults(
    loadConfig({
      KOSTAL_INVERTERS: JSON.stringify({ garage: { host: "10.0.0.5", rs485Address: 2, password: SECRET } }),
    }),
  );
  const off = new DesiredProperties(defaults).replace({
    $version: 1,
    inverters: { garage: { enabled: false } },
  });
  assert.deepEqual(off?.settings.inverters.get("garage"), {
    host: "10.0.0.5",
    username: "pvserver",
    password: SECRET,
    enabled: false,
    protocol: "auto",
    mirrorPort: 0,
    rs485Address: 2,
  });
  assert.deepEqual(off?.reported.inverters?.value, {
    garage: {
      host: "10.0.0.5",
      username: "pvserver",
      enabled: false,
      protocol: "auto",
      mirrorPort: 0,
      rs485Address: 2,
    },
  });
  const moved = new DesiredProperties(defaults).replace({
    $version: 1,
    inverters: { garage: { host: "10.0.0.9" } },
  });
  assert.equal(moved?.settings.inverters.get("garage")?.rs485Address, undefined);
  const none = new DesiredProperties(defaults).replace({ $version: 1 });
  assert.deepEqual(
    [...(none?.settings.inverters.keys() ?? [])],
    ["garage"],
    "no twin map: the list's inverters",
  );
  assert.equal(none?.reported.inverters?.ad, "default (KOSTAL_INVERTERS)", "the acknowledgement says whose");
});

test("the list's problems come with every other setting's, at once (run exits with code 2 on them)", () => {
  const problems = problemsOf({
    KOSTAL_INVERTERS: JSON.stringify({ roof: { host: "10.0.0.5", rs485Address: 300, password: SECRET } }),
    SCRAPE_INTERVAL: "1",
  });
  assert.equal(problems.length, 2, problems.join("\n"));
  assert.match(problems[0]!, /^SCRAPE_INTERVAL: /);
  assert.equal(problems[1], "KOSTAL_INVERTERS: roof.rs485Address: must be from 1 to 255");
  assert.ok(!problems.join("\n").includes(SECRET));
});

test("inverters on one bus, read through one web server, must each name their own bus address", () => {
  const problems = problemsOf({
    KOSTAL_INVERTERS: JSON.stringify({
      haus: { host: "10.0.0.5" },
      garage: { host: "http://10.0.0.5:80", rs485Address: 2 },
      barn: { host: "10.0.0.6:8080", rs485Address: 3 },
      shed: { host: "10.0.0.6:8080", rs485Address: 3 },
      solo: { host: "10.0.0.7" },
      again: { host: "10.0.0.7:80", password: SECRET },
    }),
  });
  assert.deepEqual(problems, [
    "KOSTAL_INVERTERS: haus, garage: read through one web server (10.0.0.5), so each needs its rs485Address " +
      "(the web server's own inverter usually 255)",
    "KOSTAL_INVERTERS: barn, shed: both rs485Address 3 on 10.0.0.6:8080",
  ]);
  const twin = new DesiredProperties(envDefaults(loadConfig({}))).replace({
    $version: 1,
    inverters: { haus: { host: "10.0.0.5" }, garage: { host: "10.0.0.5", rs485Address: 2 } },
  });
  assert.equal(twin?.reported.inverters?.ac, 400, "the twin's map is checked by the same rule");
});

test("the dump's view of a list hides every password and never shows text that is not a map", () => {
  assert.equal(
    redactedInverterMap(`{"a":1,"b":{"host":"h","password":"${SECRET}","rs485Address":2}}`),
    '{"a":1,"b":{"host":"h","password":"[redacted]","rs485Address":2}}',
  );
  for (const text of [`{"b":{"password":"${SECRET}"}`, `["${SECRET}"]`, "null"])
    assert.equal(redactedInverterMap(text), "[redacted]");
});
