import assert from "node:assert/strict";
import { test } from "node:test";
import {
  DesiredProperties,
  type EnvDefaults,
} from "../../modules/kostal2mqtt/src/config/desiredProperties.js";
import { Redactor } from "../../modules/kostal2mqtt/src/log/logger.js";
import { EdgeController } from "../../modules/kostal2mqtt/src/controllers/edgeController.js";
import { RecordingOutput, runtimeHarness } from "../support/runtimeHarness.js";

/**
 * What the twin's `inverters` map means, as a manifest author expects it: absent or empty is the environment's
 * inverter (KOSTAL_HOST); a named set replaces it; turning every inverter off is explicit and reported.
 */

// Never dialled: the bridge tests below poll fake inverters (test/support/runtimeHarness.ts).
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
    dach: { host: "127.0.0.1:9", username: "pvserver", enabled: true, protocol: "auto", mirrorPort: 0 },
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

/**
 * The controller over the real bridge (fake inverters that answer at once, a fake clock) and a connected twin that
 * records every reported patch. Patches go out on timers of the fake clock: `clock.advance(0)` sends them.
 */
function twinController(defaults: EnvDefaults) {
  const { bridge, clock, lines, log } = runtimeHarness([]);
  bridge.apply(defaults);
  const reports: Array<Record<string, unknown>> = [];
  const controller = new EdgeController({
    control: bridge,
    twin: {
      isConnected: true,
      updateReported: (patch) => {
        reports.push(patch);
        return Promise.resolve();
      },
      refetchTwin: () => undefined,
    },
    desired: new DesiredProperties(defaults),
    info: { version: "test", startedAt: "2026-06-21T10:00:00.000Z" },
    log,
    redactor: new Redactor(),
    now: clock.now,
    timers: clock,
  });
  controller.start();
  const polled = () => bridge.inverterStatuses().map((status) => status.inverter);
  return { controller, bridge, clock, lines, reports, polled };
}

test("an inverter the twin no longer names leaves the reported state; one polled inverter per name", async (t) => {
  const { controller, bridge, clock, reports, polled } = twinController(withEnvironment);
  t.after(() => bridge.stop(100));
  await clock.advance(0);
  const first = reports.at(-1) as { inverterState?: Record<string, { state: string }> };
  assert.equal(first.inverterState?.dach?.state, "producing", "the bridge's status reached the twin");
  controller.onDesired({ $version: 1, inverters: { garage: { host: "127.0.0.1:9" } } }, true);
  await clock.advance(0);
  assert.deepEqual(polled(), ["garage"]);
  const last = reports.at(-1) as { inverterState?: Record<string, unknown>; module?: { state: string } };
  assert.equal(last.inverterState?.dach, null, "the environment's inverter is removed from the report");
  assert.equal(last.module?.state, "polling");
});

test("disabling every inverter is reported as such, logged, and never as 'producing'", async (t) => {
  const { controller, bridge, clock, reports, lines, polled } = twinController(withEnvironment);
  t.after(() => bridge.stop(100));
  controller.onDesired({ $version: 1, inverters: { dach: { enabled: false } } }, true);
  await clock.advance(0);
  assert.deepEqual(polled(), []);
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
  const { controller, bridge, clock, reports, polled } = twinController(withEnvironment);
  t.after(() => bridge.stop(100));
  controller.onDesired({ $version: 1, pollIntervalSeconds: 10, inverters: {} }, true);
  await clock.advance(0);
  assert.deepEqual(polled(), ["dach"]);
  const last = reports.at(-1) as { module?: { state: string }; inverterState?: Record<string, unknown> };
  assert.equal(last.module?.state, "polling");
  assert.ok(!last.inverterState || last.inverterState.dach !== null, "nothing to remove");
});

test("the reported inverters value deletes (null) what it showed before and no longer holds", () => {
  const desired = new DesiredProperties(withEnvironment);
  desired.replace({ $version: 1 });
  const evaluation = desired.patch({ $version: 2, inverters: { garage: { host: "127.0.0.1:10" } } });
  assert.deepEqual(evaluation?.reported.inverters?.value, {
    dach: null,
    garage: { host: "127.0.0.1:10", username: "pvserver", enabled: true, protocol: "auto", mirrorPort: 0 },
  });
});

test("what an earlier run left in the reported state is cleared when this run applies the twin", async (t) => {
  const { controller, bridge, clock, reports } = twinController(withEnvironment);
  t.after(() => bridge.stop(100));
  controller.onReported({
    inverterState: { old: { state: "producing" }, dach: { state: "producing" } },
    inverters: { value: { old: { host: "x" }, dach: { host: "127.0.0.1:9" } }, ac: 200 },
  });
  controller.onDesired({ $version: 4 }, true);
  await clock.advance(0);
  const last = reports.at(-1) as {
    inverterState?: Record<string, unknown>;
    inverters?: { value: Record<string, unknown> };
  };
  assert.equal(last.inverterState?.old, null, "the old run's inverter leaves inverterState");
  assert.notEqual(last.inverterState?.dach, null, "the inverter still configured stays");
  assert.equal(last.inverters?.value.old, null, "and leaves the reported inverters value");
  assert.ok(last.inverters?.value.dach !== null);
});

test("inverter states reach the twin through the bridge's subscription, until the controller stops", async (t) => {
  const { controller, bridge, clock, reports } = twinController(withEnvironment);
  t.after(() => bridge.stop(100));
  await clock.advance(0);
  const states = () =>
    reports.flatMap((patch) => {
      const state = (patch.inverterState as Record<string, { state: string }> | undefined)?.dach?.state;
      return state === undefined ? [] : [state];
    });
  assert.deepEqual(states(), ["producing"]);
  controller.stop();
  bridge.apply({ pollIntervalSeconds: 10, inverters: new Map() });
  bridge.apply({ pollIntervalSeconds: 10, inverters: withEnvironment.inverters });
  await clock.advance(60_000);
  assert.deepEqual(states(), ["producing"], "a stopped controller hears nothing more");
  assert.deepEqual(clock.waiting, [10_000], "and leaves no timer behind");
});

test("getStatus and readNow read through the bridge's control interface, output faults included", async (t) => {
  const broken = new RecordingOutput("broken");
  broken.fail.publishReading = new Error("disk full");
  const { bridge, clock, log } = runtimeHarness([broken]);
  t.after(() => bridge.stop(100));
  bridge.apply(withEnvironment);
  const controller = new EdgeController({
    control: bridge,
    twin: { isConnected: false, updateReported: () => Promise.resolve(), refetchTwin: () => undefined },
    desired: new DesiredProperties(withEnvironment),
    info: { version: "test", startedAt: "2026-06-21T10:00:00.000Z" },
    log,
    redactor: new Redactor(),
    now: clock.now,
    timers: clock,
  });
  await clock.advance(0);
  const read = await controller.readNow({ inverter: "dach" });
  assert.equal(read.status, 200);
  assert.equal((read.payload as { readings: unknown[] }).readings.length, 1);
  assert.equal((await controller.readNow({ inverter: "garage" })).status, 404);
  const status = (await controller.getStatus()).payload as {
    inverters: Array<{ inverter: string; state: string }>;
    outputs: Record<string, { faults?: number; lastFault?: string }>;
  };
  assert.deepEqual(
    status.inverters.map((i) => `${i.inverter} ${i.state}`),
    ["dach producing"],
  );
  assert.equal(status.outputs.broken?.faults, 2, "the poll's reading and readNow's");
  assert.equal(status.outputs.broken?.lastFault, "publishReading: disk full");
});

test("a disabled inverter other than the environment's still needs its host (fuzz seed 4142662485, case 214)", () => {
  const desired = new DesiredProperties(withEnvironment);
  const evaluation = desired.replace({ $version: 1, inverters: { garage: { enabled: false } } });
  assert.equal(evaluation?.reported.inverters?.ac, 400);
  assert.match(evaluation?.reported.inverters?.ad ?? "", /garage\.host: missing/);
});
