import assert from "node:assert/strict";
import { test } from "node:test";
import { readDxsAnswers } from "../../modules/kostal2mqtt/src/piko/dxs/dxsReader.js";
import { readMpplusDocument } from "../../modules/kostal2mqtt/src/piko/mpplus/mpplusReader.js";
import { parseStatusPage } from "../../modules/kostal2mqtt/src/piko/statusPage.js";
import { toReading, type PageContent } from "../../modules/kostal2mqtt/src/reading/reading.js";
import { LANGUAGES, ManualClock, MODEL_IDS, PikoSimulator } from "../../modules/piko-simulator/src/index.js";
import { capturesTestOptions, readAllCaptures } from "../support/fixtures.js";
import { folderTestOptions, readFolder } from "../support/protocolCaptures.js";
import { assertValidReading, readingProblems } from "../support/readingSchema.js";
import { NOON } from "../support/simulatedTime.js";

/**
 * Issue 13, the consumers' contract: what a consumer validates with the published JSON Schema (ajv, as in
 * test/support/readingSchema.ts), every reading passes: from every real capture of every interface (old status
 * page, dxs.json, MP plus XML) and from the simulator through a whole simulated day, every model.
 */

const AT = Date.UTC(2026, 5, 21, 10, 0, 0, 5);

function checkAll(contents: Array<{ name: string; content: PageContent }>): void {
  assert.ok(contents.length > 0, "at least one capture");
  for (const { name, content } of contents) assertValidReading(toReading(content, "piko", AT), name);
}

test("readings of every real status page capture validate", capturesTestOptions(), () => {
  checkAll(readAllCaptures().map(({ name, html }) => ({ name, content: parseStatusPage(html) })));
});

test("readings of every real dxs.json answer validate", folderTestOptions("piko-dxs"), () => {
  checkAll(readFolder("piko-dxs").map(({ name, text }) => ({ name, content: readDxsAnswers([text]) })));
});

test("readings of every real MP plus document validate", folderTestOptions("piko-mpplus-xml"), () => {
  checkAll(
    readFolder("piko-mpplus-xml").map(({ name, text }) => ({ name, content: readMpplusDocument(text) })),
  );
});

test("readings of the simulator through a whole day validate, every model, every state", () => {
  const midnight = NOON - 12 * 3_600_000;
  const states = new Set<string>();
  for (const [m, model] of MODEL_IDS.entries()) {
    const clock = new ManualClock(midnight);
    const language = LANGUAGES[m % LANGUAGES.length]!;
    const simulator = new PikoSimulator({ model, language, clock });
    for (let minute = 0; minute < 24 * 60; minute += 5) {
      clock.set(midnight + minute * 60_000);
      const page = simulator.renderNow();
      if (page === null) continue; // asleep: no page, no reading
      const reading = toReading(parseStatusPage(page.toString("latin1")), "sim", clock.now());
      states.add(reading.status);
      assertValidReading(reading, `PIKO ${model} (${language}) at minute ${minute}`);
    }
  }
  assert.deepEqual([...states].sort(), ["feeding_mpp", "idle", "off"], "the day went through every state");
});

test("the check is no formality: what a consumer would choke on is refused", () => {
  const valid = toReading(readMpplusDocument(readFolder("piko-mpplus-xml")[0]!.text), "piko", AT);
  assert.equal(readingProblems(JSON.parse(JSON.stringify(valid))), null);
  for (const [what, bad] of [
    ["a number as text", { ...valid, ac_power_w: "230 W" }],
    ["a field the schema lacks", { ...valid, l4_power_w: 1.0 }],
    ["no measurement time", { ...valid, ts: undefined }],
    ["a time the serialiser never writes", { ...valid, ts: "2026-06-21 10:00" }],
    ["an unknown status", { ...valid, status: "sunny" }],
  ] as const) {
    assert.notEqual(readingProblems(JSON.parse(JSON.stringify(bad))), null, what);
  }
  assert.throws(
    () => assertValidReading('{"schema_version":1}', "half a reading"),
    /half a reading: invalid/,
  );
});
