import assert from "node:assert/strict";
import { test } from "node:test";
import type { Timers } from "../../modules/kostal2mqtt/src/lib/timers.js";
import { createLogger } from "../../modules/kostal2mqtt/src/log/logger.js";
import { DeliveryQueue } from "../../modules/kostal2mqtt/src/outputs/deliveryQueue.js";
import {
  OutputUnavailable,
  PublishRejected,
  Rejections,
} from "../../modules/kostal2mqtt/src/outputs/outputErrors.js";
import { SendLoop } from "../../modules/kostal2mqtt/src/outputs/sendLoop.js";

/**
 * The send loop every output shares, over a fake destination: what it does with each error type, in what order
 * it sends, and how a stop waits (on the loop or a deadline, with injected timers: no sleeping, no polling).
 */

/** Timers that fire only when the test says so. */
function manualTimers() {
  const pending = new Map<number, { callback: () => void; ms: number }>();
  let next = 0;
  const timers: Timers = {
    setTimeout: (callback, ms) => {
      pending.set(++next, { callback, ms });
      return next;
    },
    clearTimeout: (handle) => void pending.delete(handle as number),
  };
  const fireAll = () => {
    for (const [id, { callback }] of [...pending]) {
      pending.delete(id);
      callback();
    }
  };
  return { timers, pending, fireAll };
}

type Script = (item: string, attempt: number) => Promise<void>;

/** A destination scripted per item; every send is recorded, in the order the loop made them. */
function harness(script: Script, options: { window?: number; timers?: Timers } = {}) {
  const lines: string[] = [];
  const log = createLogger({ level: "debug", write: (line) => lines.push(line) });
  const queue = new DeliveryQueue<string>({ maxItems: 100, maxAgeMs: 3600_000 });
  const sent: string[] = [];
  const attempts = new Map<string, number>();
  const unavailable: Array<{ error: OutputUnavailable; waiting: number }> = [];
  const delivered: string[] = [];
  let connected = true;
  const rejections = new Rejections(log);
  const loop = new SendLoop<string>({
    queue,
    rejections,
    log,
    destination: "the fake",
    ready: () => connected,
    window: () => options.window ?? 8,
    describe: (item) => ({ topic: `t/${item}`, payload: item }),
    send: (item) => {
      sent.push(item);
      const attempt = (attempts.get(item) ?? 0) + 1;
      attempts.set(item, attempt);
      return script(item, attempt);
    },
    onDelivered: (item) => delivered.push(item),
    onUnavailable: (error, waiting) => unavailable.push({ error, waiting }),
    ...(options.timers ? { timers: options.timers } : {}),
  });
  const push = (...items: string[]) => items.forEach((item) => queue.push(item));
  const setConnected = (value: boolean) => (connected = value);
  return { loop, queue, sent, delivered, unavailable, rejections, lines, push, setConnected };
}

const ok: Script = () => Promise.resolve();

test("delivers oldest first, a window at a time, and counts what went out", async () => {
  const h = harness(ok, { window: 2 });
  h.push("a", "b", "c", "d", "e");
  assert.equal(await h.loop.flush(), "empty");
  assert.deepEqual(h.sent, ["a", "b", "c", "d", "e"]);
  assert.deepEqual(h.delivered, ["a", "b", "c", "d", "e"]);
  assert.equal(h.loop.delivered, 5);
  assert.equal(h.queue.size, 0);
});

test("PublishRejected: that message is dropped, counted and said once; the others go on", async () => {
  const h = harness((item) =>
    item === "big" ? Promise.reject(new PublishRejected(`t/${item}`, 0x95, "packet too large")) : ok(item, 1),
  );
  h.push("a", "big", "b");
  await h.loop.flush();
  h.push("big", "c");
  await h.loop.flush();
  assert.deepEqual(h.delivered, ["a", "b", "c"]);
  assert.equal(h.queue.size, 0);
  assert.deepEqual(h.sent, ["a", "big", "b", "c"], "the very message refused before is not offered again");
  assert.equal(h.rejections.count, 1);
  assert.equal(h.rejections.last, "t/big: packet too large");
  assert.equal(h.lines.filter((line) => line.includes("[ERR]")).length, 1);
  assert.deepEqual(h.unavailable, [], "a refusal is no outage");
});

test("OutputUnavailable: the messages keep their place and wait; the next flush sends them in order", async () => {
  let up = false;
  const h = harness(() =>
    up ? Promise.resolve() : Promise.reject(new OutputUnavailable("not connected", false)),
  );
  h.push("a", "b", "c");
  assert.equal(await h.loop.flush(), "wait");
  assert.equal(h.queue.size, 3);
  assert.equal(h.unavailable.length, 1, "said once per batch, not once per message");
  assert.equal(h.unavailable[0]?.waiting, 3);
  assert.equal(h.rejections.count, 0);
  up = true;
  assert.equal(await h.loop.flush(), "empty");
  assert.deepEqual(h.delivered, ["a", "b", "c"]);
});

test("not ready: nothing is taken from the queue and nothing is sent", async () => {
  const h = harness(ok);
  h.setConnected(false);
  h.push("a");
  assert.equal(await h.loop.flush(), "wait");
  assert.deepEqual(h.sent, []);
  assert.equal(h.queue.size, 1);
});

test("in flight when the connection failed: suspects go alone; failing alone twice, the message is dropped", async () => {
  const h = harness((item, attempt) =>
    item === "poison" || attempt === 1
      ? Promise.reject(new OutputUnavailable("connection closed", true))
      : Promise.resolve(),
  );
  h.push("poison", "a");
  assert.equal(await h.loop.flush(), "wait", "both failed in flight: both suspected, both kept");
  assert.equal(h.queue.size, 2);
  assert.equal(h.rejections.count, 0, "once in company is no proof");
  // Suspects alone: poison fails again and is dropped; a, alone, goes through.
  assert.equal(await h.loop.flush(), "empty");
  assert.deepEqual(h.sent, ["poison", "a", "poison", "a"]);
  assert.deepEqual(h.delivered, ["a"]);
  assert.equal(h.rejections.count, 1);
  assert.match(h.rejections.last ?? "", /^t\/poison: the fake closed the connection .* twice/);
});

test("an error of no known type is taken as transient and in flight, kept as the cause", async () => {
  const odd = new TypeError("adapter bug");
  const h = harness((_, attempt) => (attempt === 1 ? Promise.reject(odd) : Promise.resolve()));
  h.push("a");
  assert.equal(await h.loop.flush(), "wait");
  assert.ok(h.unavailable[0]?.error instanceof OutputUnavailable);
  assert.equal(h.unavailable[0]?.error.inFlight, true);
  assert.equal(h.unavailable[0]?.error.cause, odd);
  await h.loop.flush();
  assert.deepEqual(h.delivered, ["a"]);
});

test("a message queued while a batch is in flight is sent after it without another call", async () => {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const h = harness((item) => (item === "a" ? gate : Promise.resolve()));
  h.push("a");
  const first = h.loop.flush();
  h.push("b");
  release();
  await first;
  await h.loop.idle();
  assert.deepEqual(h.delivered, ["a", "b"]);
});

test("drain: resolves as soon as the queue is empty, and clears its deadline", async () => {
  const clock = manualTimers();
  const h = harness(ok, { timers: clock.timers });
  h.push("a", "b");
  assert.equal(await h.loop.drain(5000), true);
  assert.equal(clock.pending.size, 0, "no timer left behind");
  assert.deepEqual(h.delivered, ["a", "b"]);
});

test("drain: a send that never settles ends at the deadline, and the message stays queued", async () => {
  const clock = manualTimers();
  const h = harness(() => new Promise<void>(() => undefined), { timers: clock.timers });
  h.push("a");
  const drained = h.loop.drain(5000);
  assert.equal(clock.pending.size, 1, "one deadline timer, no polling");
  assert.equal([...clock.pending.values()][0]?.ms, 5000);
  clock.fireAll();
  assert.equal(await drained, false);
  assert.deepEqual(
    h.queue.snapshot().map((entry) => entry.item),
    ["a"],
    "in flight: still kept for the next start",
  );
});

test("drain: when sending has to wait for a connection, it returns at once", async () => {
  const clock = manualTimers();
  const h = harness(ok, { timers: clock.timers });
  h.setConnected(false);
  h.push("a");
  assert.equal(await h.loop.drain(5000), false);
  assert.equal(clock.pending.size, 0);
});
