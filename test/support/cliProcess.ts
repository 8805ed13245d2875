import { execFile } from "node:child_process";
import { childEnv } from "./childEnv.js";
import { repoPath } from "./paths.js";

export interface CliResult {
  code: number | null;
  /** Non-empty lines. */
  stdout: string[];
  stderr: string;
}

/**
 * Runs `node bin/kostal2mqtt.js ...args` as a user does, without blocking this process (a simulator it talks to
 * may live here), with the test's environment (childEnv) plus `env`.
 */
export function runCliProcess(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [repoPath("bin/kostal2mqtt.js"), ...args],
      { env: childEnv(env), encoding: "utf8", timeout: 30_000 },
      (_error, stdout, stderr) =>
        resolve({
          code: child.exitCode,
          stdout: stdout.trim().split("\n").filter(Boolean),
          stderr: stderr.trim(),
        }),
    );
  });
}
