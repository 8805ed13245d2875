import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { configSettings } from "../../modules/kostal2mqtt/src/config/loadConfig.js";
import { MEASUREMENT_FIELDS } from "../../modules/kostal2mqtt/src/reading/fields.js";
import { repoPath } from "../support/paths.js";

const readme = readFileSync(repoPath("README.md"), "utf8");

test("the README's configuration table names every setting of the schema", () => {
  for (const setting of configSettings()) {
    assert.match(
      readme,
      new RegExp(`^\\|\\s*\`${setting.env}\`\\s*\\|`, "m"),
      `${setting.env} missing from the README`,
    );
  }
});

test("the README's reading tables name every field of the field table", () => {
  for (const field of MEASUREMENT_FIELDS)
    assert.ok(readme.includes(`\`${field.key}\``), `${field.key} missing`);
});

test("the README's two commands are the ones package.json and CI run", () => {
  assert.ok(readme.includes("npm ci && npm run demo"));
  assert.ok(readme.includes("npm ci && npm test"));
  const ci = readFileSync(repoPath(".ci/run"), "utf8");
  assert.match(ci, /^npm ci$/m);
  assert.match(ci, /^npm test$/m);
});
