import assert from "node:assert/strict";
import { test } from "node:test";
import type { PollResult } from "../../modules/kostal2mqtt/src/piko/inverterClient.js";
import { Poller, type Timers } from "../../modules/kostal2mqtt/src/poller.js";

/** Timers driven by the test: `fire()` runs the due callback. */
class ManualTimers implements Timers {
  pending: Array<{ callback: () => void; ms: number; id: number }> = [];
  private nextId = 0;
  setTimeout(callback: () => void, ms: number): unknown {
    const id = ++this.nextId;
    this.pending.push({ callback, ms, id });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending = this.pending.filter((timer) => timer.id !== handle);
  }
  fire(): number {
    const timer = this.pending.shift();
    assert.ok(timer, "a timer is pending");
    timer.callback();
    return timer.ms;
  }
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

test("polls are chained: the next one is scheduled only after the previous one completed", async () => {
  const timers = new ManualTimers();
  let release: (() => void) | undefined;
  let reads = 0;
  const readings: PollResult[] = [];
  const poller = new Poller({
    source: {
      id: "x",
      read: () => {
        reads++;
        return new Promise<PollResult>((resolve) => {
          release = () => resolve({ reading: {} as PollResult["reading"], warnings: [] });
        });
      },
    },
    delayMs: () => 10_000,
    timers,
    now: () => 0,
    onReading: (result) => readings.push(result),
    onError: () => assert.fail("no error expected"),
  });
  poller.start();
  assert.equal(timers.fire(), 0, "the first poll starts at once");
  assert.equal(reads, 1);
  assert.equal(timers.pending.length, 0, "nothing is scheduled while a poll is in flight");
  release?.();
  await flush();
  assert.equal(readings.length, 1);
  assert.equal(timers.pending[0]?.ms, 10_000);
  poller.stop();
  assert.equal(timers.pending.length, 0, "stop cancels the next poll");
});

test("a failed poll is reported and the loop goes on; a throwing handler does not end it either", async () => {
  const timers = new ManualTimers();
  const errors: unknown[] = [];
  let attempt = 0;
  const poller = new Poller({
    source: {
      id: "x",
      read: () =>
        ++attempt === 1
          ? Promise.reject(new Error("down"))
          : Promise.resolve({ reading: {} as PollResult["reading"], warnings: [] }),
    },
    delayMs: () => 5000,
    timers,
    now: () => 0,
    onReading: () => {
      throw new Error("handler bug");
    },
    onError: (error) => errors.push(error),
  });
  poller.start();
  timers.fire();
  await flush();
  timers.fire();
  await flush();
  assert.deepEqual(
    errors.map((e) => (e as Error).message),
    ["down", "handler bug"],
  );
  assert.equal(timers.pending.length, 1, "still polling");
  poller.stop();
});
