import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Aedes } from "aedes";
import { PikoSimulator } from "../../modules/piko-simulator/src/index.js";
import { childEnv } from "../support/childEnv.js";
import { repoPath } from "../support/paths.js";
import { until } from "../support/until.js";

/**
 * Issue 9, signals, on the real process (`node dist/.../main.js run`) against the simulator: a healthy SIGTERM
 * ends the process by itself, with nothing left open (the 2 s fallback exit never fires: it would say which
 * handles were still open); a second signal during the stop does not cut the flush or the `offline` short; a third
 * forces the exit with the signal's code, saying so.
 *
 * The broker is aedes in this process, so the test can hold back the PUBACKs the stop waits for and send the
 * second signal while the stop is certainly under way.
 */

const FALLBACK_LINE = /handles still open/;
const LIMIT = { timeout: 60_000 };

class Bridge {
  readonly lines: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, [repoPath("dist/modules/kostal2mqtt/src/main.js"), "run"], {
      env: childEnv({ HEALTH_PORT: "0", KOSTAL_DATA_DIR: mkdtempSync(join(tmpdir(), "k2m-data-")), ...env }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      stream.setEncoding("utf8");
      let rest = "";
      stream.on("data", (chunk: string) => {
        const parts = (rest + chunk).split("\n");
        rest = parts.pop() ?? "";
        this.lines.push(...parts);
      });
    }
    this.exited = new Promise((resolve) =>
      this.child.on("exit", (code, signal) => resolve({ code, signal })),
    );
  }

  signal(name: NodeJS.Signals): void {
    this.child.kill(name);
  }

  line(pattern: RegExp, what: string): Promise<string> {
    return until(() => this.lines.find((l) => pattern.test(l)), 20_000, `${what}\n${this.lines.join("\n")}`);
  }

  /** Ends a bridge a failed test left running. */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
  }
}

describe("signals", LIMIT, () => {
  let simulator: PikoSimulator;
  let simulatorHost: string;
  let broker: Aedes;
  let server: Server;
  let port: number;
  /** While set, the broker holds every PUBACK back: the bridge's stop waits for them. */
  let holding = false;
  let held: Array<() => void> = [];
  const published: Array<{ topic: string; payload: string }> = [];
  const bridges: Bridge[] = [];

  before(async () => {
    simulator = new PikoSimulator({
      model: "8.3",
      clock: { now: () => Date.parse("2026-06-21T12:00:00+02:00") },
    });
    simulatorHost = new URL(await simulator.start()).host;
    broker = await Aedes.createBroker({
      authorizePublish: (_client, _packet, done) => {
        if (holding) held.push(() => done(null));
        else done(null);
      },
    });
    broker.on("publish", (packet, client) => {
      if (client) published.push({ topic: packet.topic, payload: packet.payload.toString() });
    });
    server = createServer(broker.handle);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as { port: number }).port;
  });

  after(async () => {
    for (const bridge of bridges) bridge.kill();
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await new Promise<void>((resolve) => broker?.close(() => resolve()));
    await simulator?.stop();
  });

  function release(): void {
    holding = false;
    const waiting = held;
    held = [];
    for (const done of waiting) done();
  }

  async function runningBridge(id: string, withMqtt: boolean): Promise<Bridge> {
    const bridge = new Bridge({
      KOSTAL_HOST: simulatorHost,
      KOSTAL_ID: id,
      SCRAPE_INTERVAL: "2",
      ...(withMqtt
        ? {
            MQTT_HOST: "127.0.0.1",
            MQTT_PORT: String(port),
            MQTT_CLIENT_ID: `k2m-${id}`,
            HA_DISCOVERY: "false",
          }
        : {}),
    });
    bridges.push(bridge);
    if (withMqtt) {
      await until(() => published.find((m) => m.topic === `KOSTAL/${id}/state`), 20_000, `${id}'s reading`);
    } else {
      await bridge.line(/"inverter":"/, "a reading on stdout");
    }
    return bridge;
  }

  for (const withMqtt of [false, true]) {
    test(`a healthy SIGTERM (${withMqtt ? "MQTT" : "console"}): exit 0, ended by itself, nothing left open`, async () => {
      const id = withMqtt ? "healthy_mqtt" : "healthy_console";
      const bridge = await runningBridge(id, withMqtt);
      bridge.signal("SIGTERM");
      const { code } = await bridge.exited;
      assert.equal(code, 0, bridge.lines.join("\n"));
      assert.equal(
        bridge.lines.find((l) => FALLBACK_LINE.test(l)),
        undefined,
        "the fallback exit fired: something was left open",
      );
      if (withMqtt) {
        const offline = published.find((m) => m.topic === "KOSTAL/bridge/state" && m.payload === "offline");
        assert.ok(offline, "offline said on the way out");
      }
    });
  }

  test("a second signal during the stop is acknowledged; the flush and `offline` still happen", async () => {
    const bridge = await runningBridge("twice", true);
    const offlineBefore = published.filter((m) => m.payload === "offline").length;
    holding = true;
    try {
      bridge.signal("SIGTERM");
      await bridge.line(/stopping: flushing outputs/, "the stop under way");
      bridge.signal("SIGINT");
      await Promise.race([
        bridge.line(/stop already under way/, "the second signal acknowledged"),
        bridge.exited.then((end) =>
          assert.fail(`the second signal ended the process: ${JSON.stringify(end)}`),
        ),
      ]);
    } finally {
      release();
    }
    const { code, signal } = await bridge.exited;
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, bridge.lines.join("\n"));
    assert.equal(published.filter((m) => m.payload === "offline").length, offlineBefore + 1, "offline");
  });

  test("a third signal forces the exit at once, with the signal's code, saying so", async () => {
    const bridge = await runningBridge("thrice", true);
    holding = true;
    try {
      bridge.signal("SIGTERM");
      await bridge.line(/stopping: flushing outputs/, "the stop under way");
      bridge.signal("SIGTERM");
      await Promise.race([
        bridge.line(/stop already under way/, "the second signal acknowledged"),
        bridge.exited.then((end) =>
          assert.fail(`the second signal ended the process: ${JSON.stringify(end)}`),
        ),
      ]);
      bridge.signal("SIGTERM");
      const { code } = await bridge.exited;
      assert.equal(code, 143, bridge.lines.join("\n"));
      assert.ok(
        bridge.lines.some((l) => /forcing the exit/.test(l)),
        bridge.lines.join("\n"),
      );
    } finally {
      release();
    }
  });
});
