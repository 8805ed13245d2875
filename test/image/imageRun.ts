import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, type TestContext } from "node:test";
import { LIMITS, podman, podmanOk, whyNoPodman } from "./podman.js";

/**
 * What every image test file shares: whether podman can run here (in CI it must: a test fails rather than skips),
 * the containers and scratch folders of this run (removed at its end whatever happened), and what an image holds.
 */

export const BUILD_TIMEOUT_MS = 20 * 60_000;
export const MIB = 1024 * 1024;

export const unavailable = await whyNoPodman();
export const skip = unavailable !== null && process.env.CI !== "true";
if (skip) console.log(`image test skipped: ${unavailable}`);

const containers: string[] = [];
const scratch: string[] = [];

/** A container name of this run, removed at its end. */
export function containerName(role: string): string {
  const name = `k2m-image-${role}-${process.pid}`;
  containers.push(name);
  return name;
}

/** A fresh folder of this run, removed at its end. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

after(async () => {
  for (const name of containers) await podman(["rm", "--force", "--time", "0", name]);
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** One path per line, relative to `root`, of everything in the image under `root`. */
export async function listImage(image: string, root: string): Promise<string[]> {
  const out = await podmanOk(
    [
      "run",
      "--rm",
      "--network",
      "none",
      "--no-healthcheck",
      ...LIMITS,
      image,
      "find",
      root,
      "-printf",
      "%P\\n",
    ],
    120_000,
  );
  return out.split("\n").filter((line) => line !== "");
}

export async function imageSize(image: string): Promise<number> {
  return Number((await podmanOk(["image", "inspect", "--format", "{{.Size}}", image])).trim());
}

/** False (the test skipped) where podman cannot run outside CI; in CI a failure instead of a skip. */
export function requirePodman(t: TestContext): boolean {
  if (skip) {
    t.skip(unavailable ?? "");
    return false;
  }
  // In CI this fails instead of skipping: an image that is never built is never tested.
  assert.equal(unavailable, null, `podman cannot run here: ${unavailable}`);
  return true;
}
