import { execFile, spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { repoPath } from "../support/paths.js";

/**
 * podman for the image test, always through scripts/image/podman (the runtime and cgroup settings the CI machines
 * need). Arguments never carry secrets: those go into containers through --env-file.
 */

export const PODMAN = repoPath("scripts/image/podman");
/**
 * podman's default limits are above the CI machines' hard limits (nofile 20000 there), and runc then refuses to
 * start the container ("error setting rlimit type 7: operation not permitted").
 */
export const LIMITS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=4096:4096"];

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs podman to completion; never rejects for a non-zero exit, callers assert on `code`. */
export function podman(args: string[], timeoutMs = 60_000): Promise<Result> {
  const started = performance.now();
  return new Promise((resolve) => {
    execFile(PODMAN, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** Like `podman` but fails with the command's output when it does not exit 0. */
export async function podmanOk(args: string[], timeoutMs?: number): Promise<string> {
  const result = await podman(args, timeoutMs);
  if (result.code !== 0) {
    throw new Error(`podman ${args.join(" ")} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  }
  return result.stdout;
}

/** A script of scripts/image with its output streamed to stderr (the CI log shows the podman steps as they ran). */
export function runScript(script: string, args: string[], timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(repoPath("scripts/image", script), args, { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (chunk: Buffer) => process.stderr.write(chunk));
    child.stderr.on("data", (chunk: Buffer) => process.stderr.write(chunk));
    const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? (signal === null ? 1 : 128));
    });
  });
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Why the image cannot be built and run here, or null when it can: root (debootstrap and rootful podman), the
 * Debian tools, and a podman that answers.
 */
export async function whyNoPodman(): Promise<string | null> {
  if (process.getuid?.() !== 0) return "the image test needs root (debootstrap, chroot, rootful podman)";
  const missing = ["/usr/bin/podman", "/usr/sbin/debootstrap", "/usr/sbin/runc"].filter(
    (tool) => !executable(tool),
  );
  if (missing.length > 0) {
    return `missing ${missing.join(", ")} (apt-get install podman runc debootstrap uidmap fuse-overlayfs slirp4netns)`;
  }
  const info = await podman(["info", "--format", "{{.Host.OCIRuntime.Name}}"]);
  if (info.code !== 0) return `podman does not run: ${info.stderr.trim().split("\n").slice(-3).join(" / ")}`;
  return null;
}

/** Polls `probe` every `everyMs` until it returns a value other than undefined; throws after `timeoutMs`. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  everyMs = 500,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
