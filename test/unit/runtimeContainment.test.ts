import assert from "node:assert/strict";
import { test } from "node:test";
import { ReadingGuard } from "../../modules/kostal2mqtt/src/runtime/readingGuard.js";
import { pikoReading, RecordingOutput, runtimeHarness, settingsFor } from "../support/runtimeHarness.js";

/**
 * Issue 10, "failure containment, proven": an output's fault is that output's state. Whatever call of an output
 * throws, the inverter stays `producing` and keeps its interval, every other output gets every reading, status and
 * event, and the fault is counted, logged once per change and shown in that output's health. On the fan-out of
 * before, a throw in `publishReading` kept the reading from the outputs after it and turned the healthy inverter
 * into `format_error` with the output's message, then backed it off.
 */

const POLLS = 10;

/** The broken output first: a fan-out that stops at the first throw starves the one after it. */
function setUp(options: Parameters<typeof runtimeHarness>[2] = {}, answers = {}) {
  const broken = new RecordingOutput("broken");
  const good = new RecordingOutput("good");
  const harness = runtimeHarness([broken, good], answers, options);
  harness.bridge.apply(settingsFor(["dach"], 10));
  let polled = false;
  /** Runs `count` polls at the 10 s interval (the first one is due at once). */
  const poll = async (count = POLLS) => {
    for (let i = 0; i < count; i++) {
      await harness.clock.advance(polled ? 10_000 : 0);
      polled = true;
    }
  };
  const faultLines = (call: string) =>
    harness.lines.filter((line) => line.includes(`output broken: ${call} failed`));
  return { ...harness, broken, good, poll, faultLines };
}

function assertInverterUntouched(bridge: ReturnType<typeof setUp>["bridge"], waiting: number[]): void {
  const [status] = bridge.inverterStatuses();
  assert.equal(status?.state, "producing", `the inverter is producing: ${JSON.stringify(status)}`);
  assert.equal(status?.failures, 0);
  assert.deepEqual(waiting, [10_000], "polled at the interval, not backed off");
}

test("publishReading throws: the other output gets every reading, the inverter stays producing", async (t) => {
  const { bridge, clock, broken, good, poll, faultLines, lines } = setUp();
  t.after(() => bridge.stop(100));
  broken.fail.publishReading = new Error("disk full");
  await poll();
  assert.equal(good.readings.length, POLLS, "every reading reached the other output");
  assertInverterUntouched(bridge, clock.waiting);
  // Statuses: the change to producing, and the refresh after a minute (`last_seen` kept current).
  assert.equal(broken.statuses.length, 2, "the broken output still gets what it can take");
  assert.deepEqual(
    good.events.map((e) => `${e.type} ${e.to}`),
    ["inverter_state producing"],
    "no event blames the inverter",
  );
  const health = bridge.outputHealth();
  assert.equal(health.broken?.faults, POLLS);
  assert.equal(health.broken?.lastFault, "publishReading: disk full");
  assert.equal(health.good?.faults, undefined, "the good output has no faults");
  assert.equal(faultLines("publishReading").length, 1, `logged once, not per reading:\n${lines.join("\n")}`);
  assert.match(faultLines("publishReading")[0]!, /\[ERR\].*disk full/);

  broken.fail = {};
  await poll(2);
  assert.equal(broken.readings.length, 2, "a recovered output gets readings again");
  assert.equal(lines.filter((line) => /output broken: publishReading works again/.test(line)).length, 1);
  assert.equal(bridge.outputHealth().broken?.faults, POLLS, "the count stays: faults since start");
});

test("publishInverterStatus throws: statuses, events and readings still reach the other output", async (t) => {
  const { bridge, clock, broken, good, poll, faultLines } = setUp();
  t.after(() => bridge.stop(100));
  broken.fail.publishInverterStatus = new Error("status topic refused by a bug");
  await poll();
  assert.deepEqual(
    good.statuses.map((s) => s.state),
    ["producing", "producing"],
    "the change, and the refresh after a minute",
  );
  assert.equal(good.readings.length, POLLS);
  assert.equal(broken.readings.length, POLLS, "the broken output's other calls go on");
  assertInverterUntouched(bridge, clock.waiting);
  assert.equal(bridge.outputHealth().broken?.faults, 2);
  assert.equal(faultLines("publishInverterStatus").length, 1, "said once for both");
});

test("publishEvent throws, counter_reset included: the other output gets every event", async (t) => {
  // The lifetime total falls to 100 kWh for good after the first reading: a replaced device, announced as an event.
  let reads = 0;
  const answers = {
    dach: (atMs: number) => ({ ...pikoReading("dach", atMs), energy_total_kwh: ++reads === 1 ? 69424 : 100 }),
  };
  const { bridge, clock, broken, good, poll, faultLines } = setUp(
    { guard: new ReadingGuard({ replacedAfter: 3, dataDir: null, warn: () => undefined }) },
    answers,
  );
  t.after(() => bridge.stop(100));
  broken.fail.publishEvent = new Error("events output broken");
  await poll();
  assert.deepEqual(
    good.events.map((e) => e.type),
    ["inverter_state", "counter_reset"],
  );
  assert.equal(good.readings.length, POLLS);
  assert.equal(good.readings.at(-1)?.energy_total_kwh, 100, "the new total is published");
  assertInverterUntouched(bridge, clock.waiting);
  assert.equal(bridge.outputHealth().broken?.faults, 2, "both events counted");
  assert.equal(faultLines("publishEvent").length, 1, "said once for both");
});

test("health() throws: that output reads as unknown with its fault, the others as they are", async (t) => {
  const { bridge, broken, poll } = setUp();
  t.after(() => bridge.stop(100));
  await poll(1);
  broken.fail.health = new Error("health bug");
  const health = bridge.outputHealth();
  assert.equal(health.broken?.state, "disconnected");
  assert.equal(health.broken?.lastFault, "health: health bug");
  assert.equal(health.good?.state, "connected");
  assert.equal(health.good?.delivered, 1);
});

test("stop: every output is stopped and flushed even when one throws", async () => {
  const { bridge, broken, good, faultLines, poll } = setUp();
  await poll(1);
  broken.stop = () => Promise.reject(new Error("cannot close"));
  await bridge.stop(100);
  assert.equal(good.stopped, true);
  assert.equal(faultLines("stop").length, 1);
});

test("a controller's status listener that throws neither stops the fan-out nor touches the inverter", async (t) => {
  const { bridge, clock, good, poll, lines } = setUp();
  t.after(() => bridge.stop(100));
  const heard: string[] = [];
  bridge.onInverterStatus(() => {
    throw new Error("listener bug");
  });
  const unsubscribe = bridge.onInverterStatus((status) => heard.push(status.state));
  await poll();
  assert.deepEqual(heard, ["producing", "producing"]);
  assert.equal(good.statuses.length, 2);
  assertInverterUntouched(bridge, clock.waiting);
  assert.ok(lines.some((line) => /\[ERR\].*a status listener failed.*listener bug/.test(line)));
  unsubscribe();
});
