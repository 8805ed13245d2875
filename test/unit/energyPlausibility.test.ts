import assert from "node:assert/strict";
import { test } from "node:test";
import { createLogger } from "../../modules/kostal2mqtt/src/log/logger.js";
import type { BridgeEvent, Output } from "../../modules/kostal2mqtt/src/ports/output.js";
import type { Reading } from "../../modules/kostal2mqtt/src/reading/reading.js";
import { ReadingGuard } from "../../modules/kostal2mqtt/src/runtime/readingGuard.js";
import { ReadingPublisher } from "../../modules/kostal2mqtt/src/runtime/readingPublisher.js";

/**
 * Issue 9, "never lie about energy": a counter is published only when it is physically possible (rated power x
 * elapsed time since the last good value, with a margin) and never lower than the last good one, except after a
 * large drop that lasts (a replaced or reset device), which is announced by an event.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.parse("2026-06-21T10:00:00Z");

function reading(at: number, total: number | null, today: number | null, model = "PIKO 8.3"): Reading {
  return {
    schema_version: 1,
    inverter: "dach",
    model,
    name: "piko",
    rs485_address: 255,
    ts: new Date(at).toISOString(),
    ts_ms: at,
    status: "feeding_mpp",
    status_code: 3,
    status_text: "Einspeisen MPP",
    ac_power_w: 5000,
    energy_total_kwh: total,
    energy_today_kwh: today,
  };
}

function setUp(replacedAfter = 3) {
  const readings: Reading[] = [];
  const events: BridgeEvent[] = [];
  const output: Output = {
    name: "test",
    start: () => Promise.resolve(),
    stop: () => Promise.resolve(),
    publishReading: (r) => readings.push(r),
    publishInverterStatus: () => undefined,
    publishEvent: (event) => events.push(event),
    health: () => ({ state: "connected", queued: 0, dropped: 0, delivered: 0, message: "" }),
  };
  const lines: string[] = [];
  const log = createLogger({ level: "debug", write: (line) => lines.push(line) });
  const guard = new ReadingGuard({ replacedAfter, dataDir: null, warn: (m) => lines.push(m) });
  const publisher = new ReadingPublisher(output, guard, log, true);
  const totals = () => readings.map((r) => r.energy_total_kwh);
  return { readings, events, lines, publisher, totals };
}

test("an upward spike of the total is not published, logged once, and never becomes the last good total", () => {
  const { publisher, totals, lines } = setUp();
  publisher.publish(reading(T0, 1000, 10), []);
  for (let i = 1; i <= 4; i++) publisher.publish(reading(T0 + i * 10_000, 4294967295, 10), []);
  publisher.publish(reading(T0 + 50_000, 1000, 10), []);
  publisher.publish(reading(T0 + 60_000, 1001, 10), []);
  assert.deepEqual(totals(), [1000, null, null, null, null, 1000, 1001]);
  const spikes = lines.filter((l) => l.includes("4294967295"));
  assert.equal(spikes.length, 1, `one line for the spike, not one per poll:\n${lines.join("\n")}`);
  assert.match(spikes[0]!, /PIKO 8\.3.*8\.3 kW/);
});

test("a total may grow by rated power x elapsed time (x1.5, +1 kWh for the integer display), not more", () => {
  const ok = setUp();
  ok.publisher.publish(reading(T0, 1000, 10), []);
  // 8.3 kW for 2 h: 16.6 kWh possible; with the margin 8.3 x 2 x 1.5 + 1 = 25.9.
  ok.publisher.publish(reading(T0 + 2 * HOUR, 1025, 35), []);
  assert.deepEqual(ok.totals(), [1000, 1025]);
  const tooMuch = setUp();
  tooMuch.publisher.publish(reading(T0, 1000, 10), []);
  tooMuch.publisher.publish(reading(T0 + 2 * HOUR, 1027, 35), []);
  assert.deepEqual(tooMuch.totals(), [1000, null]);
  // A bigger model may produce more in the same time: the rating comes from the model name.
  const big = setUp();
  big.publisher.publish(reading(T0, 1000, 10, "PIKO 10.1"), []);
  big.publisher.publish(reading(T0 + 2 * HOUR, 1027, 35, "PIKO 10.1"), []);
  assert.deepEqual(big.totals(), [1000, 1027]);
});

test("a model without a rating in its name gets a generous default (20 kW, the largest PIKO)", () => {
  const { publisher, totals } = setUp();
  publisher.publish(reading(T0, 1000, 10, "PIKO"), []);
  publisher.publish(reading(T0 + HOUR, 1030, 10, "PIKO"), []);
  publisher.publish(reading(T0 + 2 * HOUR, 1062, 10, "PIKO"), []);
  assert.deepEqual(totals(), [1000, 1030, null], "20 x 1 x 1.5 + 1 = 31 kWh an hour at most");
});

test("a small dip is a glitch however long it lasts: null, logged once per episode", () => {
  const { publisher, totals, lines, events } = setUp();
  publisher.publish(reading(T0, 1000, 10), []);
  for (let i = 1; i <= 6; i++) publisher.publish(reading(T0 + i * 10_000, 999.9, 10), []);
  assert.deepEqual(totals(), [1000, null, null, null, null, null, null]);
  assert.equal(events.length, 0, "no replaced device");
  assert.equal(lines.filter((l) => l.includes("999.9")).length, 1, lines.join("\n"));
  publisher.publish(reading(T0 + 70_000, 1000, 10), []);
  publisher.publish(reading(T0 + 80_000, 999, 10), []);
  assert.deepEqual(totals().slice(-2), [1000, null]);
  assert.equal(lines.filter((l) => /energy_total_kwh 999 /.test(l)).length, 1, "a new episode: logged again");
});

test("a large drop that lasts TOTAL_DROP_READINGS readings is a replaced device, announced by an event", () => {
  const { publisher, totals, events, lines } = setUp();
  publisher.publish(reading(T0, 40000, 10), []);
  publisher.publish(reading(T0 + 10_000, 5, 0.1), []);
  publisher.publish(reading(T0 + 20_000, 5, 0.1), []);
  assert.equal(events.length, 0, "not before the third reading");
  publisher.publish(reading(T0 + 30_000, 5, 0.1), []);
  publisher.publish(reading(T0 + 40_000, 6, 0.2), []);
  assert.deepEqual(totals(), [40000, null, null, 5, 6]);
  assert.equal(events.length, 1);
  const event = events[0]!;
  assert.equal(event.subject, "dach");
  assert.equal(event.from, "40000");
  assert.equal(event.to, "5");
  assert.equal(event.at, new Date(T0 + 30_000).toISOString());
  assert.match(event.message, /replaced or reset/);
  assert.equal(lines.filter((l) => /40000/.test(l) && /energy_total_kwh 5 /.test(l)).length, 1);
});

test("a large drop that does not last is a glitch: the count starts again", () => {
  const { publisher, totals, events } = setUp();
  publisher.publish(reading(T0, 40000, 10), []);
  publisher.publish(reading(T0 + 10_000, 0, 10), []);
  publisher.publish(reading(T0 + 20_000, 0, 10), []);
  publisher.publish(reading(T0 + 30_000, 40000, 10), []);
  publisher.publish(reading(T0 + 40_000, 0, 10), []);
  publisher.publish(reading(T0 + 50_000, 0, 10), []);
  assert.deepEqual(totals(), [40000, null, null, 40000, null, null]);
  assert.equal(events.length, 0);
});

test("energy_today never exceeds what the rated power allows since its last good value", () => {
  const { publisher, readings, lines } = setUp();
  publisher.publish(reading(T0, 1000, 10), []);
  for (let i = 1; i <= 3; i++) publisher.publish(reading(T0 + i * 10_000, 1000, 4294967.29), []);
  publisher.publish(reading(T0 + HOUR, 1008, 18.3), []);
  assert.deepEqual(
    readings.map((r) => r.energy_today_kwh),
    [10, null, null, null, 18.3],
  );
  assert.equal(lines.filter((l) => l.includes("4294967.29")).length, 1);
});

test("energy_today on a new day: at most rated power x 24 h", () => {
  const g = new ReadingGuard({ replacedAfter: 3, dataDir: null, warn: () => undefined });
  assert.equal(
    g.check(reading(T0, 1000, 4000)).reading.energy_today_kwh,
    null,
    "8.3 kW cannot make 4000 kWh",
  );
  assert.equal(g.check(reading(T0 + MINUTE, 1000, 12.5)).reading.energy_today_kwh, 12.5);
});
