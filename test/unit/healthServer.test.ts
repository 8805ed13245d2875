import assert from "node:assert/strict";
import { createServer } from "node:net";
import { test } from "node:test";
import { runCli } from "../../modules/kostal2mqtt/src/cli/runCli.js";
import { createLogger } from "../../modules/kostal2mqtt/src/log/logger.js";
import { HealthServer } from "../../modules/kostal2mqtt/src/observability/healthServer.js";
import { readiness, type ReadinessInput } from "../../modules/kostal2mqtt/src/observability/readiness.js";
import type { InverterStatusReport, OutputHealth } from "../../modules/kostal2mqtt/src/ports/output.js";

const NOW = Date.parse("2026-06-21T12:00:00.000Z");
const connected: OutputHealth = { state: "connected", queued: 0, dropped: 0, delivered: 5, message: "ok" };

function inverter(
  id: string,
  state: InverterStatusReport["state"],
  secondsAgo: number | null,
): InverterStatusReport {
  return {
    inverter: id,
    state,
    since: new Date(NOW - 3600_000).toISOString(),
    last_seen: secondsAgo === null ? null : new Date(NOW - secondsAgo * 1000).toISOString(),
    message: "",
    failures: 0,
  };
}

const input = (over: Partial<ReadinessInput>): ReadinessInput => ({
  inverters: [inverter("dach", "producing", 5)],
  outputs: { mqtt: connected },
  pollIntervalMs: 10_000,
  now: NOW,
  ...over,
});

test("ready: outputs connected and every inverter read recently or asleep", () => {
  assert.equal(readiness(input({})).ready, true);
  assert.equal(readiness(input({ inverters: [inverter("dach", "asleep", 9 * 3600)] })).ready, true);
});

test("not ready, with the reason: no inverter, a stale or never-read inverter, a disconnected output", () => {
  assert.deepEqual(readiness(input({ inverters: [] })).problems, ["no inverter configured"]);
  assert.deepEqual(readiness(input({ inverters: [inverter("dach", "unreachable", 120)] })).problems, [
    "inverter dach: last reading 120 s ago (unreachable)",
  ]);
  assert.deepEqual(readiness(input({ inverters: [inverter("dach", "starting", null)] })).problems, [
    "inverter dach: no reading yet (starting)",
  ]);
  const down: OutputHealth = { ...connected, state: "disconnected", message: "broker unreachable" };
  assert.deepEqual(readiness(input({ outputs: { mqtt: down } })).problems, [
    "output mqtt: disconnected (broker unreachable)",
  ]);
});

test("an output whose calls throw is not ready, though its connection is up", () => {
  const failing: OutputHealth = { ...connected, faults: 3, lastFault: "publishReading: boom", failing: true };
  assert.deepEqual(readiness(input({ outputs: { mqtt: failing } })).problems, [
    "output mqtt: failing (publishReading: boom)",
  ]);
  assert.equal(readiness(input({ outputs: { mqtt: { ...failing, failing: false } } })).ready, true);
});

test("'recent' stretches with the poll interval: three intervals, at least a minute", () => {
  assert.equal(readiness(input({ inverters: [inverter("a", "producing", 59)] })).ready, true);
  assert.equal(readiness(input({ inverters: [inverter("a", "producing", 61)] })).ready, false);
  const slow = { pollIntervalMs: 300_000, inverters: [inverter("a", "producing", 800)] };
  assert.equal(readiness(input(slow)).ready, true);
});

async function get(port: number, path: string, method = "GET") {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return { status: response.status, body: await response.text() };
}

/** A server reading the bridge's control interface, here a view of what `state` returns at each request. */
function serverWith(state: () => Omit<ReadinessInput, "now">, port = 0) {
  const lines: string[] = [];
  const server = new HealthServer({
    port,
    bind: "127.0.0.1",
    control: {
      inverterStatuses: () => state().inverters,
      outputHealth: () => state().outputs,
      get pollIntervalMs() {
        return state().pollIntervalMs;
      },
      observe: () => () => undefined,
    },
    now: () => NOW,
    log: createLogger({ level: "info", write: (line) => lines.push(line) }),
    redact: (text) => text.split("s3cret").join("[redacted]"),
  });
  return { server, lines };
}

test("the server answers /healthz, /readyz (200 or 503 with reasons), 404 and 405, and never leaks a secret", async (t) => {
  let current = input({});
  const { server } = serverWith(() => current);
  await server.start();
  t.after(() => server.stop());
  const port = server.port!;
  assert.deepEqual(await get(port, "/healthz"), { status: 200, body: '{"status":"alive","uptime_s":0}' });
  assert.equal((await get(port, "/readyz")).status, 200);
  current = input({ outputs: { mqtt: { ...connected, state: "connecting", message: "password s3cret" } } });
  const notReady = await get(port, "/readyz");
  assert.equal(notReady.status, 503);
  assert.match(notReady.body, /output mqtt: connecting \(password \[redacted\]\)/);
  assert.equal((await get(port, "/nothing")).status, 404);
  assert.equal((await get(port, "/healthz", "POST")).status, 405);
});

test("a port already taken is the health server's problem alone: logged, start goes on", async (t) => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
  t.after(() => blocker.close());
  const taken = (blocker.address() as { port: number }).port;
  const { server, lines } = serverWith(() => input({}), taken);
  await server.start();
  assert.equal(server.port, null);
  assert.ok(
    lines.some((line) => line.includes(`health server cannot listen on 127.0.0.1:${taken} (EADDRINUSE)`)),
  );
  await server.stop();
});

async function healthcheck(env: Record<string, string>, args: string[] = []) {
  const lines: string[] = [];
  const code = await runCli(["healthcheck", ...args], {
    env,
    stdout: (line) => lines.push(line),
    stderr: (line) => lines.push(line),
    now: () => NOW,
    untilStopped: () => Promise.resolve(),
    onLibraryFault: () => undefined,
  });
  return { code, lines };
}

test("`healthcheck` exits 0 when the server says alive, 1 with the reason otherwise", async (t) => {
  let current = input({ inverters: [] });
  const { server } = serverWith(() => current);
  await server.start();
  t.after(() => server.stop());
  const env = { HEALTH_PORT: String(server.port) };
  assert.equal((await healthcheck(env)).code, 0);
  const notReady = await healthcheck(env, ["--ready"]);
  assert.equal(notReady.code, 1);
  assert.match(notReady.lines.join("\n"), /answered 503: .*no inverter configured/);
  current = input({});
  assert.equal((await healthcheck(env, ["--ready"])).code, 0);
  await server.stop();
  const down = await healthcheck(env);
  assert.equal(down.code, 1);
  assert.match(down.lines.join("\n"), /ECONNREFUSED/);
  assert.deepEqual(await healthcheck({ HEALTH_PORT: "0" }), {
    code: 1,
    lines: ["kostal2mqtt healthcheck: the health server is off (HEALTH_PORT=0)"],
  });
});
