import assert from "node:assert/strict";
import { test } from "node:test";
import { BridgeMetrics } from "../../modules/kostal2mqtt/src/observability/metrics.js";
import { escapeLabelValue, exposition } from "../../modules/kostal2mqtt/src/observability/promText.js";
import { InverterUnreachable } from "../../modules/kostal2mqtt/src/piko/errors.js";
import { parseExposition, sampleValue } from "../support/promExposition.js";
import {
  pikoReading,
  RecordingOutput,
  runtimeHarness,
  settingsFor,
  settle,
} from "../support/runtimeHarness.js";

const MEMORY = () => ({ rss: 50_331_648, heapUsed: 9_000_000 });

test("after known polls on the fake clock, the metrics say how many, how long, how old, and each output's state", async () => {
  const output = new RecordingOutput("mqtt");
  let refuse = false;
  const { bridge, clock, inverters } = runtimeHarness([output], {
    dach: (atMs) => (refuse ? new InverterUnreachable("connection refused") : pikoReading("dach", atMs)),
  });
  const metrics = new BridgeMetrics();
  bridge.observe(metrics);
  bridge.apply(settingsFor(["dach"], 10));
  await clock.advance(0); // poll 1: answered at once
  const dach = inverters.get("dach")!;
  dach.hold = true;
  await clock.advance(10_000); // poll 2 starts and waits...
  await clock.advance(300); // ...300 ms
  dach.release();
  await settle();
  refuse = true;
  await clock.advance(9_700); // poll 3: refused at once

  const parsed = parseExposition(metrics.render(bridge, clock.now(), MEMORY));
  const value = (name: string, labels: Record<string, string> = {}) => sampleValue(parsed, name, labels);
  assert.equal(value("kostal2mqtt_polls_total", { inverter: "dach", outcome: "ok" }), 2);
  assert.equal(value("kostal2mqtt_polls_total", { inverter: "dach", outcome: "unreachable" }), 1);
  const bucket = (le: string) => value("kostal2mqtt_poll_duration_seconds_bucket", { inverter: "dach", le });
  assert.deepEqual([bucket("0.05"), bucket("0.25"), bucket("0.5"), bucket("+Inf")], [2, 2, 3, 3]);
  assert.equal(value("kostal2mqtt_poll_duration_seconds_sum", { inverter: "dach" }), 0.3);
  assert.equal(value("kostal2mqtt_poll_duration_seconds_count", { inverter: "dach" }), 3);
  assert.equal(value("kostal2mqtt_last_reading_age_seconds", { inverter: "dach" }), 9.7);
  assert.equal(value("kostal2mqtt_inverter_state", { inverter: "dach", state: "unreachable" }), 1);
  assert.equal(value("kostal2mqtt_inverter_state", { inverter: "dach", state: "producing" }), 0);
  assert.equal(value("kostal2mqtt_output_state", { output: "mqtt", state: "connected" }), 1);
  assert.equal(value("kostal2mqtt_output_delivered_total", { output: "mqtt" }), 2);
  assert.equal(value("kostal2mqtt_output_queue_depth", { output: "mqtt" }), 0);
  assert.equal(value("kostal2mqtt_output_dropped_total", { output: "mqtt" }), 0);
  assert.equal(value("kostal2mqtt_process_resident_memory_bytes"), 50_331_648);
  for (const [name, family] of parsed) {
    assert.match(name, /^kostal2mqtt_/);
    assert.ok(family.help !== null && family.help.length > 0, `${name} has a HELP`);
  }
});

test("label values and HELP are escaped so that a strict reader gets them back unchanged", () => {
  const awkward = 'a "quoted" \\ back\nslash';
  const text = exposition([
    {
      type: "gauge",
      name: "kostal2mqtt_x",
      help: "line one\nline \\ two",
      samples: [{ labels: { v: awkward }, value: 1.5 }],
    },
    { type: "counter", name: "kostal2mqtt_y_total", help: "y", samples: [{ labels: {}, value: Infinity }] },
  ]);
  assert.equal(escapeLabelValue(awkward), 'a \\"quoted\\" \\\\ back\\nslash');
  const parsed = parseExposition(text);
  assert.equal(parsed.get("kostal2mqtt_x")?.help, "line one\nline \\ two");
  assert.deepEqual(parsed.get("kostal2mqtt_x")?.samples[0]?.labels, { v: awkward });
  assert.equal(sampleValue(parsed, "kostal2mqtt_y_total"), Infinity);
});

test("the strict reader refuses what a scraper would choke on", () => {
  const bad = [
    "kostal2mqtt_a 1\n", // no TYPE
    '# TYPE kostal2mqtt_a gauge\nkostal2mqtt_a{x="\\t"} 1\n', // bad escape
    "# TYPE kostal2mqtt_a gauge\nkostal2mqtt_a 1\nkostal2mqtt_a 2\n", // duplicate series
    '# TYPE kostal2mqtt_h histogram\nkostal2mqtt_h_bucket{le="1"} 2\nkostal2mqtt_h_sum 1\nkostal2mqtt_h_count 2\n',
    "# TYPE kostal2mqtt_a gauge\nkostal2mqtt_a 1", // no final line feed
  ];
  for (const text of bad) assert.throws(() => parseExposition(text), Error, text);
});

test("an observer that throws is logged as a bug, the readings still reach the outputs; an output's faults are counted", async () => {
  const output = new RecordingOutput("mqtt");
  const broken = new RecordingOutput("edgehub");
  broken.fail.publishReading = new Error("edgeHub client gone");
  const { bridge, clock, lines } = runtimeHarness([output, broken]);
  bridge.observe({
    readingPublished: () => {
      throw new Error("observer broke");
    },
  });
  bridge.apply(settingsFor(["dach"]));
  await clock.advance(10_000);
  assert.equal(output.readings.length, 2);
  assert.ok(lines.some((line) => line.includes("dach: an observer failed (a bug)")));
  const parsed = parseExposition(new BridgeMetrics().render(bridge, clock.now(), MEMORY));
  assert.equal(sampleValue(parsed, "kostal2mqtt_output_faults_total", { output: "edgehub" }), 2);
  assert.equal(sampleValue(parsed, "kostal2mqtt_output_faults_total", { output: "mqtt" }), 0);
});
