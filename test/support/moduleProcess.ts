import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IMAGE_NODE_FLAGS } from "../../scripts/dockerfiles.js";
import { childEnv } from "./childEnv.js";
import { repoPath } from "./paths.js";

/**
 * The real kostal2mqtt process as the image runs it (`node <the image's flags> dist/.../main.js <args>`), its
 * output lines kept for assertions.
 */
export class ModuleProcess {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  private readonly child: ChildProcess;
  private readonly exited: Promise<number | null>;
  private waiters: Array<() => void> = [];

  constructor(args: string[], env: Record<string, string | undefined>) {
    // Each process gets its own data folder: persisted totals must not leak from one test into another.
    const dataDir = mkdtempSync(join(tmpdir(), "k2m-data-"));
    const main = repoPath("dist/modules/kostal2mqtt/src/main.js");
    this.child = spawn(process.execPath, [...IMAGE_NODE_FLAGS, main, ...args], {
      // The health server is off unless a test turns it on: a fixed default port must not tie tests together.
      env: childEnv({ KOSTAL_DATA_DIR: dataDir, HEALTH_PORT: "0", ...env }),
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.collect(this.child.stdout!, this.stdout);
    this.collect(this.child.stderr!, this.stderr);
    this.exited = new Promise((resolve) => this.child.on("exit", (code) => resolve(code)));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Resolves with the first line (stdout or stderr) matching `pattern`, seen so far or later. */
  async waitForLine(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = [...this.stdout, ...this.stderr].find((l) => pattern.test(l));
      if (line !== undefined) return line;
      if (Date.now() > deadline)
        throw new Error(`no line matching ${String(pattern)}; output:\n${this.output()}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  output(): string {
    return [...this.stderr, ...this.stdout].join("\n");
  }

  /** SIGTERM, then the exit code (SIGKILL after `timeoutMs`). */
  async stop(timeoutMs = 10_000): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  kill9(): Promise<number | null> {
    this.child.kill("SIGKILL");
    return this.exited;
  }

  private collect(stream: NodeJS.ReadableStream, lines: string[]): void {
    let rest = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop() ?? "";
      lines.push(...parts);
      const waiters = this.waiters;
      this.waiters = [];
      for (const wake of waiters) wake();
    });
  }
}
