import assert from "node:assert/strict";
import { test } from "node:test";
import { discoveryPayload } from "../../modules/kostal2mqtt/src/outputs/mqtt/homeAssistant.js";
import { MqttTopics } from "../../modules/kostal2mqtt/src/outputs/mqtt/mqttTopics.js";
import { MEASUREMENT_FIELDS, type MeasurementKey } from "../../modules/kostal2mqtt/src/reading/fields.js";
import type { Reading } from "../../modules/kostal2mqtt/src/reading/reading.js";
import { classifyStatus, INVERTER_STATUSES } from "../../modules/kostal2mqtt/src/reading/status.js";
import { ABBREVIATIONS, discoveryProblems, expand, type Doc } from "../support/homeAssistantRules.js";
import { sampleReading } from "../support/sampleReading.js";

/** Home Assistant device discovery as Home Assistant's own schema takes it (test/support/homeAssistantRules.ts). */

const topics = new MqttTopics("KOSTAL", "homeassistant", "");

function discovery(of: Reading): { topic: string; payload: string; doc: Doc } {
  const payload = discoveryPayload(topics, of);
  return { topic: topics.discovery(of.inverter), payload, doc: JSON.parse(payload) as Doc };
}

function components(doc: Doc): Doc[] {
  return Object.values(expand(doc, ABBREVIATIONS).components as Record<string, Doc>).map((c) =>
    expand(c, ABBREVIATIONS),
  );
}

test("the discovery of every inverter shape passes Home Assistant's schema rules", () => {
  const piko36 = (key: MeasurementKey) => !/^(dc3|l2|l3)_/.test(key);
  for (const sample of [
    sampleReading("dach"),
    sampleReading("garage", piko36),
    sampleReading("my-roof_2"),
    sampleReading("_a__b-"),
  ]) {
    const { topic, payload } = discovery(sample);
    assert.deepEqual(discoveryProblems("homeassistant", topic, payload), [], sample.inverter);
  }
});

test("every sensor gets a default entity id sensor.kostal2mqtt_<id>_<field>, and none an object_id", () => {
  for (const id of ["dach", "my-roof_2"]) {
    const { doc } = discovery(sampleReading(id));
    const entityIds = components(doc).map((c) => c.default_entity_id);
    const slug = id.replace(/-/g, "_");
    assert.deepEqual(entityIds, [
      ...MEASUREMENT_FIELDS.map((f) => `sensor.kostal2mqtt_${slug}_${f.key}`),
      `sensor.kostal2mqtt_${slug}_status`,
    ]);
    assert.ok(components(doc).every((c) => !("object_id" in c)));
  }
});

test("the status sensor is an enum whose options are every status a reading can carry", () => {
  const status = components(discovery(sampleReading("dach")).doc).find(
    (c) => c.value_template === "{{ value_json.status }}",
  );
  assert.ok(status, "a status sensor");
  assert.equal(status.device_class, "enum");
  assert.deepEqual(status.options, INVERTER_STATUSES);
  for (const text of ["Aus", "Leerlauf", "Einspeisen MPP", "supply MPP", "toevoer", "Warten", "Störung 42"]) {
    assert.ok((status.options as string[]).includes(classifyStatus(text)), text);
  }
});

test("the checker refuses what Home Assistant refuses, drops or ignores", () => {
  const { topic, payload, doc } = discovery(sampleReading("dach"));
  const status = "dach_status";
  const variant = (change: (cmps: Record<string, Doc>, root: Doc) => void): string[] => {
    const copy = JSON.parse(payload) as Doc;
    change(copy.cmps as Record<string, Doc>, copy);
    return discoveryProblems("homeassistant", topic, JSON.stringify(copy));
  };
  const expectProblem = (problems: string[], pattern: RegExp) =>
    assert.ok(
      problems.some((p) => pattern.test(p)),
      `${String(pattern)} in ${JSON.stringify(problems)}`,
    );
  assert.ok(doc.cmps);
  expectProblem(
    variant((c) => (c[status]!.object_id = "kostal2mqtt_dach_status")),
    /object_id is dropped .*default_entity_id/,
  );
  expectProblem(
    variant((c) => delete c[status]!.device_class),
    /options need device_class enum/,
  );
  expectProblem(
    variant((c) => (c[status]!.unit_of_measurement = "W")),
    /options exclude state_class and unit_of_measurement/,
  );
  expectProblem(
    variant((c) => (c[status]!.options = [])),
    /options must be a non-empty list/,
  );
  expectProblem(
    variant((c) => (c[status]!.default_entity_id = "kostal2mqtt_dach_status")),
    /default_entity_id .* no valid sensor\./,
  );
  expectProblem(
    variant((c) => (c[status]!.default_entity_id = "sensor.kostal2mqtt__status")),
    /default_entity_id/,
  );
  expectProblem(
    variant((c) => delete c[status]!.p),
    /platform \(p\) required/,
  );
  expectProblem(
    variant((c) => (c[status]!.unique_id = "kostal2mqtt dach status")),
    /unique_id required, \[a-zA-Z0-9_-\]/,
  );
  expectProblem(
    variant((_, root) => delete root.o),
    /origin: required/,
  );
  expectProblem(
    variant((_, root) => ((root.dev as Doc).ids = [])),
    /at least one identifier/,
  );
  expectProblem(
    variant((_, root) => (root.retain = true)),
    /root: unknown key retain/,
  );
  expectProblem(
    variant((_, root) => delete root.state_topic),
    /state_topic required/,
  );
  assert.notDeepEqual(discoveryProblems("homeassistant", "homeassistant/sensor/x y/config", payload), []);
});
