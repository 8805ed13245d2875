import assert from "node:assert/strict";
import { test } from "node:test";
import { createLogger } from "../../modules/kostal2mqtt/src/log/logger.js";
import { InverterUnreachable } from "../../modules/kostal2mqtt/src/piko/errors.js";
import type { PollResult } from "../../modules/kostal2mqtt/src/piko/inverterClient.js";
import type { StateChange } from "../../modules/kostal2mqtt/src/runtime/inverterHealth.js";
import {
  InverterLoop,
  type InverterLoopListener,
} from "../../modules/kostal2mqtt/src/runtime/inverterLoop.js";
import {
  FakeClock,
  FakeInverter,
  pikoReading,
  RecordingOutput,
  runtimeHarness,
  settingsFor,
  settle,
} from "../support/runtimeHarness.js";

/** One inverter's loop (runtime/inverterLoop.ts): schedule, backoff and the one poll in flight, on a fake clock. */

function loopOver(source: (clock: FakeClock) => FakeInverter, listener: Partial<InverterLoopListener> = {}) {
  const clock = new FakeClock();
  const inverter = source(clock);
  const readings: PollResult[] = [];
  const changes: StateChange[] = [];
  const failures: unknown[] = [];
  const lines: string[] = [];
  const loop = new InverterLoop({
    id: "dach",
    source: inverter,
    pollIntervalMs: 10_000,
    listener: {
      stateChanged: listener.stateChanged ?? ((_id, change) => changes.push(change)),
      readingArrived: listener.readingArrived ?? ((_id, result) => readings.push(result)),
      pollFailed: listener.pollFailed ?? ((_id, error) => failures.push(error)),
    },
    now: clock.now,
    timers: clock,
    log: createLogger({ level: "debug", write: (line) => lines.push(line) }),
    random: () => 0.5,
  });
  return { clock, inverter, loop, readings, changes, failures, lines };
}

const producing = (clock: FakeClock) => new FakeInverter(clock, (at) => pikoReading("dach", at));

test("polls are chained: the next one is scheduled only after the previous one completed", async () => {
  const { clock, inverter, loop, readings } = loopOver(producing);
  inverter.hold = true;
  loop.start();
  await clock.advance(0);
  assert.equal(inverter.reads, 1, "the first poll starts at once");
  assert.deepEqual(clock.waiting, [], "nothing is scheduled while a poll is in flight");
  await clock.advance(3000);
  assert.equal(inverter.reads, 1, "a slow inverter is not asked again");
  inverter.release();
  await settle();
  assert.equal(readings.length, 1);
  assert.deepEqual(clock.waiting, [7000], "the pause counts from the start of the poll");
  await clock.advance(7000);
  assert.equal(inverter.reads, 2);
  loop.stop();
  assert.deepEqual(clock.waiting, [], "stop cancels the next poll");
  assert.equal(inverter.closed, true, "and closes the connection");
});

test("a failed poll is reported and backs off; the first reading restores the interval", async () => {
  let down = true;
  const { clock, loop, failures, changes } = loopOver(
    (c) =>
      new FakeInverter(c, (at) => (down ? new InverterUnreachable("no answer") : pikoReading("dach", at))),
  );
  loop.start();
  await clock.advance(0);
  assert.equal(failures.length, 1);
  assert.equal(loop.health().state, "unreachable");
  assert.deepEqual(clock.waiting, [20_000], "twice the interval after one failure");
  await clock.advance(20_000);
  assert.deepEqual(clock.waiting, [40_000]);
  down = false;
  await clock.advance(40_000);
  assert.equal(loop.health().state, "producing");
  assert.deepEqual(
    changes.map((c) => c.to),
    ["unreachable", "producing"],
  );
  assert.deepEqual(clock.waiting, [10_000]);
  loop.stop();
});

test("a listener that throws is neither the inverter's failure nor the end of the loop", async () => {
  const { clock, loop, lines } = loopOver(producing, {
    readingArrived: () => {
      throw new Error("downstream bug");
    },
  });
  loop.start();
  await clock.advance(0);
  await clock.advance(10_000);
  assert.equal(loop.health().state, "producing", "the inverter answered: it is producing");
  assert.equal(loop.health().failures, 0);
  assert.deepEqual(clock.waiting, [10_000], "still polling at the interval, not backing off");
  assert.ok(
    lines.some((line) => /\[ERR\].*inverter dach: handling its reading failed.*downstream bug/.test(line)),
  );
  loop.stop();
});

test("readNow shares the poll in flight: the PIKO is asked once, the outputs get the reading once", async () => {
  const { clock, inverter, loop, readings } = loopOver(producing);
  inverter.hold = true;
  loop.start();
  await clock.advance(0);
  const asked = [loop.readNow(), loop.readNow()];
  assert.equal(inverter.reads, 1);
  inverter.release();
  const [first, second] = await Promise.all(asked);
  assert.equal(first, second);
  assert.equal(readings.length, 1);
  // Between polls, readNow asks at once; the schedule stays as it was.
  await settle();
  const waiting = clock.waiting;
  await loop.readNow();
  assert.equal(inverter.reads, 2);
  assert.equal(readings.length, 2);
  assert.deepEqual(clock.waiting, waiting);
  loop.stop();
});

test("a shorter interval polls at once, a longer one applies from the next pause", async () => {
  const { clock, inverter, loop } = loopOver(producing);
  loop.start();
  await clock.advance(0);
  loop.setPollInterval(5000);
  await clock.advance(0);
  assert.equal(inverter.reads, 2, "the waiting poll ran now");
  assert.deepEqual(clock.waiting, [5000]);
  loop.setPollInterval(30_000);
  assert.deepEqual(clock.waiting, [5000], "a longer interval does not cut the pause short");
  await clock.advance(5000);
  assert.deepEqual(clock.waiting, [30_000]);
  loop.stop();
});

test("after stop nothing is reported, not even the poll that was in flight", async () => {
  const { clock, inverter, loop, readings, changes } = loopOver(producing);
  inverter.hold = true;
  loop.start();
  await clock.advance(0);
  loop.stop();
  inverter.release();
  await settle();
  assert.equal(readings.length, 0);
  assert.equal(changes.length, 0);
  assert.deepEqual(clock.waiting, []);
});

test("the bridge spreads the first polls of many inverters over the interval", async () => {
  const { bridge, clock, inverters } = runtimeHarness([new RecordingOutput("out")]);
  bridge.apply(settingsFor(["a", "b", "c", "d"], 10));
  assert.deepEqual(clock.waiting, [0, 2500, 5000, 7500]);
  await clock.advance(7500);
  assert.deepEqual(
    [...inverters.values()].map((inverter) => inverter.reads),
    [1, 1, 1, 1],
  );
  await bridge.stop(100);
  assert.deepEqual(clock.waiting, []);
});

test("a big farm starts at most one inverter every 5 ms, however short the interval", async () => {
  const { bridge, clock, inverters } = runtimeHarness([new RecordingOutput("out")]);
  const ids = Array.from({ length: 1000 }, (_, i) => `inv${i}`);
  bridge.apply(settingsFor(ids, 2));
  // 1,000 over 2 s would be one every 2 ms: the start takes 5 s instead.
  assert.deepEqual(clock.waiting.slice(0, 3), [0, 5, 10]);
  assert.equal(clock.waiting.at(-1), 4995);
  await clock.advance(1999);
  const polled = () => [...inverters.values()].filter((inverter) => inverter.reads > 0).length;
  assert.equal(polled(), 400);
  await clock.advance(2996);
  assert.equal(polled(), 1000);
  await bridge.stop(100);
});

test("the bridge restarts an inverter whose protocol setting changed, and only that one", async () => {
  const { bridge, lines } = runtimeHarness([new RecordingOutput("out")]);
  const settings = settingsFor(["a", "b"], 10);
  bridge.apply(settings);
  const changed = new Map(settings.inverters);
  changed.set("a", { ...changed.get("a")!, protocol: "dxs" });
  changed.set("b", { ...changed.get("b")!, protocol: "auto" });
  bridge.apply({ pollIntervalSeconds: 10, inverters: changed });
  assert.ok(lines.some((line) => /inverter a: changed/.test(line)));
  assert.ok(!lines.some((line) => /inverter b: changed/.test(line)), "absent means auto: unchanged");
  await bridge.stop(100);
});
