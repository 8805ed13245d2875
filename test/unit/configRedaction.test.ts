import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { loadConfig, redactedConfig } from "../../modules/kostal2mqtt/src/config/loadConfig.js";
import { statusPageUrl } from "../../modules/kostal2mqtt/src/piko/inverterAddress.js";
import { childEnv } from "../support/childEnv.js";
import { repoPath } from "../support/paths.js";
import { configProblems } from "../support/configProblems.js";

/**
 * Issue 9, "never echo a secret": `KOSTAL_HOST=http://admin:PASSWORD@host` printed the password in the
 * configuration error. Every value shown in a configuration error or by `--print-config` is redacted where it may
 * hold a credential; a user name may stay, it says which account is meant.
 */

const SECRET = "Canary-Pw7";

function problemsOf(env: Record<string, string>): string[] {
  const problems = configProblems(env);
  assert.ok(problems.length > 0, `no configuration error for ${JSON.stringify(Object.keys(env))}`);
  return problems;
}

test("credentials in KOSTAL_HOST are refused, and the error shows the address without the password", () => {
  for (const host of [
    `http://admin:${SECRET}@192.168.0.40`,
    `admin:${SECRET}@192.168.0.40`,
    `https://admin:${SECRET}@piko.local:8080/index.fhtml`,
    ` http://admin:${SECRET}@192.168.0.40 `,
  ]) {
    const problems = problemsOf({ KOSTAL_HOST: host });
    const text = problems.join("\n");
    assert.ok(!text.includes(SECRET), text);
    assert.match(text, /KOSTAL_HOST: put the credentials in KOSTAL_USERNAME\/KOSTAL_PASSWORD/);
    assert.match(text, /admin:\[redacted\]@/);
  }
});

test("a password with characters that break the URL is not shown either", () => {
  for (const secret of [
    `pa/ss${SECRET}`,
    `p@ss${SECRET}`,
    `pa ss${SECRET}`,
    `pa#${SECRET}`,
    `pa?${SECRET}`,
  ]) {
    const problems = problemsOf({ KOSTAL_HOST: `http://admin:${secret}@host`, SCRAPE_INTERVAL: "1" });
    const text = problems.join("\n");
    assert.ok(!text.includes(SECRET), text);
    assert.match(text, /SCRAPE_INTERVAL: must be from 2 to 3600/, "other problems are still listed");
  }
  assert.throws(
    () => statusPageUrl(`http://admin:pa/ss${SECRET}@host`),
    (error: unknown) => error instanceof Error && !error.message.includes(SECRET),
    "the address check itself never echoes credentials",
  );
});

test("a token alone as user info is redacted too; a plain host is shown as it is", () => {
  const problems = problemsOf({ KOSTAL_HOST: `http://${SECRET}@host` });
  assert.ok(!problems.join("\n").includes(SECRET), problems.join("\n"));
  const plain = problemsOf({ KOSTAL_HOST: "ftp://192.168.0.40" });
  assert.match(plain.join("\n"), /'ftp:' is not supported/);
});

test("--print-config redacts credentials in any address, not only the secret settings", () => {
  const shown = redactedConfig(loadConfig({ MQTT_HOST: `mqtt://bridge:${SECRET}@broker.local` }));
  assert.ok(!JSON.stringify(shown).includes(SECRET), JSON.stringify(shown));
  assert.equal(shown.MQTT_HOST, "mqtt://bridge:[redacted]@broker.local");
});

test("the process: exit 2, the error on stderr without the password", async () => {
  const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = execFile(
      process.execPath,
      [repoPath("dist/modules/kostal2mqtt/src/main.js"), "run"],
      { env: childEnv({ KOSTAL_HOST: `http://admin:${SECRET}@host`, HEALTH_PORT: "0" }), timeout: 20_000 },
      (_error, _stdout, stderr) => resolve({ code: child.exitCode, stderr }),
    );
  });
  assert.equal(result.code, 2);
  assert.ok(!result.stderr.includes(SECRET), result.stderr);
  assert.match(result.stderr, /KOSTAL_HOST: .*http:\/\/admin:\[redacted\]@host/);
});
