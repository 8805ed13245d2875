import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";
import { childEnv } from "../support/childEnv.js";
import { repoPath } from "../support/paths.js";

/**
 * `npm run demo` (issue 13) as a user runs it, for a few seconds: the simulator, the in-process broker and the real
 * bridge process. What it prints is the contract: a banner naming the status page and a mosquitto_sub command
 * for the broker it really started, one human line per reading, a summary, and exit 0. The simulator's site
 * clock starts at 09:00 whatever the wall clock says, so this holds at any hour (and under CI's faketime night).
 */

function runDemo(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [repoPath("dist/modules/piko-simulator/src/demo.js"), ...args], {
    env: childEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const killer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  return new Promise((resolve) =>
    child.on("close", (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    }),
  );
}

test(
  "the demo prints where to look, a line per reading and a summary, and exits 0",
  { timeout: 40_000 },
  async () => {
    const { code, stdout, stderr } = await runDemo(["--duration", "6"]);
    const context = `stdout:\n${stdout}\nstderr:\n${stderr}`;
    assert.equal(code, 0, context);
    const lines = stdout.split("\n");
    const status = lines.find((l) => /status page: +http:\/\/127\.0\.0\.1:\d+\/$/.test(l));
    assert.ok(status, `the banner names the status page\n${context}`);
    const watch = /mosquitto_sub -h 127\.0\.0\.1 -p (\d+) -t 'KOSTAL\/#' -v/.exec(stdout);
    assert.ok(watch, `the banner says how to watch the topics\n${context}`);
    assert.ok(
      stdout.includes(`MQTT broker on 127.0.0.1:${watch[1]}`),
      "the command names the demo's own broker",
    );
    const readings = lines.filter((l) =>
      /^\d{2}:\d{2} demo +[a-z_]+ +[\d,]+ W +\d+\.\d{2} kWh today$/.test(l),
    );
    assert.ok(readings.length >= 2, `at least two reading lines\n${context}`);
    assert.match(readings[0]!, /^09:0\d /, "the site clock starts at 09:00, whatever the hour");
    const summary =
      /^summary: (\d+) readings, \d+\.\d{2} kWh simulated \(09:\d{2}-09:\d{2} site time\), uptime \d+ s$/m.exec(
        stdout,
      );
    assert.ok(summary, `the summary\n${context}`);
    assert.equal(Number(summary[1]), readings.length, "the summary counts the lines printed");
    assert.match(stdout, /outputs: mqtt connected; bridge stopped \(exit code 0\)/);
  },
);

test("the demo refuses bad arguments with one line naming every problem", { timeout: 20_000 }, async () => {
  const { code, stderr } = await runDemo(["--duration", "soon", "--mqtt-port", "99999"]);
  assert.equal(code, 2);
  assert.match(stderr, /--duration must be a number of seconds above 0; --mqtt-port must be 0-65535/);
});
