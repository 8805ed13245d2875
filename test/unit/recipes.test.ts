import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { readingMessage } from "../../modules/kostal2mqtt/src/outputs/edgeHub/edgeHubOutput.js";
import { discoveryPayload } from "../../modules/kostal2mqtt/src/outputs/mqtt/homeAssistant.js";
import { readingMessages } from "../../modules/kostal2mqtt/src/outputs/mqtt/mqttMessages.js";
import { MqttTopics } from "../../modules/kostal2mqtt/src/outputs/mqtt/mqttTopics.js";
import { MEASUREMENT_FIELDS } from "../../modules/kostal2mqtt/src/reading/fields.js";
import { repoPath } from "../support/paths.js";
import {
  codeBlocks,
  downstream,
  fluxFields,
  GRAFANA_UNITS,
  kqlTableColumns,
  readExample,
  readingKey,
  routingQueryParts,
  tomlBlocks,
  type FlowNode,
} from "../support/recipes.js";
import { sampleReading } from "../support/sampleReading.js";

/**
 * Issue 13, the consumer recipes under examples/ and the README's Telegraf snippet: every field a recipe names is a
 * field of the reading, with the type or unit the recipe assumes, and what a recipe expects of the wire (topics,
 * payload, edgeHub properties, Home Assistant entities) is computed from the code that sends it.
 */

const topics = new MqttTopics("KOSTAL", "homeassistant", "");
/** `KOSTAL/+/state`: the state topic of any inverter. */
const STATE_TOPICS = topics.state("ID").replace("/ID/", "/+/");
/** The state payload the MQTT output publishes for a reading of every field. */
const STATE_PAYLOAD = (() => {
  const [state] = readingMessages(topics, { payloadFormat: "json", perValueTopics: false }, sampleReading());
  assert.equal(state?.topic, topics.state("dach"));
  return state.payload;
})();

/** A key Telegraf reads as a number: a measurement (float), or an integer header field. */
function assertTelegrafType(key: string, type: string, where: string): void {
  const known = readingKey(key);
  assert.ok(known, `${where}: ${key} is not a field of the reading`);
  const expected = known.kind === "measurement" ? "float" : known.type === "integer" ? "int" : "string";
  assert.equal(type, expected, `${where}: ${key}`);
}

test("telegraf.conf: json_v2 paths are fields of the reading with their types; time from ts_ms", () => {
  const blocks = tomlBlocks(readExample("telegraf/telegraf.conf"));
  const consumer = blocks.find((b) => b.table === "inputs.mqtt_consumer")!.values;
  assert.deepEqual(consumer.topics, [STATE_TOPICS]);
  assert.equal(consumer.data_format, "json_v2");
  const parser = blocks.find((b) => b.table === "inputs.mqtt_consumer.json_v2")!.values;
  assert.equal(parser.timestamp_path, "ts_ms");
  assert.equal(parser.timestamp_format, "unix_ms");
  assert.equal(readingKey("ts_ms")?.kind, "header");
  const fields = blocks.filter((b) => b.table === "inputs.mqtt_consumer.json_v2.field").map((b) => b.values);
  const tags = blocks.filter((b) => b.table === "inputs.mqtt_consumer.json_v2.tag").map((b) => b.values);
  for (const tag of tags) assertTelegrafType(String(tag.path), "string", "tag");
  const payload = JSON.parse(STATE_PAYLOAD) as Record<string, unknown>;
  for (const field of fields) {
    const path = String(field.path);
    assertTelegrafType(path, String(field.type), "field");
    // A measurement may be absent (a model without that string or phase): it must not be an error for Telegraf.
    if (readingKey(path)?.kind === "measurement") assert.equal(field.optional, true, `${path} optional`);
    assert.ok(path in payload, `${path} is in the payload the MQTT output sends`);
  }
  // Floats on the wire always carry a decimal point, so InfluxDB never sees a field flip from int to float.
  for (const { key } of MEASUREMENT_FIELDS) assert.match(STATE_PAYLOAD, new RegExp(`"${key}":-?\\d+\\.\\d+`));
});

test("the README's Telegraf snippet (json): tags, strings and the time key are fields of the reading", () => {
  const readme = readFileSync(repoPath("README.md"), "utf8");
  const [snippet] = codeBlocks(readme, "toml");
  assert.ok(snippet, "the README has a toml block");
  const consumer = tomlBlocks(snippet).find((b) => b.table === "inputs.mqtt_consumer")!.values;
  assert.equal(consumer.data_format, "json");
  assert.deepEqual(consumer.topics, [STATE_TOPICS]);
  assert.equal(consumer.json_time_key, "ts_ms");
  assert.equal(consumer.json_time_format, "unix_ms");
  for (const key of [...(consumer.tag_keys as string[]), ...(consumer.json_string_fields as string[])])
    assertTelegrafType(key, "string", "README snippet");
});

test("grafana/dashboard.json: each panel's fields are collected by telegraf.conf and have the panel's unit", () => {
  const dashboard = JSON.parse(readExample("grafana/dashboard.json")) as {
    panels: Array<{
      title: string;
      fieldConfig: { defaults: { unit: string } };
      targets: Array<{ query: string }>;
    }>;
  };
  const collected = new Set(
    tomlBlocks(readExample("telegraf/telegraf.conf"))
      .filter((b) => b.table === "inputs.mqtt_consumer.json_v2.field")
      .map((b) => String(b.values.path)),
  );
  const shown = new Set<string>();
  for (const panel of dashboard.panels) {
    const unit = GRAFANA_UNITS[panel.fieldConfig.defaults.unit];
    assert.ok(unit, `${panel.title}: a unit of the reading`);
    for (const { query } of panel.targets) {
      assert.match(query, /from\(bucket: "solar"\)/, panel.title);
      assert.match(query, /r\._measurement == "piko"/, panel.title);
      const fields = fluxFields(query);
      assert.ok(fields.length > 0, `${panel.title}: selects fields`);
      for (const field of fields) {
        const known = readingKey(field);
        assert.ok(known?.kind === "measurement", `${panel.title}: ${field} is a measurement`);
        assert.equal(known.unit, unit, `${panel.title}: ${field}`);
        assert.ok(collected.has(field), `${panel.title}: ${field} is collected by telegraf.conf`);
        shown.add(field);
      }
    }
  }
  for (const needed of ["ac_power_w", "energy_today_kwh", "dc1_voltage_v", "dc1_current_a", "l1_power_w"])
    assert.ok(shown.has(needed), `the dashboard shows ${needed} (power, daily energy, strings, phases)`);
  const telegraf = tomlBlocks(readExample("telegraf/telegraf.conf"));
  assert.equal(
    telegraf.find((b) => b.table === "inputs.mqtt_consumer.json_v2")?.values.measurement_name,
    "piko",
  );
  assert.equal(telegraf.find((b) => b.table === "outputs.influxdb_v2")?.values.bucket, "solar");
});

test("node-red/flow.json: MQTT in -> JSON -> a field of the reading -> a gauge or chart in its unit", () => {
  const flow = JSON.parse(readExample("node-red/flow.json")) as FlowNode[];
  const input = flow.find((node) => node.type === "mqtt in")!;
  assert.equal(input.topic, STATE_TOPICS);
  const [json] = downstream(flow, input);
  assert.equal(json?.type, "json");
  let widgets = 0;
  for (const change of downstream(flow, json)) {
    assert.equal(change.type, "change");
    const rules = change.rules as Array<{ p: string; to: string; tot: string }>;
    const value = rules.find((rule) => rule.p === "payload" && rule.tot === "msg");
    const key = /^payload\.([a-z0-9_]+)$/.exec(value?.to ?? "")?.[1];
    assert.ok(key, `${String(change.name)}: sets the payload to a field of the reading`);
    const known = readingKey(key);
    assert.ok(known?.kind === "measurement", `${key} is a measurement`);
    for (const rule of rules) {
      const other = /^payload\.([a-z0-9_]+)$/.exec(rule.to)?.[1];
      if (other !== undefined) assert.ok(readingKey(other), `${other} is a field of the reading`);
    }
    for (const widget of downstream(flow, change)) {
      widgets++;
      const label = String(widget.label);
      if (widget.type === "ui_gauge") assert.equal(label, known.unit, `gauge of ${key}`);
      else if (widget.type === "ui_chart") assert.ok(label.endsWith(`(${known.unit})`), `chart of ${key}`);
      else assert.fail(`${key} goes to a ${widget.type}, not a gauge or chart`);
    }
  }
  assert.ok(widgets >= 2);
});

test("azure/routing.md: queries use the application properties and values the edgeHub output sets", () => {
  const markdown = readExample("azure/routing.md");
  const queries = codeBlocks(markdown, "sql routing");
  assert.ok(queries.length >= 2);
  const sent = readingMessage(sampleReading()).properties;
  const values: Record<string, string[]> = {
    message_type: ["reading", "event"], // the events output sends "event" (edgeHubOutput.ts eventMessage)
    schema_version: [sent.schema_version!],
  };
  let bodyFields = 0;
  for (const query of queries) {
    const { properties, bodyFields: fields } = routingQueryParts(query);
    for (const { name, value } of properties) {
      assert.ok(name in sent, `${name} is an application property of the telemetry`);
      if (values[name]) assert.ok(values[name].includes(value), `${name} = '${value}' is a value it sends`);
    }
    for (const field of fields) assert.ok(readingKey(field), `$body.${field} is a field of the reading`);
    bodyFields += fields.length;
  }
  assert.ok(bodyFields > 0, "one query routes on the body");
});

test("azure/adx-mapping.json: each path is a field of the reading, typed for it; the table matches", () => {
  const mapping = JSON.parse(readExample("azure/adx-mapping.json")) as Array<{
    column: string;
    Properties: { Path: string };
    datatype: string;
  }>;
  for (const { column, Properties, datatype } of mapping) {
    if (Properties.Path === "$") {
      assert.equal(datatype, "dynamic", column);
      continue;
    }
    const key = /^\$\.([a-z0-9_]+)$/.exec(Properties.Path)?.[1];
    const known = key === undefined ? undefined : readingKey(key);
    assert.ok(known, `${column}: ${Properties.Path} is a field of the reading`);
    const expected =
      known.kind === "measurement"
        ? "real"
        : known.format === "date-time"
          ? "datetime"
          : known.type === "integer"
            ? ["int", "long"]
            : "string";
    assert.ok([expected].flat().includes(datatype), `${column}: ${datatype} for ${key}`);
  }
  const [create] = codeBlocks(readExample("azure/routing.md"), "kql");
  assert.deepEqual(
    kqlTableColumns(create!),
    mapping.map(({ column, datatype }) => ({ column, type: datatype })),
    "the .create table in routing.md has the mapping's columns and types",
  );
});

test("home-assistant/energy.md: the entities are the ones discovery creates; the lifetime total suits Energy", () => {
  const markdown = readExample("home-assistant/energy.md");
  const discovery = JSON.parse(discoveryPayload(topics, sampleReading("dach"))) as {
    cmps: Record<string, Record<string, unknown>>;
  };
  const byEntity = new Map(Object.values(discovery.cmps).map((c) => [String(c.default_entity_id), c]));
  const named = [...markdown.matchAll(/`(sensor\.[a-z0-9_]+)`/g)].map((m) => m[1]!);
  assert.ok(named.length >= 4);
  for (const entity of named) assert.ok(byEntity.has(entity), `${entity} is created by discovery`);
  let rows = 0;
  for (const row of markdown.matchAll(/^\| `(sensor\.[a-z0-9_]+)` +\|[^|]+\| ([^|]*?) +\| ([^|]*?) +\|$/gm)) {
    const component = byEntity.get(row[1]!)!;
    assert.equal(row[2], component.unit_of_measurement ?? "", `${row[1]} unit`);
    const classes = [component.device_class, component.state_class].filter(Boolean).join(" / ");
    assert.equal(row[3], classes, `${row[1]} classes`);
    rows++;
  }
  assert.equal(rows, 4, "every row of the entity table was checked");
  const picked = /\*\*`(sensor\.[a-z0-9_]+)`\*\*/.exec(markdown)?.[1];
  const total = byEntity.get(picked ?? "");
  assert.equal(
    total?.value_template,
    "{{ value_json.energy_total_kwh }}",
    "the Energy dashboard takes the lifetime total",
  );
  assert.equal(total?.device_class, "energy");
  assert.equal(total?.state_class, "total_increasing");
  assert.equal(total?.unit_of_measurement, "kWh");
});

test("the README's 'Using the data' links every recipe under examples/", () => {
  const readme = readFileSync(repoPath("README.md"), "utf8");
  const section = readme.slice(
    readme.indexOf("## Using the data"),
    readme.indexOf("## How it reads the PIKO"),
  );
  for (const entry of readdirSync(repoPath("examples"), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = relative(repoPath(), join(entry.parentPath, entry.name));
    assert.ok(section.includes(`(${path})`), `${path} is linked`);
  }
});
