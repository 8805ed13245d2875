import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { DesiredProperties } from "../../modules/kostal2mqtt/src/config/desiredProperties.js";
import { EdgeController } from "../../modules/kostal2mqtt/src/controllers/edgeController.js";
import { createLogger, Redactor } from "../../modules/kostal2mqtt/src/log/logger.js";
import { parseLogDaten, type LogDaten } from "../../modules/kostal2mqtt/src/piko/logdaten/logDatenParser.js";
import type { HistoryMessage } from "../../modules/kostal2mqtt/src/ports/output.js";
import { InverterUnreachable } from "../../modules/kostal2mqtt/src/piko/errors.js";
import type { BridgeOptions } from "../../modules/kostal2mqtt/src/runtime/bridge.js";
import { HistoryBackfill } from "../../modules/kostal2mqtt/src/runtime/historyBackfill.js";
import { renderLogDaten } from "../../modules/piko-simulator/src/logDaten.js";
import { SolarDay } from "../../modules/piko-simulator/src/solarDay.js";
import {
  FakeClock,
  FakeInverter,
  pikoReading,
  RecordingOutput,
  runtimeHarness,
  settingsFor,
} from "../support/runtimeHarness.js";
import { NOON } from "../support/simulatedTime.js";

/**
 * History backfill in the runtime, on a fake clock: a gap since the last published reading (kept in the data
 * folder) downloads the inverter's LogDaten.dat between its polls and hands each new entry to the outputs once, in
 * order, across restarts.
 */

const SIM_START = NOON - 6 * 3600_000;
const day = new SolarDay({ model: "8.3", seed: 3, epochMs: SIM_START });
const logDatenAt = (ms: number): LogDaten =>
  parseLogDaten(
    renderLogDaten({ day, startMs: SIM_START, rs485Address: 255, name: "piko" }, ms).toString("latin1"),
    ms,
  );

class HistoryOutput extends RecordingOutput {
  readonly history: HistoryMessage[] = [];
  publishHistory(message: HistoryMessage): void {
    this.history.push(message);
  }
}

/** A fake inverter that also keeps a history; `holdHistory` keeps its download open until released. */
class HistoryInverter extends FakeInverter {
  downloads = 0;
  holdHistory = false;
  private releaseHistory: (() => void) | null = null;

  constructor(private readonly fakeClock: FakeClock) {
    super(fakeClock, (atMs) => pikoReading("piko", atMs));
  }

  history(): Promise<LogDaten> {
    this.downloads++;
    const file = () => logDatenAt(this.fakeClock.now());
    if (!this.holdHistory) return Promise.resolve(file());
    return new Promise((resolve) => (this.releaseHistory = () => resolve(file())));
  }

  finishHistory(): void {
    this.releaseHistory?.();
  }
}

async function bridgeAt(startMs: number, dataDir: string, extra: Partial<BridgeOptions> = {}) {
  const output = new HistoryOutput("recording");
  let inverter: HistoryInverter | null = null;
  const harness = runtimeHarness(
    [output],
    {},
    {
      history: { dataDir },
      sourceFor: () => (inverter = new HistoryInverter(harness.clock)),
      ...extra,
    },
  );
  await harness.clock.advance(startMs - harness.clock.now());
  harness.bridge.apply(settingsFor(["piko"]));
  return { ...harness, output, inverter: () => inverter! };
}

const dataDirWith = (lastReadingMs: number | null) => {
  const dir = mkdtempSync(join(tmpdir(), "k2m-history-"));
  if (lastReadingMs !== null) {
    writeFileSync(join(dir, "history.json"), JSON.stringify({ piko: { cursor: null, lastReadingMs } }));
  }
  return dir;
};

const rowTimes = (messages: HistoryMessage[]) => messages.map((m) => Date.parse(m.time));

test("after a gap the rows since the last reading go out once, in order, and a restart sends only new ones", async () => {
  const dir = dataDirWith(NOON - 3 * 3600_000);
  const first = await bridgeAt(NOON, dir);
  await first.clock.advance(0);
  const published = first.output.history;
  const expected = logDatenAt(NOON).entries.filter((e) => Date.parse(e.time) > NOON - 3 * 3600_000);
  assert.equal(published.length, expected.length);
  assert.equal(published.length, (3 * 3600) / 900);
  assert.deepEqual(
    published.map((m) => m.deviceSeconds),
    expected.map((e) => e.deviceSeconds),
  );
  const times = rowTimes(published);
  assert.deepEqual(
    times,
    [...times].sort((a, b) => a - b),
  );
  const row = JSON.parse(published[0]!.payload) as Record<string, unknown>;
  assert.equal(row["kind"], "row");
  assert.equal(row["inverter"], "piko");
  assert.equal(row["time"], published[0]!.time);
  // Polls every 10 s without a gap: no further download.
  await first.clock.advance(60_000);
  assert.equal(first.inverter().downloads, 1);
  await first.bridge.stop(1000);

  // Two hours later, the gateway back: only the eight rows logged meanwhile.
  const second = await bridgeAt(NOON + 2 * 3600_000, dir);
  await second.clock.advance(0);
  assert.equal(second.output.history.length, 8);
  assert.ok(Math.min(...rowTimes(second.output.history)) > Math.max(...times));
  await second.bridge.stop(1000);
});

test("the download waits for the poll in flight and holds the next polls off", async () => {
  const dir = dataDirWith(NOON - 3600_000);
  const harness = await bridgeAt(NOON, dir);
  const inverter = harness.inverter();
  inverter.holdHistory = true;
  await harness.clock.advance(0); // the first poll sees the gap and starts the download
  assert.equal(inverter.downloads, 1);
  const reads = inverter.reads;
  await harness.clock.advance(60_000);
  assert.equal(inverter.reads, reads, "no poll while the history downloads");
  inverter.finishHistory();
  await harness.clock.advance(10_000);
  assert.ok(inverter.reads > reads, "polling goes on after the download");
  assert.equal(harness.output.history.length, 4);
  await harness.bridge.stop(1000);
});

test("backfillHistory: unknown inverter undefined, since narrows, the cursor keeps what was sent", async () => {
  const harness = await bridgeAt(NOON, dataDirWith(null));
  await harness.clock.advance(0);
  assert.equal(harness.output.history.length, 0, "a first start without a known last reading sends nothing");
  assert.equal(await harness.bridge.backfillHistory("other"), undefined);
  const since = await harness.bridge.backfillHistory("piko", NOON - 3600_000);
  assert.deepEqual(since, [{ inverter: "piko", count: 4 }]);
  const all = await harness.bridge.backfillHistory();
  assert.deepEqual(all, [{ inverter: "piko", count: 0 }], "after the cursor: nothing twice");
  await harness.bridge.stop(1000);
});

test("a crash mid-backfill: the next run goes on after the last entry handed over, none twice", () => {
  const dir = dataDirWith(null);
  const log = createLogger({ level: "error", write: () => undefined });
  const sent: number[] = [];
  const crashing = new HistoryBackfill({
    dataDir: dir,
    log,
    now: () => NOON,
    publish: (message) => {
      if (sent.length === 5) throw new Error("power cut");
      sent.push(message.deviceSeconds);
    },
  });
  const gapFrom = NOON - 4 * 3600_000;
  assert.throws(() => crashing.publish("piko", logDatenAt(NOON), gapFrom), /power cut/);
  const stored = JSON.parse(readFileSync(join(dir, "history.json"), "utf8")) as Record<
    string,
    { cursor: number }
  >;
  assert.equal(stored["piko"]!.cursor, sent.at(-1));
  const resumed = new HistoryBackfill({
    dataDir: dir,
    log,
    now: () => NOON,
    publish: (message) => sent.push(message.deviceSeconds),
  });
  assert.equal(resumed.publish("piko", logDatenAt(NOON), gapFrom), 16 - 5);
  assert.equal(new Set(sent).size, sent.length);
  assert.equal(sent.length, 16);
});

test("a corrupt history.json is moved aside and reported, the bridge starts without it", () => {
  const dir = mkdtempSync(join(tmpdir(), "k2m-history-"));
  writeFileSync(join(dir, "history.json"), '{"piko": {"cursor": "x"}}');
  const lines: string[] = [];
  const backfill = new HistoryBackfill({
    dataDir: dir,
    log: createLogger({ level: "warn", write: (line) => lines.push(line) }),
    now: () => NOON,
    publish: () => undefined,
  });
  assert.equal(backfill.readingPublished("piko", NOON, 1000), null);
  assert.match(lines.join("\n"), /history\.json: piko: not \{cursor, lastReadingMs\}.*moved aside/);
});

test("direct method backfillHistory: 200 with the count, 400 for a bad payload, 404 for an unknown inverter", async () => {
  const harness = await bridgeAt(NOON, dataDirWith(null));
  await harness.clock.advance(0);
  const controller = new EdgeController({
    control: harness.bridge,
    twin: { isConnected: false, updateReported: () => Promise.resolve(), refetchTwin: () => undefined },
    desired: new DesiredProperties({
      pollIntervalSeconds: 10,
      inverters: new Map(),
      username: "u",
      password: "p",
    }),
    info: { version: "test", startedAt: "2024-06-21T10:00:00.000Z" },
    log: harness.log,
    redactor: new Redactor(),
  });
  const call = (payload: unknown) => controller.methods.backfillHistory!(payload);
  for (const bad of [
    [1],
    "x",
    { inverter: "Not An Id" },
    { since: "yesterday" },
    { since: 5 },
    { other: 1 },
  ]) {
    const answer = await call(bad);
    assert.equal(answer.status, 400, JSON.stringify(bad));
    assert.match(JSON.stringify(answer.payload), /"error":/);
  }
  assert.equal((await call({ inverter: "garage" })).status, 404);
  const since = new Date(NOON - 3600_000).toISOString();
  assert.deepEqual(await call({ inverter: "piko", since }), {
    status: 200,
    payload: { count: 4, inverters: [{ inverter: "piko", count: 4 }] },
  });
  assert.deepEqual(await call({}), {
    status: 200,
    payload: { count: 0, inverters: [{ inverter: "piko", count: 0 }] },
  });
  assert.equal(harness.output.history.length, 4);
  await harness.bridge.stop(1000);
});

test("a night the bridge watched starts no download in the morning; an outage by day does", async () => {
  let night = false;
  const harness = await bridgeAt(NOON, dataDirWith(null), { isNight: () => night });
  const inverter = harness.inverter();
  await harness.clock.advance(0);
  const silent = () => new InverterUnreachable("inverter 127.0.0.1:9000 did not answer within 1 s");
  inverter.answer = silent;
  night = true;
  await harness.clock.advance(10 * 3600_000);
  assert.equal(harness.bridge.inverterStatuses()[0]?.state, "asleep");
  night = false;
  inverter.answer = (atMs) => pikoReading("piko", atMs);
  await harness.clock.advance(5 * 60_000);
  assert.equal(inverter.downloads, 0, "the night was no gap");
  inverter.answer = silent;
  await harness.clock.advance(3600_000);
  assert.equal(harness.bridge.inverterStatuses()[0]?.state, "unreachable");
  inverter.answer = (atMs) => pikoReading("piko", atMs);
  await harness.clock.advance(5 * 60_000);
  assert.equal(inverter.downloads, 1, "an outage by day is a gap");
  await harness.bridge.stop(1000);
});

test("a file whose counter is below the cursor (a reset or replaced device) starts the history again", () => {
  const dir = mkdtempSync(join(tmpdir(), "k2m-history-"));
  writeFileSync(
    join(dir, "history.json"),
    JSON.stringify({ piko: { cursor: 900_000_000, lastReadingMs: null } }),
  );
  const lines: string[] = [];
  const sent: HistoryMessage[] = [];
  const backfill = new HistoryBackfill({
    dataDir: dir,
    log: createLogger({ level: "warn", write: (line) => lines.push(line) }),
    now: () => NOON,
    publish: (message) => sent.push(message),
  });
  assert.equal(backfill.publish("piko", logDatenAt(NOON), NOON - 3600_000), 4);
  assert.match(
    lines.join("\n"),
    /below the last one handed over \(900000000 s\): a reset or replaced device/,
  );
  assert.equal(sent.length, 4);
});
