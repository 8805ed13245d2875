import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DesiredProperties,
  type EnvDefaults,
} from "../../modules/kostal2mqtt/src/config/desiredProperties.js";
import { createLogger, Redactor } from "../../modules/kostal2mqtt/src/log/logger.js";
import { ModuleTwinSync } from "../../modules/kostal2mqtt/src/outputs/edgeHub/moduleTwinSync.js";
import type { EdgeHubSession } from "../../modules/kostal2mqtt/src/outputs/edgeHub/edgeHubSession.js";
import { Bridge } from "../../modules/kostal2mqtt/src/runtime/bridge.js";

/**
 * What the twin's `inverters` map means, as a manifest author expects it: absent or empty is the environment's
 * inverter (KOSTAL_HOST); a named set replaces it; turning every inverter off is explicit and reported.
 */

// Loopback only: the bridge tests below really start polling (port 9 refuses at once).
const ENV_INVERTER = { host: "127.0.0.1:9", username: "pvserver", password: "pvwr", enabled: true };
const withEnvironment: EnvDefaults = {
  pollIntervalSeconds: 10,
  inverters: new Map([["dach", ENV_INVERTER]]),
  username: "pvserver",
  password: "pvwr",
};
const withoutEnvironment: EnvDefaults = { ...withEnvironment, inverters: new Map() };

test("an empty inverters map keeps the environment's inverter, acknowledged as applied", () => {
  const desired = new DesiredProperties(withEnvironment);
  const evaluation = desired.replace({ $version: 2, pollIntervalSeconds: 10, inverters: {} });
  assert.ok(evaluation);
  assert.deepEqual([...evaluation.settings.inverters.keys()], ["dach"]);
  assert.equal(evaluation.reported.inverters?.ac, 200);
  assert.equal(evaluation.reported.inverters?.av, 2);
  assert.match(evaluation.reported.inverters?.ad ?? "", /no inverter in the twin; default \(KOSTAL_HOST\)/);
  assert.deepEqual(evaluation.reported.inverters?.value, {
    dach: { host: "127.0.0.1:9", username: "pvserver", enabled: true },
  });
});

test("a map of only IoT Hub metadata counts as empty", () => {
  const desired = new DesiredProperties(withEnvironment);
  const evaluation = desired.replace({ $version: 3, inverters: { $metadata: {}, $version: 3 } });
  assert.deepEqual([...(evaluation?.settings.inverters.keys() ?? [])], ["dach"]);
});

test("removing the twin's last inverter falls back to the environment's", () => {
  const desired = new DesiredProperties(withEnvironment);
  desired.replace({ $version: 1, inverters: { garage: { host: "127.0.0.1:10" } } });
  const evaluation = desired.patch({ $version: 2, inverters: { garage: null } });
  assert.deepEqual([...(evaluation?.settings.inverters.keys() ?? [])], ["dach"]);
});

test("without KOSTAL_HOST an empty map says the module waits for configuration", () => {
  const desired = new DesiredProperties(withoutEnvironment);
  const evaluation = desired.replace({ $version: 1, inverters: {} });
  assert.equal(evaluation?.settings.inverters.size, 0);
  assert.match(evaluation?.reported.inverters?.ad ?? "", /waiting for configuration/);
});

test("the environment's inverter is turned off by its id alone; another inverter needs a host", () => {
  const desired = new DesiredProperties(withEnvironment);
  const off = desired.replace({ $version: 1, inverters: { dach: { enabled: false } } });
  assert.equal(off?.settings.inverters.get("dach")?.enabled, false);
  assert.equal(off?.settings.inverters.get("dach")?.host, "127.0.0.1:9");
  assert.equal(off?.reported.inverters?.ac, 200);
  assert.match(off?.reported.inverters?.ad ?? "", /every inverter is disabled, none is polled/);
  const missingHost = desired.patch({ $version: 2, inverters: { garage: { username: "x" } } });
  assert.equal(missingHost?.reported.inverters?.ac, 400);
  assert.match(missingHost?.reported.inverters?.ad ?? "", /garage\.host: missing/);
});

function twinSync(defaults: EnvDefaults) {
  const lines: string[] = [];
  const log = createLogger({ level: "info", write: (line) => lines.push(line) });
  const bridge = new Bridge({ outputs: [], log, limits: { timeoutMs: 100, maxBytes: 1024 } });
  bridge.apply(defaults);
  const reports: Array<Record<string, unknown>> = [];
  const sync = new ModuleTwinSync(
    bridge,
    new DesiredProperties(defaults),
    { version: "test", startedAt: "2026-06-21T10:00:00.000Z" },
    log,
    new Redactor(),
  );
  // A connected session that records every reported patch.
  sync.session = {
    isConnected: true,
    updateReported: (patch: Record<string, unknown>) => {
      reports.push(patch);
      return Promise.resolve();
    },
    refetchTwin: () => undefined,
  } as unknown as EdgeHubSession;
  return { sync, bridge, lines, reports };
}

/** Reported patches are flushed on a zero-delay timer. */
const flushed = () => new Promise((resolve) => setTimeout(resolve, 5));

test("an inverter the twin no longer names leaves the reported state; one polled inverter per name", async (t) => {
  const { sync, bridge, reports } = twinSync(withEnvironment);
  t.after(() => bridge.stop(100));
  sync.onInverterStatus({
    inverter: "dach",
    state: "producing",
    since: "2026-06-21T10:00:00.000Z",
    last_seen: "2026-06-21T10:00:00.000Z",
    message: "ok",
  });
  sync.onDesired({ $version: 1, inverters: { garage: { host: "127.0.0.1:9" } } }, true);
  await flushed();
  assert.deepEqual(bridge.inverterIds(), ["garage"]);
  const last = reports.at(-1) as { inverterState?: Record<string, unknown>; module?: { state: string } };
  assert.equal(last.inverterState?.dach, null, "the environment's inverter is removed from the report");
  assert.equal(last.module?.state, "polling");
});

test("disabling every inverter is reported as such, logged, and never as 'producing'", async (t) => {
  const { sync, bridge, reports, lines } = twinSync(withEnvironment);
  t.after(() => bridge.stop(100));
  sync.onDesired({ $version: 1, inverters: { dach: { enabled: false } } }, true);
  await flushed();
  assert.deepEqual(bridge.inverterIds(), []);
  const last = reports.at(-1) as {
    inverterState?: Record<string, { state: string }>;
    module?: { state: string; message: string };
  };
  assert.equal(last.inverterState?.dach?.state, "disabled");
  assert.equal(last.module?.state, "disabled");
  assert.ok(
    lines.some((line) => /\[WRN\].*every configured inverter is disabled/.test(line)),
    lines.join("\n"),
  );
});

test("the manifest's empty map keeps polling the environment's inverter", async (t) => {
  const { sync, bridge, reports } = twinSync(withEnvironment);
  t.after(() => bridge.stop(100));
  sync.onDesired({ $version: 1, pollIntervalSeconds: 10, inverters: {} }, true);
  await flushed();
  assert.deepEqual(bridge.inverterIds(), ["dach"]);
  const last = reports.at(-1) as { module?: { state: string }; inverterState?: unknown };
  assert.equal(last.module?.state, "polling");
  assert.equal(last.inverterState, undefined, "nothing to remove");
});

test("the reported inverters value deletes (null) what it showed before and no longer holds", () => {
  const desired = new DesiredProperties(withEnvironment);
  desired.replace({ $version: 1 });
  const evaluation = desired.patch({ $version: 2, inverters: { garage: { host: "127.0.0.1:10" } } });
  assert.deepEqual(evaluation?.reported.inverters?.value, {
    dach: null,
    garage: { host: "127.0.0.1:10", username: "pvserver", enabled: true },
  });
});

test("what an earlier run left in the reported state is cleared when this run applies the twin", async (t) => {
  const { sync, bridge, reports } = twinSync(withEnvironment);
  t.after(() => bridge.stop(100));
  sync.onReported({
    inverterState: { old: { state: "producing" }, dach: { state: "producing" } },
    inverters: { value: { old: { host: "x" }, dach: { host: "127.0.0.1:9" } }, ac: 200 },
  });
  sync.onDesired({ $version: 4 }, true);
  await flushed();
  const last = reports.at(-1) as {
    inverterState?: Record<string, unknown>;
    inverters?: { value: Record<string, unknown> };
  };
  assert.equal(last.inverterState?.old, null, "the old run's inverter leaves inverterState");
  assert.ok(!("dach" in (last.inverterState ?? {})), "the inverter still configured stays");
  assert.equal(last.inverters?.value.old, null, "and leaves the reported inverters value");
  assert.ok(last.inverters?.value.dach !== null);
});
