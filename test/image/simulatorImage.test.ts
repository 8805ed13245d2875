import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { containerName, imageSize, listImage, requirePodman, BUILD_TIMEOUT_MS, MIB } from "./imageRun.js";
import { LIMITS, podman, podmanOk, runScript, until } from "./podman.js";

/**
 * The piko-simulator module image (deployment.debug.template.json runs it beside the product): built from its own
 * Dockerfile without a registry, it holds the simulator and the product code it serves pages with, never tests, the
 * bench or the edgeHub emulator, and listens on 0.0.0.0:8080 inside its network namespace. `npm run test:image`.
 */

const SIMULATOR_IMAGE = "localhost/piko-simulator:ci-amd64";

describe("the piko-simulator module image", { concurrency: false }, () => {
  test(
    "builds and listens on 0.0.0.0:8080 with the product's `simulate`; SIGTERM ends it",
    { timeout: BUILD_TIMEOUT_MS },
    async (t) => {
      if (!requirePodman(t)) return;
      assert.equal(await runScript("build.sh", ["piko-simulator", SIMULATOR_IMAGE], BUILD_TIMEOUT_MS), 0);
      console.log(
        `image ${SIMULATOR_IMAGE}: ${((await imageSize(SIMULATOR_IMAGE)) / MIB).toFixed(1)} MiB uncompressed`,
      );
      const paths = await listImage(SIMULATOR_IMAGE, "/app");
      assert.ok(
        !paths.some(
          (path) =>
            /(^|\/)(edgehub-emulator|test|bench)(\/|$)/.test(path) && !path.startsWith("node_modules/"),
        ),
      );
      assert.deepEqual(
        paths.filter((path) => /\.[mc]?ts$/.test(path)),
        [],
      );
      const name = containerName("simulator");
      // Its own network namespace: 0.0.0.0 there is reachable from nowhere but the container itself.
      await podmanOk([
        "run",
        "--detach",
        "--name",
        name,
        "--network",
        "none",
        "--read-only",
        ...LIMITS,
        SIMULATOR_IMAGE,
      ]);
      await until(
        "the simulator's start line",
        async () => {
          const logs = await podman(["logs", name]);
          return /PIKO 10\.1 simulator at http:\/\/[^ ]+:8080\/index\.fhtml/.test(logs.stdout + logs.stderr)
            ? true
            : undefined;
        },
        30_000,
      );
      // The kernel's socket table rather than a request: at night the simulated PIKO, like a real one, never
      // answers, and a request from inside would reach it over loopback whatever it is bound to.
      const sockets = await podmanOk(["exec", name, "cat", "/proc/net/tcp"]);
      assert.match(sockets, /^\s*\d+: 00000000:1F90 00000000:0000 0A /m, "LISTEN on 0.0.0.0:8080");
      const stop = await podman(["stop", "--time", "10", name]);
      assert.equal(stop.code, 0, stop.stderr);
      assert.ok(stop.ms < 5000, `stopped after ${stop.ms.toFixed(0)} ms`);
      assert.equal((await podmanOk(["inspect", "--format", "{{.State.ExitCode}}", name])).trim(), "0");
    },
  );
});
