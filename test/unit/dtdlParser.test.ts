import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import {
  DesiredProperties,
  type EnvDefaults,
} from "../../modules/kostal2mqtt/src/config/desiredProperties.js";
import { EdgeController } from "../../modules/kostal2mqtt/src/controllers/edgeController.js";
import { createLogger, Redactor } from "../../modules/kostal2mqtt/src/log/logger.js";
import { readingMessage } from "../../modules/kostal2mqtt/src/outputs/edgeHub/edgeHubOutput.js";
import { dtdlModel } from "../../modules/kostal2mqtt/src/reading/dtdlModel.js";
import { MEASUREMENT_FIELDS } from "../../modules/kostal2mqtt/src/reading/fields.js";
import type { Reading } from "../../modules/kostal2mqtt/src/reading/reading.js";
import { INVERTER_STATUSES, STATUS_CODES } from "../../modules/kostal2mqtt/src/reading/status.js";
import { Bridge } from "../../modules/kostal2mqtt/src/runtime/bridge.js";
import {
  acceptedModel,
  isPlainObject,
  member,
  namedIds,
  parse,
  telemetryViolations,
  violations,
} from "../support/dtdlChecker.js";
import { repoPath } from "../support/paths.js";
import { sampleReading } from "../support/sampleReading.js";

/**
 * The Plug and Play model checked by Microsoft's own DTDL parser, and everything the module sends that the model
 * describes (telemetry bodies, reported properties, the manifests' desired properties) checked against the
 * parser's object model (test/support/dtdlChecker.ts).
 */

test("Microsoft's DTDL parser accepts the committed model", () => {
  const { iface } = acceptedModel();
  assert.equal(iface.EntityKind, "Interface");
  assert.equal(iface.languageMajorVersion, 3);
});

test("without the QuantitativeTypes context the parser rejects the semantic types (the model as it was)", () => {
  const result = parse(JSON.stringify({ ...dtdlModel(), "@context": "dtmi:dtdl:context;3" }));
  assert.ok(
    "errors" in result,
    "the parser accepted Power, Energy, Voltage and Current without their context",
  );
  const undefinedTerms = new Set(
    result.errors
      .filter((error) => error.ValidationID === "dtmi:dtdl:parsingError:typeUndefinedTerm")
      .map((error) => error.Value),
  );
  assert.deepEqual([...undefinedTerms].sort(), [
    "Current",
    "Energy",
    "Frequency",
    "Power",
    "Temperature",
    "Voltage",
  ]);
});

test("each measurement's DTDL unit is the unit of the field table (the parser's unit symbol)", () => {
  const { om, iface } = acceptedModel();
  const telemetry = namedIds(iface, "telemetries");
  for (const field of MEASUREMENT_FIELDS) {
    const entity = om[telemetry[field.key] ?? ""];
    assert.ok(entity, field.key);
    assert.equal(member(om[entity.schema as string], "EntityKind"), "Double", field.key);
    const semanticTypes = entity.SupplementalTypes as string[];
    if (field.dtdl === null) {
      // No QuantitativeTypes class fits (cos phi, a percentage of rated power): plain double, no unit.
      assert.deepEqual(semanticTypes, [], field.key);
      continue;
    }
    assert.equal(semanticTypes.length, 1, `${field.key} has one semantic type`);
    assert.match(semanticTypes[0]!, /^dtmi:dtdl:extension:quantitativeTypes:v1:class:/, field.key);
    const supplemental = entity.SupplementalProperties as Record<string, string>;
    const unit = om[supplemental["dtmi:dtdl:extension:quantitativeTypes:v1:property:unit"] ?? ""];
    assert.ok(unit, `${field.key} has a unit`);
    const symbol = (unit.SupplementalProperties as Record<string, unknown>)["dtmi:dtdl:property:symbol;3"];
    assert.equal(symbol, field.unit, field.key);
  }
});

test("the checks below reject what the model does not allow", () => {
  const { om, iface } = acceptedModel();
  const body = JSON.parse(readingMessage(sampleReading()).body) as Record<string, unknown>;
  assert.deepEqual(telemetryViolations(om, iface, body), []);
  const broken = { ...body, ac_power_w: "2336.0", status: "sleeping", ts: "yesterday", extra: 1 };
  assert.deepEqual(telemetryViolations(om, iface, broken).sort(), [
    'ac_power_w: "2336.0" is not a finite number',
    "extra: not telemetry of the model",
    `status: "sleeping" is not one of ${INVERTER_STATUSES.join(", ")}`,
    'ts: "yesterday" is not an RFC 3339 date-time',
  ]);
  const inverters = member(om[namedIds(iface, "properties").inverters ?? ""], "schema");
  assert.equal(violations(om, inverters, { "a.b": { host: "x", port: 1 } }, "inverters").length, 2);
});

test("every telemetry body the module sends is telemetry of the model, and the model has no other", () => {
  const { om, iface } = acceptedModel();
  const full = sampleReading();
  const readings: Reading[] = [
    ...INVERTER_STATUSES.map((status) => ({ ...full, status, status_code: STATUS_CODES[status] })),
    // A PIKO 3.6: two strings, one phase; the other slots are absent.
    Object.fromEntries(
      Object.entries(full).filter(([key]) => !/^(dc3|l2|l3)_/.test(key)),
    ) as unknown as Reading,
  ];
  const sent = new Set<string>();
  for (const reading of readings) {
    const body = JSON.parse(readingMessage(reading).body) as Record<string, unknown>;
    assert.deepEqual(telemetryViolations(om, iface, body), [], `status ${reading.status}`);
    for (const name of Object.keys(body)) sent.add(name);
  }
  assert.deepEqual([...sent].sort(), Object.keys(namedIds(iface, "telemetries")).sort());
});

const ENV_DEFAULTS: EnvDefaults = {
  pollIntervalSeconds: 10,
  // Loopback only: applying the settings starts polling, and port 9 refuses at once.
  inverters: new Map([
    ["dach", { host: "127.0.0.1:9", username: "pvserver", password: "pvwr", enabled: true }],
  ]),
  username: "pvserver",
  password: "pvwr",
};

/**
 * A twin patch applied the way IoT Hub applies it (JSON merge patch, RFC 7386): objects merge, null deletes, also
 * inside an object the patch adds, so a stored twin never holds a null.
 */
function twinMerge(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const result: Record<string, unknown> = isPlainObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = twinMerge(result[key], value);
  }
  return result;
}

/** The twin's reported document after each patch the module sends. */
async function reportedDocuments(): Promise<Array<Record<string, unknown>>> {
  const log = createLogger({ level: "error", write: () => undefined });
  const bridge = new Bridge({ outputs: [], log, limits: { timeoutMs: 100, maxBytes: 1024 } });
  const patches: Array<Record<string, unknown>> = [];
  const sync = new EdgeController({
    control: bridge,
    twin: {
      isConnected: true,
      updateReported: (patch: Record<string, unknown>) => {
        patches.push(patch);
        return Promise.resolve();
      },
      refetchTwin: () => undefined,
    },
    desired: new DesiredProperties(ENV_DEFAULTS),
    info: { version: "0.1.0", startedAt: "2026-06-21T10:00:00.000Z" },
    log,
    redactor: new Redactor(),
  });
  // Reported patches go out on a zero-delay timer; urgent ones carry what waits with them.
  const flushed = () => new Promise((resolve) => setTimeout(resolve, 5));
  try {
    sync.onDesired({ $version: 1 }, true);
    sync.onInverterStatus({
      inverter: "dach",
      state: "producing",
      since: "2026-06-21T09:00:00.000Z",
      last_seen: "2026-06-21T10:00:00.000Z",
      message: "ok",
      model: "PIKO 10.1",
      name: "Dach",
    });
    await flushed();
    sync.onDesired(
      {
        $version: 2,
        pollIntervalSeconds: 30,
        inverters: { garage: { host: "127.0.0.1:9", password: "x1", rs485Address: 2 } },
      },
      false,
    );
    sync.onInverterStatus({
      inverter: "garage",
      state: "unreachable",
      since: "2026-06-21T10:00:05.000Z",
      last_seen: null,
      message: "connection refused",
    });
    await flushed();
    sync.onDesired({ $version: 3, pollIntervalSeconds: 1, inverters: { garage: { enabled: false } } }, false);
    await flushed();
    sync.onDesired({ $version: 4, inverters: { garage: null } }, false);
    sync.onConnected();
    await flushed();
  } finally {
    await bridge.stop(100);
  }
  assert.ok(patches.length >= 3, `only ${patches.length} reported patches`);
  const documents: Array<Record<string, unknown>> = [];
  let twin: Record<string, unknown> = {};
  for (const patch of patches) documents.push((twin = twinMerge(twin, patch) as Record<string, unknown>));
  return documents;
}

test("every reported property the module sends is a property of the model, of its schema, and none is missing", async () => {
  const { om, iface } = acceptedModel();
  const properties = namedIds(iface, "properties");
  const reported = new Set<string>();
  for (const [n, document] of (await reportedDocuments()).entries()) {
    for (const [name, value] of Object.entries(document)) {
      reported.add(name);
      const property = om[properties[name] ?? ""];
      assert.ok(property, `reported ${name} is not a property of the model`);
      const schema = member(property, "schema");
      if (property.writable !== true) {
        assert.deepEqual(violations(om, schema, value, name), [], `document ${n}`);
        continue;
      }
      // Plug and Play convention: a writable property is reported as its acknowledgement.
      assert.ok(isPlainObject(value), `${name} is an acknowledgement`);
      assert.deepEqual(Object.keys(value).sort(), ["ac", "ad", "av", "value"], name);
      assert.ok([200, 203, 400].includes(value.ac as number), `${name}.ac`);
      assert.ok(Number.isInteger(value.av), `${name}.av`);
      assert.equal(typeof value.ad, "string", `${name}.ad`);
      assert.deepEqual(violations(om, schema, value.value, `${name}.value`), [], `document ${n}`);
    }
  }
  assert.deepEqual([...reported].sort(), Object.keys(properties).sort());
});

test("the deployment manifests' desired properties are writable properties of the model, of their schema", () => {
  const { om, iface } = acceptedModel();
  const properties = namedIds(iface, "properties");
  for (const file of ["deployment.template.json", "deployment.debug.template.json"]) {
    const manifest = JSON.parse(readFileSync(repoPath(file), "utf8")) as {
      modulesContent: Record<string, { "properties.desired"?: Record<string, unknown> }>;
    };
    const desired = manifest.modulesContent.kostal2mqtt?.["properties.desired"];
    assert.ok(desired, `${file} has no desired properties for kostal2mqtt`);
    for (const [name, value] of Object.entries(desired)) {
      const property = om[properties[name] ?? ""];
      assert.ok(property?.writable === true, `${file}: ${name} is not a writable property of the model`);
      assert.deepEqual(violations(om, member(property, "schema"), value, name), [], file);
    }
  }
});
