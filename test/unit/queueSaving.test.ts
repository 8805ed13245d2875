import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { StateFile } from "../../modules/kostal2mqtt/src/lib/stateFile.js";
import { DeliveryQueue, type Entry } from "../../modules/kostal2mqtt/src/outputs/deliveryQueue.js";
import { FakeClock } from "../support/runtimeHarness.js";

/**
 * When a persisted queue writes its file: a change within `everyMs`, once for all the changes in that time, and no
 * timer at all while the queue is as the file says. The usual poll (one message, acknowledged at once) must not
 * wake the process: a 2 s save interval used to wake it once more per poll at a 2 s poll interval.
 */

const EVERY_MS = 2000;

function savingQueue() {
  const clock = new FakeClock(1_000_000);
  const file = new StateFile<Array<Entry<string>>>(
    mkdtempSync(join(tmpdir(), "k2m-save-")),
    "q.json",
    assert.fail,
  );
  const writes: string[][] = [];
  const write = file.write.bind(file);
  file.write = (value) => {
    writes.push(value.map((entry) => entry.item));
    return write(value);
  };
  const queue = new DeliveryQueue<string>({ maxItems: 3, maxAgeMs: 3600_000 }, clock.now, {
    file,
    everyMs: EVERY_MS,
    timers: clock,
  });
  /** Takes and acknowledges everything waiting, as a send loop does once the broker answered. */
  const deliverAll = () => queue.ack(queue.take(10));
  return { clock, file, writes, queue, deliverAll };
}

test("changes are written within everyMs, once for all of them, and no timer runs while nothing changes", async () => {
  const { clock, file, writes, queue } = savingQueue();
  assert.deepEqual(clock.waiting, [], "a new, empty queue arms no timer");
  queue.push("a");
  await clock.advance(500);
  queue.push("b");
  assert.deepEqual(clock.waiting, [EVERY_MS - 500], "one save timer, from the first change");
  await clock.advance(EVERY_MS - 500);
  assert.deepEqual(writes, [["a", "b"]]);
  assert.deepEqual(
    file.read()?.map((entry) => entry.item),
    ["a", "b"],
  );
  assert.deepEqual(clock.waiting, [], "saved: no timer until the next change");
  await clock.advance(10 * EVERY_MS);
  assert.equal(writes.length, 1);
  queue.close();
});

test("in flight is kept in the file; delivered, it is written away once, and the next deliveries write nothing", async () => {
  const { clock, file, writes, queue, deliverAll } = savingQueue();
  queue.push("a");
  const inFlight = queue.take(1);
  await clock.advance(EVERY_MS);
  assert.deepEqual(writes, [["a"]], "a message in flight is saved: a crash mid-send loses nothing");
  queue.ack(inFlight);
  await clock.advance(EVERY_MS);
  assert.deepEqual(writes, [["a"], []]);
  for (const item of ["b", "c", "d"]) {
    queue.push(item);
    assert.deepEqual(clock.waiting, [EVERY_MS], `${item} waits to be saved`);
    deliverAll();
    assert.deepEqual(clock.waiting, [], `${item} delivered: the queue is empty, as the file says`);
  }
  await clock.advance(10 * EVERY_MS);
  assert.deepEqual(writes, [["a"], []], "nothing more was written");
  assert.deepEqual(file.read(), []);
  queue.close();
});

test("a message dropped from a full queue, and the last save at close, are written too", async () => {
  const { clock, writes, queue, deliverAll } = savingQueue();
  queue.push("a");
  await clock.advance(EVERY_MS);
  deliverAll();
  await clock.advance(EVERY_MS);
  for (const item of ["b", "c", "d", "e"]) queue.push(item); // at most 3: b is dropped
  assert.equal(queue.dropped, 1);
  await clock.advance(EVERY_MS);
  assert.deepEqual(writes.at(-1), ["c", "d", "e"]);
  queue.push("f");
  queue.close();
  assert.deepEqual(writes.at(-1), ["d", "e", "f"], "close writes what the timer had not yet");
  assert.deepEqual(clock.waiting, [], "close leaves no timer");
});
