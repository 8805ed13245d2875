import assert from "node:assert/strict";
import { test } from "node:test";
import { InverterAuth, InverterUnreachable, PageFormat } from "../../modules/kostal2mqtt/src/piko/errors.js";
import type { Reading } from "../../modules/kostal2mqtt/src/reading/reading.js";
import {
  DEFAULT_BACKOFF,
  InverterHealthTracker,
} from "../../modules/kostal2mqtt/src/runtime/inverterHealth.js";

const MAX_BACKOFF_MS = DEFAULT_BACKOFF.maxMs;
const MAX_AUTH_BACKOFF_MS = DEFAULT_BACKOFF.authMaxMs;

function reading(status: Reading["status"], acPowerW: number): Reading {
  return {
    schema_version: 1,
    inverter: "x",
    model: "PIKO 8.3",
    name: "piko",
    rs485_address: 255,
    ts: "",
    ts_ms: 0,
    status,
    status_code: 0,
    status_text: status,
    ac_power_w: acPowerW,
  };
}

const down = new InverterUnreachable("no answer");

test("answering inverters are producing or idle; every change is reported once", () => {
  const tracker = new InverterHealthTracker(0);
  assert.deepEqual(tracker.recordReading(reading("feeding_mpp", 2000), 10), {
    from: "starting",
    to: "producing",
    at: 10,
    message: "producing 2000 W (feeding_mpp)",
  });
  assert.equal(tracker.recordReading(reading("feeding_mpp", 1500), 20), null, "no change, no event");
  assert.equal(tracker.recordReading(reading("off", 0), 30)?.to, "idle");
  assert.deepEqual(tracker.snapshot(), {
    state: "idle",
    since: 30,
    lastSeen: 30,
    message: "answering, not producing (off)",
    failures: 0,
  });
});

test("without a location: silent after idle is asleep, silent while producing is unreachable", () => {
  const tracker = new InverterHealthTracker(0);
  tracker.recordReading(reading("feeding_mpp", 100), 1);
  assert.equal(tracker.recordError(down, 2)?.to, "unreachable");
  const evening = new InverterHealthTracker(0);
  evening.recordReading(reading("off", 0), 1);
  assert.equal(evening.recordError(down, 2)?.to, "asleep");
  assert.equal(evening.recordError(down, 3), null, "stays asleep");
  assert.equal(evening.snapshot().lastSeen, 1);
});

test("with a location, the sun decides between asleep and unreachable, even at start", () => {
  let night = true;
  const tracker = new InverterHealthTracker(0, () => night);
  assert.equal(tracker.recordError(down, 1)?.to, "asleep");
  night = false;
  assert.equal(tracker.recordError(down, 2)?.to, "unreachable");
});

test("auth and format errors have their own states", () => {
  const tracker = new InverterHealthTracker(0);
  assert.equal(tracker.recordError(new InverterAuth("401"), 1)?.to, "auth_error");
  assert.equal(tracker.recordError(new PageFormat("garbage"), 2)?.to, "format_error");
  assert.equal(tracker.recordReading(reading("idle", 0), 3)?.to, "idle");
});

test("failing inverters are polled with capped exponential backoff; the first success restores the interval", () => {
  const tracker = new InverterHealthTracker(0);
  const noJitter = () => 0.5;
  assert.equal(tracker.nextPollDelay(10_000, noJitter), 10_000);
  tracker.recordError(down, 1);
  assert.equal(tracker.nextPollDelay(10_000, noJitter), 20_000);
  tracker.recordError(down, 2);
  assert.equal(tracker.nextPollDelay(10_000, noJitter), 40_000);
  for (let i = 0; i < 20; i++) tracker.recordError(down, 3 + i);
  assert.equal(tracker.nextPollDelay(10_000, noJitter), MAX_BACKOFF_MS);
  assert.ok(tracker.nextPollDelay(10_000, () => 0) >= MAX_BACKOFF_MS * 0.9);
  assert.ok(tracker.nextPollDelay(10_000, () => 1) <= MAX_BACKOFF_MS * 1.1);
  tracker.recordReading(reading("feeding", 10), 100);
  assert.equal(tracker.nextPollDelay(10_000, noJitter), 10_000);
});

test("wrong credentials back off long: a minute first, at most half an hour", () => {
  const tracker = new InverterHealthTracker(0);
  tracker.recordError(new InverterAuth("401"), 1);
  assert.equal(
    tracker.nextPollDelay(2000, () => 0.5),
    60_000,
  );
  for (let i = 0; i < 10; i++) tracker.recordError(new InverterAuth("401"), 2 + i);
  assert.equal(
    tracker.nextPollDelay(2000, () => 0.5),
    MAX_AUTH_BACKOFF_MS,
  );
});
