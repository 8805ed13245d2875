import assert from "node:assert/strict";
import { chownSync, existsSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test, type TestContext } from "node:test";
import { startEdgeHubEmulator, type EdgeHubEmulator } from "../../modules/edgehub-emulator/src/index.js";
import { ManualClock } from "../../modules/piko-simulator/src/clock.js";
import { PikoSimulator } from "../../modules/piko-simulator/src/server.js";
import { IMAGE_NODE_FLAGS } from "../../scripts/dockerfiles.js";
import { freePort } from "../support/mosquitto.js";
import { NOON } from "../support/simulatorHttp.js";
import {
  containerName,
  imageSize,
  listImage,
  requirePodman,
  scratchDir,
  skip,
  unavailable,
  BUILD_TIMEOUT_MS,
  MIB,
} from "./imageRun.js";
import { LIMITS, podman, podmanOk, runScript, until } from "./podman.js";

/**
 * The IoT Edge module's image as IoT Edge runs it: the real modules/kostal2mqtt/Dockerfile.amd64 built with podman
 * from a locally assembled node:22-bookworm-slim (no registry), then run as the user node with a read-only root
 * filesystem and a mounted data folder against the PIKO simulator and the edgeHub emulator on 127.0.0.1: telemetry
 * arrives, the HEALTHCHECK reports healthy, SIGTERM ends it within 5 s with exit code 0, and the image holds the
 * product only. `npm run test:image`; in CI (CI=true) a machine that cannot run podman fails the test.
 */

const IMAGE = "localhost/kostal2mqtt:ci-amd64";
const MODULE = "kostal2mqtt";
const MAIN = "dist/modules/kostal2mqtt/src/main.js";
const INVERTER_PASSWORD = "canary-image-inverter-pw";

describe("the kostal2mqtt image", { concurrency: false }, () => {
  let built = false;
  const needsImage = (t: TestContext) => {
    if (!requirePodman(t)) return false;
    if (!built) t.skip("the image was not built (see the build test)");
    return built;
  };

  test(
    "builds from the real Dockerfile.amd64 without a registry",
    { timeout: BUILD_TIMEOUT_MS },
    async (t) => {
      if (!requirePodman(t)) return;
      const started = performance.now();
      assert.equal(
        await runScript("build.sh", [MODULE, IMAGE], BUILD_TIMEOUT_MS),
        0,
        "scripts/image/build.sh",
      );
      built = true;
      const size = await imageSize(IMAGE);
      const base = await imageSize("docker.io/library/node:22-bookworm-slim");
      console.log(
        `image ${IMAGE}: ${(size / MIB).toFixed(1)} MiB uncompressed, of which ${((size - base) / MIB).toFixed(1)} ` +
          `MiB on top of node:22-bookworm-slim; base and build took ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
    },
  );

  test("its configuration: user node, health check, health server, stop signal, small young generation", async (t) => {
    if (!needsImage(t)) return;
    const [inspected] = JSON.parse(await podmanOk(["image", "inspect", IMAGE])) as Array<{
      Config: { User: string; Env: string[]; Cmd: string[]; StopSignal: string; ExposedPorts: object };
    }>;
    assert.ok(inspected);
    const config = inspected.Config;
    // podman 4.3 leaves the health check out of the JSON document but gives it to a template.
    const health = JSON.parse(
      await podmanOk(["image", "inspect", "--format", "{{json .HealthCheck}}", IMAGE]),
    ) as { Test: string[]; Interval: number; Timeout: number; StartPeriod: number } | null;
    assert.equal(config.User, "node");
    for (const variable of [
      "HEALTH_BIND=0.0.0.0",
      "HEALTH_PORT=8480",
      "KOSTAL_DATA_DIR=/app/data",
      "NODE_ENV=production",
    ]) {
      assert.ok(config.Env.includes(variable), `ENV ${variable}`);
    }
    assert.ok(
      config.Env.some((variable) => /^NODE_VERSION=22\./.test(variable)),
      "Node 22",
    );
    assert.deepEqual(Object.keys(config.ExposedPorts), ["8480/tcp"]);
    assert.equal(config.StopSignal, "SIGTERM");
    assert.deepEqual(config.Cmd, ["node", ...IMAGE_NODE_FLAGS, MAIN, "run"]);
    // Kept only because the build uses the docker format: OCI image configs have no health check.
    assert.ok(health, "the image has a HEALTHCHECK");
    assert.deepEqual(health.Test, ["CMD", "node", MAIN, "healthcheck"]);
    assert.deepEqual([health.Interval, health.Timeout, health.StartPeriod], [30e9, 5e9, 20e9]);
  });

  test("holds production dependencies and compiled product code only", { timeout: 180_000 }, async (t) => {
    if (!needsImage(t)) return;
    const paths = await listImage(IMAGE, "/app");
    const top = new Set(paths.filter((path) => !path.includes("/")));
    assert.deepEqual([...top].sort(), ["bin", "data", "dist", "node_modules", "package.json"]);
    const ours = paths.filter((path) => !path.startsWith("node_modules/"));
    for (const path of ours) {
      assert.doesNotMatch(path, /(^|\/)(test|bench|scripts|piko-simulator|edgehub-emulator)(\/|$)/, path);
      assert.doesNotMatch(path, /(^|\/)(tsconfig[^/]*\.json|\.env|\.git)$/, path);
    }
    const dist = ours.filter((path) => path.startsWith("dist/") && path.includes("."));
    assert.ok(dist.includes(MAIN), MAIN);
    assert.deepEqual(
      dist.filter((path) => !/^dist\/modules\/kostal2mqtt\/src\/.+\.js(\.map)?$/.test(path)),
      [],
      "dist holds the product's compiled JavaScript only",
    );
    assert.deepEqual(
      paths.filter((path) => /\.[mc]?ts$/.test(path)),
      [],
      "no TypeScript anywhere in /app, the dependencies' declarations included",
    );
    assert.ok(!paths.some((path) => /(^|\/)(piko-simulator|edgehub-emulator)(\/|$)/.test(path)));
    // Not @types/*: azure-iot-device and mqtt list some among their own dependencies.
    for (const devDependency of ["typescript", "eslint", "prettier", "aedes", "selfsigned"]) {
      assert.ok(
        !paths.includes(`node_modules/${devDependency}`),
        `no development dependency ${devDependency}`,
      );
    }
    assert.ok(paths.includes("node_modules/azure-iot-device"), "production dependencies are there");
  });

  test("`simulate` says in one line that the simulator is not part of it, exit 2", async (t) => {
    if (!needsImage(t)) return;
    const result = await podman([
      "run",
      "--rm",
      "--network",
      "none",
      "--no-healthcheck",
      ...LIMITS,
      IMAGE,
      "node",
      MAIN,
      "simulate",
    ]);
    assert.equal(result.code, 2, result.stderr);
    const lines = result.stderr.trim().split("\n");
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0] ?? "", /the simulator is not part of this installation; use a checkout/);
  });

  test(
    "with the image's own settings (health server on 0.0.0.0:8480 in its network) the HEALTHCHECK passes",
    { timeout: 60_000 },
    async (t) => {
      if (!needsImage(t)) return;
      const name = containerName("defaults");
      // Its own network namespace with loopback only: nothing it opens is reachable from outside.
      await podmanOk([
        "run",
        "--detach",
        "--name",
        name,
        "--network",
        "none",
        "--read-only",
        ...LIMITS,
        // An inverter that is not there: the module runs, reports it unreachable, and is alive all the same.
        "--env",
        "KOSTAL_HOST=127.0.0.1:9",
        IMAGE,
      ]);
      await until(
        "a healthy health check",
        async () => ((await podman(["healthcheck", "run", name])).code === 0 ? true : undefined),
        30_000,
      );
      const stop = await podman(["stop", "--time", "10", name]);
      assert.equal(stop.code, 0, stop.stderr);
    },
  );
});

describe(
  "the kostal2mqtt image against the simulator and the edgeHub emulator",
  { concurrency: false },
  () => {
    let simulator: PikoSimulator | undefined;
    let emulator: EdgeHubEmulator | undefined;
    let name = "";
    let dataDir = "";
    let healthPort = 0;
    let ready = false;

    before(async () => {
      if (skip || unavailable !== null) return;
      if ((await podman(["image", "exists", IMAGE])).code !== 0) return;
      simulator = new PikoSimulator({
        model: "10.1",
        password: INVERTER_PASSWORD,
        clock: new ManualClock(NOON),
      });
      const simulatorHost = new URL(await simulator.start()).host;
      emulator = await startEdgeHubEmulator({ modules: [MODULE] });
      healthPort = await freePort();

      const dir = scratchDir("k2m-image-");
      // The image runs as node (1000:1000): the mounted folder must be theirs, as on a gateway's volume.
      dataDir = join(dir, "data");
      mkdirSync(dataDir, { mode: 0o700 });
      chownSync(dataDir, 1000, 1000);
      // The emulator writes its CA for root only; the module reads it as node. A CA certificate is public.
      const caFile = join(dir, "edgehub-ca.pem");
      writeFileSync(caFile, emulator.caCertificate, { mode: 0o644 });
      // The connection string holds the module's key: it goes in a file, never on a command line or in a log.
      const envFile = join(dir, "module.env");
      const environment = {
        ...emulator.connectionStringEnvironment(MODULE),
        EdgeModuleCACertificateFile: "/certs/edgehub-ca.pem",
        KOSTAL_HOST: simulatorHost,
        KOSTAL_ID: "dach",
        KOSTAL_PASSWORD: INVERTER_PASSWORD,
        SCRAPE_INTERVAL: "2",
        // The host's network: the health server stays on loopback, on a free port.
        HEALTH_BIND: "127.0.0.1",
        HEALTH_PORT: String(healthPort),
      };
      writeFileSync(
        envFile,
        Object.entries(environment)
          .map(([key, value]) => `${key}=${value}\n`)
          .join(""),
        { mode: 0o600 },
      );
      name = containerName("edge");
      await podmanOk([
        "run",
        "--detach",
        "--name",
        name,
        // The host's network, so the module reaches the simulator and the emulator on 127.0.0.1 (the emulator's
        // certificate is for 127.0.0.1/localhost only).
        "--network",
        "host",
        "--read-only",
        ...LIMITS,
        "--env-file",
        envFile,
        "--volume",
        `${dataDir}:/app/data`,
        "--volume",
        `${caFile}:/certs/edgehub-ca.pem:ro`,
        IMAGE,
      ]);
      ready = true;
    });

    after(async () => {
      if (name !== "" && ready) {
        const logs = await podman(["logs", name]);
        const output = logs.stdout + logs.stderr;
        // The module's last words, for the CI log (checked just below to hold no secret).
        console.log(`${name}, last lines:\n${output.trimEnd().split("\n").slice(-12).join("\n")}`);
        assert.ok(!output.includes(INVERTER_PASSWORD), "the inverter password appears in no log");
        assert.ok(!output.includes("SharedAccessKey"), "the module's key appears in no log");
      }
      await emulator?.stop();
      await simulator?.stop();
    });

    const requireRunning = (t: TestContext) => {
      if (!requirePodman(t)) return false;
      assert.ok(ready, `the container did not start (is ${IMAGE} built?)`);
      return true;
    };

    test("telemetry with the reading arrives at edgeHub", { timeout: 90_000 }, async (t) => {
      if (!requireRunning(t) || emulator === undefined) return;
      const [message] = await emulator.waitForMessages(1, (m) => m.output === "telemetry", 60_000);
      assert.ok(message);
      const reading = JSON.parse(message.body.toString("utf8")) as Record<string, unknown>;
      assert.equal(reading.inverter, "dach");
      assert.equal(reading.model, "PIKO 10.1");
      assert.equal(reading.status, "feeding_mpp");
      assert.ok(typeof reading.ac_power_w === "number" && reading.ac_power_w > 0, "noon: it feeds in");
      assert.ok(typeof reading.energy_total_kwh === "number" && reading.energy_total_kwh > 0);
      assert.equal(message.messageId, `dach-${String(reading.ts_ms)}`);
      assert.equal(message.contentType, "application/json");
      assert.equal(message.properties.message_type, "reading");
    });

    test(
      "runs as node (uid 1000) on a read-only root filesystem and keeps its state in the mounted folder",
      { timeout: 60_000 },
      async (t) => {
        if (!requireRunning(t)) return;
        assert.equal((await podmanOk(["exec", name, "id", "-u"])).trim(), "1000");
        const write = await podman(["exec", name, "touch", "/app/probe"]);
        assert.notEqual(write.code, 0, "the root filesystem is read-only");
        assert.match(write.stderr, /Read-only file system/);
        const totals = join(dataDir, "totals.json");
        await until(
          "totals.json in the data folder",
          () => Promise.resolve(existsSync(totals) ? true : undefined),
          30_000,
        );
        assert.equal(statSync(totals).uid, 1000);
      },
    );

    test("its HEALTHCHECK reports healthy and /readyz says ready", { timeout: 60_000 }, async (t) => {
      if (!requireRunning(t)) return;
      const check = await podman(["healthcheck", "run", name]);
      assert.equal(check.code, 0, `podman healthcheck run: ${check.stdout}${check.stderr}`);
      const state = JSON.parse(await podmanOk(["inspect", "--format", "{{json .State.Health}}", name])) as {
        Status: string;
      };
      assert.equal(state.Status, "healthy");
      await until(
        "/readyz 200",
        async () =>
          (await podman(["exec", name, "node", MAIN, "healthcheck", "--ready"])).code === 0
            ? true
            : undefined,
        30_000,
      );
    });

    test("SIGTERM (podman stop) ends it within 5 s with exit code 0", { timeout: 60_000 }, async (t) => {
      if (!requireRunning(t)) return;
      const stop = await podman(["stop", "--time", "10", name]);
      assert.equal(stop.code, 0, stop.stderr);
      const [code, signal] = (
        await podmanOk(["inspect", "--format", "{{.State.ExitCode}} {{.Config.StopSignal}}", name])
      )
        .trim()
        .split(" ");
      console.log(
        `podman stop took ${(stop.ms / 1000).toFixed(2)} s (stop signal ${signal}), exit code ${code}`,
      );
      assert.ok(stop.ms < 5000, `stopped after ${stop.ms.toFixed(0)} ms`);
      assert.equal(code, "0");
    });
  },
);
