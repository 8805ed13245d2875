import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { dtdlModel, DTDL_MODEL_ID } from "../../modules/kostal2mqtt/src/reading/dtdlModel.js";
import { readingJsonSchema } from "../../modules/kostal2mqtt/src/reading/jsonSchema.js";
import { repoPath } from "../support/paths.js";

interface Content {
  "@type": string | string[];
  name: string;
  writable?: boolean;
}

const committed = JSON.parse(readFileSync(repoPath("modules/kostal2mqtt/model/PikoBridge.json"), "utf8")) as {
  "@id": string;
  contents: Content[];
};

const isA = (content: Content, type: string) =>
  Array.isArray(content["@type"]) ? content["@type"].includes(type) : content["@type"] === type;

test("the committed DTDL model is the generated one", () => {
  assert.deepEqual(
    committed,
    dtdlModel(),
    "regenerate: node bin/kostal2mqtt.js dtdl-model > modules/kostal2mqtt/model/PikoBridge.json",
  );
  assert.equal(committed["@id"], DTDL_MODEL_ID);
});

test("every field a reading can carry is telemetry of the model, and nothing else is", () => {
  const telemetry = committed.contents
    .filter((c) => isA(c, "Telemetry"))
    .map((c) => c.name)
    .sort();
  const readingFields = Object.keys(readingJsonSchema().properties as object).sort();
  assert.deepEqual(telemetry, readingFields);
});

test("the model has the writable properties and commands the module serves", () => {
  const writable = committed.contents
    .filter((c) => isA(c, "Property") && c.writable === true)
    .map((c) => c.name);
  assert.deepEqual(writable.sort(), ["inverters", "pollIntervalSeconds"]);
  const commands = committed.contents.filter((c) => isA(c, "Command")).map((c) => c.name);
  assert.deepEqual(commands.sort(), ["getStatus", "readNow"]);
});
