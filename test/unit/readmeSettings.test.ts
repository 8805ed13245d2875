import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { configSettings } from "../../modules/kostal2mqtt/src/config/loadConfig.js";
import { repoPath } from "../support/paths.js";

/**
 * The README's settings tables say, for every setting, whether it applies live (the module twin changes it without
 * a restart) or at the next start: an `applies` column after `default`, `live (...)` or `restart`, as the schema's
 * `live` field says.
 */

const readme = readFileSync(repoPath("README.md"), "utf8");

/** The cells of the table row that documents `name`, without the leading and trailing pipe; `\|` is no border. */
function rowOf(name: string): string[] | null {
  const line = readme.split("\n").find((row) => new RegExp(`^\\|\\s*\`${name}\`\\s*\\|`).test(row));
  return line === undefined
    ? null
    : line
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((cell) => cell.trim());
}

test("the README's settings tables say which settings apply live and which need a restart", () => {
  const wrong: string[] = [];
  for (const setting of configSettings()) {
    const applies = rowOf(setting.env)?.[3] ?? "(no row or no applies column)";
    const expected = setting.live ? /^live\b/ : /^restart\b/;
    if (!expected.test(applies))
      wrong.push(`${setting.env}: '${applies}', want ${setting.live ? "live" : "restart"}`);
  }
  assert.deepEqual(wrong, []);
});

test("a live setting's row names the desired property that changes it", () => {
  for (const setting of configSettings().filter((s) => s.live)) {
    const property = setting.twin!.split(".")[0]!;
    assert.ok(rowOf(setting.env)?.[3]?.includes(`\`${property}\``), `${setting.env}: names \`${property}\``);
  }
});
