import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { test } from "node:test";
import { IMAGE_NODE_FLAGS } from "../../scripts/dockerfiles.js";
import { capturesMissing, PIKO_HTML_DIR } from "../support/fixtures.js";
import { repoPath } from "../support/paths.js";

/**
 * The image runs Node with V8's optimising and baseline compilers off (scripts/dockerfiles.ts): the real process's
 * tests run with the image's flags (support/moduleProcess.ts); this covers the one path they do not reach, the DOM
 * reader for a page the fast scanner does not follow, which loads cheerio's parser on first use, and checks that
 * WebAssembly, which Node's own fetch (undici, also loaded by cheerio's index) needs, is still there.
 */

test("the DOM page reader loads and reads a capture under the image's Node flags", (t) => {
  const missing = capturesMissing();
  if (missing !== null) return t.skip(missing);
  const capture = join(
    PIKO_HTML_DIR,
    readdirSync(PIKO_HTML_DIR).find((name) => name.endsWith(".html"))!,
  );
  const reader = pathToFileURL(repoPath("dist/modules/kostal2mqtt/src/piko/gridDom.js")).href;
  const script =
    `const { readFileSync } = await import("node:fs"); const { domGrid } = await import(${JSON.stringify(reader)});` +
    `const grid = domGrid(readFileSync(${JSON.stringify(capture)}, "latin1"));` +
    `console.log(typeof WebAssembly, Object.keys(grid).length > 0);`;
  const child = spawnSync(process.execPath, [...IMAGE_NODE_FLAGS, "--input-type=module", "-e", script], {
    encoding: "utf8",
  });
  assert.equal(child.stderr, "", "no warning or error at start or while reading");
  assert.equal(child.status, 0);
  assert.equal(child.stdout.trim(), "object true", "WebAssembly there; a grid read");
});
