import assert from "node:assert/strict";
import { test } from "node:test";
import type { InverterSettings } from "../../modules/kostal2mqtt/src/config/bridgeSettings.js";
import { InverterUnreachable } from "../../modules/kostal2mqtt/src/piko/errors.js";
import type { PollResult } from "../../modules/kostal2mqtt/src/piko/inverterClient.js";
import type { PageSource } from "../../modules/kostal2mqtt/src/runtime/inverterLoop.js";
import {
  FakeClock,
  FakeInverter,
  pikoReading,
  RecordingOutput,
  runtimeHarness,
} from "../support/runtimeHarness.js";

/**
 * Issue 12, a plant of several inverters: each has its own loop, so a silent one (every request times out) never
 * moves another's schedule; inverters behind one web server (an RS485 bus) take turns, and only they wait.
 */

const INTERVAL_MS = 10_000;
const TIMEOUT_MS = 5_000;

/** An inverter that never answers: each read fails when the request's timeout runs out, on the fake clock. */
class SilentInverter implements PageSource {
  reads = 0;

  constructor(private readonly clock: FakeClock) {}

  read(): Promise<PollResult> {
    this.reads++;
    return new Promise((_, reject) =>
      this.clock.setTimeout(
        () => reject(new InverterUnreachable(`did not answer within ${TIMEOUT_MS / 1000} s`)),
        TIMEOUT_MS,
      ),
    );
  }

  close(): void {}
}

/** A bridge over `hosts` (id -> host:port); `silent` never answers, every other id is a producing PIKO. */
function plant(hosts: Record<string, string>, silent: string | null) {
  const output = new RecordingOutput("recording");
  const sources = new Map<string, FakeInverter | SilentInverter>();
  const harness = runtimeHarness(
    [output],
    {},
    {
      sourceFor: (id: string) => {
        const source =
          id === silent
            ? new SilentInverter(clockOf())
            : new FakeInverter(clockOf(), (atMs) => pikoReading(id, atMs));
        sources.set(id, source);
        return source;
      },
    },
  );
  const clockOf = () => harness.clock;
  const inverters = new Map<string, InverterSettings>(
    Object.entries(hosts).map(([id, host]) => [
      id,
      { host, username: "pvserver", password: "pvwr", enabled: true },
    ]),
  );
  harness.bridge.apply({ pollIntervalSeconds: INTERVAL_MS / 1000, inverters });
  const readingTimes = (id: string) =>
    output.readings.filter((reading) => reading.inverter === id).map((reading) => reading.ts_ms);
  return { ...harness, output, sources, readingTimes };
}

test("three inverters, one silent: the other two keep their schedule to the millisecond", async (t) => {
  const { bridge, clock, output, sources, readingTimes } = plant(
    { roof: "10.0.0.5", dead: "10.0.0.6", garage: "10.0.0.7" },
    "dead",
  );
  t.after(() => bridge.stop(100));
  const start = clock.now();
  await clock.advance(60_000);
  // The bridge spreads the three first polls over the interval: roof at 0, dead at 1/3, garage at 2/3.
  const every = (offsetMs: number, count: number) =>
    Array.from({ length: count }, (_, i) => start + Math.round(offsetMs + i * INTERVAL_MS));
  assert.deepEqual(readingTimes("roof"), every(0, 7), "at 0, 10, ... 60 s");
  assert.deepEqual(
    readingTimes("garage").map((at) => Math.round(at)),
    every((2 * INTERVAL_MS) / 3, 6),
    "at 6.7, 16.7, ... 56.7 s",
  );
  assert.deepEqual(readingTimes("dead"), [], "the silent inverter gives no reading");
  assert.ok((sources.get("dead")?.reads ?? 0) >= 2, "it was asked again (backed off), each time timing out");
  const states = Object.fromEntries(bridge.inverterStatuses().map((s) => [s.inverter, s.state]));
  assert.deepEqual(states, { roof: "producing", dead: "unreachable", garage: "producing" });
  assert.ok(
    output.statuses.some((s) => s.inverter === "dead" && s.state === "unreachable"),
    "the outputs are told that it is unreachable",
  );
});

test("inverters behind one web server take turns; an inverter on another host never waits for them", async (t) => {
  const { bridge, clock, sources, readingTimes } = plant(
    { haus: "10.0.0.5", garage: "10.0.0.5:80", barn: "10.0.0.9" },
    null,
  );
  t.after(() => bridge.stop(100));
  const haus = sources.get("haus") as FakeInverter;
  const garage = sources.get("garage") as FakeInverter;
  haus.hold = true; // the web server is slow to show haus's page
  await clock.advance(INTERVAL_MS);
  assert.equal(haus.reads, 1);
  assert.equal(garage.reads, 0, "garage's poll waits for haus's exchange to end");
  assert.equal(readingTimes("barn").length, 1, "barn, on its own web server, is polled on time");
  haus.release();
  await clock.advance(0);
  assert.equal(garage.reads, 1, "garage's turn comes as soon as haus's exchange ends");
  assert.equal(readingTimes("garage").length, 1);
});

test("a removed inverter lets go of its web server's line; its neighbour keeps it", async (t) => {
  const { bridge, clock, sources } = plant({ haus: "10.0.0.5", garage: "10.0.0.5" }, null);
  t.after(() => bridge.stop(100));
  await clock.advance(0);
  bridge.apply({
    pollIntervalSeconds: 10,
    inverters: new Map([
      ["garage", { host: "10.0.0.5", username: "pvserver", password: "pvwr", enabled: true }],
    ]),
  });
  assert.equal((sources.get("haus") as FakeInverter).closed, true);
  const garage = sources.get("garage") as FakeInverter;
  const before = garage.reads;
  await clock.advance(INTERVAL_MS);
  assert.equal(garage.reads, before + 1, "the neighbour still reads through the line");
});

test("a read waiting for its turn when its inverter is removed never reaches the web server", async (t) => {
  const { bridge, clock, sources } = plant({ haus: "10.0.0.5", garage: "10.0.0.5" }, null);
  t.after(() => bridge.stop(100));
  const haus = sources.get("haus") as FakeInverter;
  const garage = sources.get("garage") as FakeInverter;
  haus.hold = true;
  await clock.advance(INTERVAL_MS);
  const waiting = bridge.readNow("garage");
  bridge.apply({
    pollIntervalSeconds: 10,
    inverters: new Map([
      ["haus", { host: "10.0.0.5", username: "pvserver", password: "pvwr", enabled: true }],
    ]),
  });
  haus.release();
  assert.deepEqual(
    (await waiting)?.map((outcome) => outcome.error?.message),
    ["inverter garage: polling stopped"],
  );
  assert.equal(garage.reads, 0);
});
