import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { DeliveryQueue, type Entry } from "../../modules/kostal2mqtt/src/outputs/deliveryQueue.js";
import { isEdgeMessage } from "../../modules/kostal2mqtt/src/outputs/edgeHub/edgeHubOutput.js";
import { isMqttMessage } from "../../modules/kostal2mqtt/src/outputs/mqtt/mqttMessages.js";
import type { Reading } from "../../modules/kostal2mqtt/src/reading/reading.js";
import { ReadingGuard } from "../../modules/kostal2mqtt/src/runtime/readingGuard.js";
import { StateFile } from "../../modules/kostal2mqtt/src/lib/stateFile.js";

/**
 * Issue 9, "never stick on its own state": a persisted file is input like any other. What does not validate is
 * moved aside (`<name>.corrupt-<time>`), said once, and the start goes on with what is valid.
 */

const NOW = Date.parse("2026-06-21T10:00:00.000Z");
const ASIDE_SUFFIX = ".corrupt-2026-06-21T10-00-00.000Z";
const LIMITS = { maxItems: 100, maxAgeMs: 24 * 3600_000 };

interface Message {
  topic: string;
  payload: string;
  retain: boolean;
  expires: boolean;
}

function dataDir(): string {
  return mkdtempSync(join(tmpdir(), "k2m-state-"));
}

function queueOn(dir: string, problems: string[], validate?: (item: unknown) => item is Message) {
  const file = new StateFile<Array<Entry<Message>>>(
    dir,
    "queue-mqtt.json",
    (m) => problems.push(m),
    () => NOW,
  );
  // Built as a plain object so that the test also compiles against a queue without `validate`.
  const persistence = { file, everyMs: 3600_000, validate };
  return new DeliveryQueue<Message>(LIMITS, () => NOW, persistence);
}

const good: Message = { topic: "KOSTAL/dach/state", payload: "{}", retain: true, expires: true };

test("a queue entry without a message is dropped, the file moved aside and said once; the start goes on", () => {
  const dir = dataDir();
  writeFileSync(join(dir, "queue-mqtt.json"), JSON.stringify([{ enqueuedAt: NOW }]));
  const problems: string[] = [];
  const queue = queueOn(dir, problems);
  assert.deepEqual(queue.take(10), [], "nothing that cannot be delivered");
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(
    problems[0]!,
    /queue-mqtt\.json: 1 of 1 entries .*moved aside to .*\.corrupt-2026-06-21T10-00-00\.000Z/,
  );
  assert.equal(readFileSync(join(dir, `queue-mqtt.json${ASIDE_SUFFIX}`), "utf8"), `[{"enqueuedAt":${NOW}}]`);
  queue.close();
});

test("entries of a partly bad file: the valid ones are kept (in order), the bad topics dropped", () => {
  const dir = dataDir();
  const stored = [
    { item: { ...good, payload: "1" }, enqueuedAt: NOW - 2000 },
    { item: { ...good, topic: "a/+/#" }, enqueuedAt: NOW - 1500 },
    { item: { ...good, topic: "" }, enqueuedAt: NOW - 1200 },
    { item: { ...good, payload: "2" }, enqueuedAt: NOW - 1000 },
    { item: good, enqueuedAt: "yesterday" },
  ];
  writeFileSync(join(dir, "queue-mqtt.json"), JSON.stringify(stored));
  const problems: string[] = [];
  const queue = queueOn(dir, problems, isMqttMessage);
  assert.deepEqual(
    queue.take(10).map((e) => e.item.payload),
    ["1", "2"],
  );
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /3 of 5 entries/);
  assert.ok(existsSync(join(dir, `queue-mqtt.json${ASIDE_SUFFIX}`)), "the original is kept for a look");
  const rewritten = JSON.parse(readFileSync(join(dir, "queue-mqtt.json"), "utf8")) as unknown[];
  assert.equal(rewritten.length, 2, "the valid part is written back at once");
  queue.close();
});

test("a file that is not JSON is moved aside; the next start does not see it again", () => {
  const dir = dataDir();
  writeFileSync(join(dir, "queue-mqtt.json"), "[{");
  const problems: string[] = [];
  queueOn(dir, problems).close();
  assert.equal(problems.length, 1);
  assert.match(problems[0]!, /not JSON: moved aside/);
  const again: string[] = [];
  queueOn(dir, again).close();
  assert.deepEqual(again, []);
});

test("zero-byte temporaries left by a full disk are removed at start", () => {
  const dir = dataDir();
  writeFileSync(join(dir, "queue-mqtt.json.4242.tmp"), "");
  writeFileSync(join(dir, "totals.json.77.tmp"), "");
  writeFileSync(join(dir, "unrelated.tmp"), "");
  const problems: string[] = [];
  queueOn(dir, problems).close();
  new ReadingGuard({ replacedAfter: 3, dataDir: dir, warn: (m) => problems.push(m) });
  assert.deepEqual(readdirSync(dir).sort(), ["queue-mqtt.json", "unrelated.tmp"]);
});

test("a write that fails leaves no temporary behind", () => {
  const dir = dataDir();
  // A folder where the file should be: the rename fails after the temporary was written.
  mkdirSync(join(dir, "queue-mqtt.json"));
  writeFileSync(join(dir, "queue-mqtt.json", "keep"), "");
  const problems: string[] = [];
  const queue = queueOn(dir, problems);
  queue.push(good);
  queue.close();
  assert.deepEqual(readdirSync(dir), ["queue-mqtt.json"]);
});

test("the loss of an unwritable queue at stop is said in one line: how many and why", () => {
  const parent = dataDir();
  const plainFile = join(parent, "plain-file");
  writeFileSync(plainFile, "");
  const problems: string[] = [];
  const queue = queueOn(join(plainFile, "data"), problems);
  queue.push({ ...good, payload: "0" });
  queue.save();
  assert.equal(problems.length, 1, "a failing save while running is said once");
  for (const payload of ["1", "2", "3"]) queue.push({ ...good, payload });
  queue.save();
  queue.close();
  const lost = problems.filter((p) => /lost/.test(p));
  assert.equal(lost.length, 1, problems.join("\n"));
  assert.match(lost[0]!, /4 undelivered message\(s\) lost at stop: cannot write .* \(ENOTDIR\)/);
});

function reading(total: number): Reading {
  return {
    schema_version: 1,
    inverter: "dach",
    model: "PIKO 8.3",
    name: "piko",
    rs485_address: 255,
    ts: new Date(NOW).toISOString(),
    ts_ms: NOW,
    status: "feeding_mpp",
    status_code: 3,
    status_text: "",
    energy_total_kwh: total,
  };
}

test("totals.json: bad entries are dropped, good ones kept, the original moved aside", () => {
  const dir = dataDir();
  const stored = {
    dach: { total: 39116, at: NOW - 3600_000 },
    garage: { total: "lots", at: NOW },
    carport: { total: 12, at: null },
    "../evil": { total: 1, at: 1 },
  };
  writeFileSync(join(dir, "totals.json"), JSON.stringify(stored));
  const problems: string[] = [];
  const guard = new ReadingGuard({
    replacedAfter: 3,
    dataDir: dir,
    warn: (m) => problems.push(m),
    now: () => NOW,
  });
  assert.equal(guard.lastTotal("dach"), 39116);
  assert.equal(guard.lastTotal("garage"), null);
  assert.equal(guard.lastTotal("carport"), null);
  assert.equal(problems.length, 1, problems.join("\n"));
  assert.match(
    problems[0]!,
    /totals\.json: .*moved aside to .*totals\.json\.corrupt-2026-06-21T10-00-00\.000Z/,
  );
  assert.equal(guard.check(reading(39117)).reading.energy_total_kwh, 39117);
  assert.equal(
    new ReadingGuard({ replacedAfter: 3, dataDir: dir, warn: assert.fail }).lastTotal("dach"),
    39117,
    "the valid part was kept in the file",
  );
});

test("totals.json of the wrong shape is moved aside: the guard starts without it", () => {
  const dir = dataDir();
  writeFileSync(join(dir, "totals.json"), JSON.stringify([1, 2, 3]));
  const problems: string[] = [];
  const guard = new ReadingGuard({
    replacedAfter: 3,
    dataDir: dir,
    warn: (m) => problems.push(m),
    now: () => NOW,
  });
  assert.equal(guard.lastTotal("0"), null);
  assert.equal(problems.length, 1);
  assert.ok(existsSync(join(dir, `totals.json${ASIDE_SUFFIX}`)));
});

test("the edgeHub queue's entries are checked too: output, id, body and string properties", () => {
  const message = { output: "telemetry", messageId: "dach-1", body: "{}", properties: { inverter: "dach" } };
  assert.equal(isEdgeMessage(message), true);
  for (const bad of [
    { ...message, output: "somewhere" },
    { ...message, body: 5 },
    { ...message, properties: { inverter: 5 } },
    { ...message, properties: null },
    { enqueuedAt: NOW },
    null,
  ])
    assert.equal(isEdgeMessage(bad), false, JSON.stringify(bad));
});
