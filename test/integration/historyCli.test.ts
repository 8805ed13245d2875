import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ManualClock, PikoSimulator } from "../../modules/piko-simulator/src/index.js";
import { runCliProcess } from "../support/cliProcess.js";
import { NOON } from "../support/simulatedTime.js";

/** `kostal2mqtt history` as a user runs it, against the simulator's LogDaten.dat. */

const cli = (args: string[], env: Record<string, string> = {}) => runCliProcess(["history", ...args], env);

let simulator: PikoSimulator;
let url: string;
let passwordFile: string;

before(async () => {
  simulator = new PikoSimulator({ password: "canary-history-pw", clock: new ManualClock(NOON) });
  url = await simulator.start();
  passwordFile = join(mkdtempSync(join(tmpdir(), "k2m-history-")), "password");
  writeFileSync(passwordFile, "canary-history-pw\n");
});

after(() => simulator.stop());

test("history: one JSON line per row and event, oldest first, exit 0; --since keeps the later ones", async () => {
  const all = await cli(["--url", url, "--password-file", passwordFile]);
  assert.equal(all.code, 0, all.stderr);
  assert.equal(all.stderr, "");
  const entries = all.stdout.map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.equal(entries[0]!["kind"], "event");
  assert.equal(entries[0]!["event"], "POR");
  const rows = entries.filter((e) => e["kind"] === "row");
  assert.ok(rows.length > 10, `${rows.length} rows`);
  const times = entries.map((e) => Date.parse(e["time"] as string));
  assert.deepEqual(
    times,
    [...times].sort((a, b) => a - b),
  );
  assert.equal(typeof rows.at(-1)!["l1_current_a"], "number");
  // Half a row interval after the third last: the second download is dated a little later.
  const since = new Date(times.at(-3)! + 450_000).toISOString();
  const later = await cli(["--url", url, "--password-file", passwordFile, "--since", since]);
  assert.equal(later.code, 0, later.stderr);
  assert.equal(later.stdout.length, 2);
});

test("history through a busy answer: tried again, exit 0", async () => {
  simulator.setFault({ kind: "status", status: 503, remaining: 1 });
  const result = await cli(["--url", url], { KOSTAL_PASSWORD: "canary-history-pw" });
  assert.equal(result.code, 0, result.stderr);
  assert.ok(result.stdout.length > 10);
});

test("history: bad arguments are one line and exit 2; unreachable or refused one line and exit 1, no password", async () => {
  for (const args of [
    ["--url", url, "--since", "yesterday"],
    ["--url", url, "--bogus"],
    ["--url", "ftp://x"],
  ]) {
    const bad = await cli(args);
    assert.equal(bad.code, 2, `${args.join(" ")}: ${bad.stderr}`);
    assert.equal(bad.stderr.split("\n").length, 1, bad.stderr);
    assert.deepEqual(bad.stdout, []);
  }
  const missing = await cli(["--url", url, "--password-file", "/nonexistent/pw"]);
  assert.equal(missing.code, 2);
  const down = await cli(["--url", "127.0.0.1:1"]);
  assert.equal(down.code, 1);
  assert.match(down.stderr, /^InverterUnreachable: inverter 127\.0\.0\.1:1 refused the connection$/);
  const refused = await cli(["--url", url, "--user", "pvserver"], { KOSTAL_PASSWORD: "wrong-canary" });
  assert.equal(refused.code, 1);
  assert.equal(refused.stderr.split("\n").length, 1);
  assert.doesNotMatch(refused.stderr, /canary/);
});
