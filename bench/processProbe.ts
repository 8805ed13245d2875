import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { AcceleratedClock, type Clock } from "../modules/piko-simulator/src/clock.js";
import { IMAGE_NODE_FLAGS } from "../scripts/dockerfiles.js";
import { childEnv } from "../test/support/childEnv.js";
import { repoPath } from "../test/support/paths.js";

/**
 * What the process sections measure from outside a child: its CPU time and resident memory from /proc (Linux),
 * and a child process with its output as lines. CPU comes from each thread's schedstat (nanoseconds, every thread:
 * main, libuv pool, V8 workers); utime+stime of /proc/<pid>/stat count only whole clock ticks (10 ms), too coarse
 * for a millisecond per poll, and are kept as a cross-check.
 */

export const MIB = 1024 * 1024;

/** The production command's script; the Dockerfiles run it as `node <IMAGE_NODE_FLAGS> <script> run`. */
export const MAIN_SCRIPT = repoPath("dist/modules/kostal2mqtt/src/main.js");

/**
 * Node flags of the variants measured: plain, what the images' CMD adds (scripts/dockerfiles.ts, the one source),
 * and the image's flags before issue 11 (the young generation only, JIT on).
 */
export const NODE_VARIANTS: ReadonlyArray<{ name: string; flags: readonly string[] }> = [
  { name: "plain", flags: [] },
  { name: "image", flags: IMAGE_NODE_FLAGS },
  { name: "semi=1, JIT", flags: ["--max-semi-space-size=1"] },
];

/** Simulated time running at real speed from noon on midsummer day, so every simulator is feeding. */
export function daytimeClock(): Clock {
  return new AcceleratedClock({ speed: 1, startMs: Date.parse("2024-06-21T12:00:00+01:00") });
}

export function loadAverage(): string {
  return loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");
}

let clockTicks: number | null = null;

function ticksPerSecond(): number {
  clockTicks ??= Number(spawnSync("getconf", ["CLK_TCK"]).stdout?.toString().trim()) || 100;
  return clockTicks;
}

/** CPU time of every thread of `pid`, ns; null once it is gone. */
export function cpuNs(pid: number): number | null {
  try {
    let total = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      try {
        total += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0]);
      } catch {
        // A thread that ended between the listing and the read: its time is gone with it.
      }
    }
    return total;
  } catch {
    return null;
  }
}

/** utime + stime of /proc/<pid>/stat in ms (whole clock ticks); null once it is gone. */
export function cpuTicksMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name, which may itself hold spaces: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond();
  } catch {
    return null;
  }
}

/** VmRSS and VmHWM (the peak since start) in MiB; null once the process is gone. */
export function memoryMiB(pid: number): { rss: number; hwm: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
    return { rss: kib("VmRSS") / 1024, hwm: kib("VmHWM") / 1024 };
  } catch {
    return null;
  }
}

/** The resident memory split: anonymous (heaps, young generation, malloc) and file-backed (the node binary's pages). */
export function residentSplitMiB(pid: number): { anon: number; file: number } | null {
  try {
    const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
    const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(rollup)?.[1] ?? NaN);
    return { anon: kib("Anonymous") / 1024, file: (kib("Rss") - kib("Anonymous")) / 1024 };
  } catch {
    return null;
  }
}

/** The soft limit of open files this process (and its children) live under. */
export function openFileLimit(): number {
  const line = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync("/proc/self/limits", "utf8"));
  return line?.[1] === undefined || line[1] === "unlimited" ? Infinity : Number(line[1]);
}

export interface CpuSnapshot {
  atMs: number;
  cpuNs: number;
  ticksMs: number;
}

export function cpuSnapshot(pid: number): CpuSnapshot | null {
  const ns = cpuNs(pid);
  const ticks = cpuTicksMs(pid);
  return ns === null || ticks === null ? null : { atMs: performance.now(), cpuNs: ns, ticksMs: ticks };
}

/**
 * A child node process with its stdout and stderr split into lines for listeners. `stop()` sends SIGTERM and
 * SIGKILLs after a grace period; it is safe to call twice.
 */
export class BenchChild {
  readonly spawnedAt = performance.now();
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private readonly listeners: Array<(line: string, stream: "stdout" | "stderr") => void> = [];
  readonly stderrTail: string[] = [];

  constructor(nodeArgs: readonly string[], env: Record<string, string>, stdin: "ignore" | "pipe" = "ignore") {
    this.child = spawn(process.execPath, [...nodeArgs], {
      env: childEnv(env),
      stdio: [stdin, "pipe", "pipe"],
    });
    this.exited = new Promise((resolve) => this.child.once("exit", (code) => resolve(code)));
    this.split(this.child.stdout!, "stdout");
    this.split(this.child.stderr!, "stderr");
    this.onLine((line, stream) => {
      if (stream !== "stderr") return;
      this.stderrTail.push(line);
      if (this.stderrTail.length > 20) this.stderrTail.shift();
    });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  onLine(listener: (line: string, stream: "stdout" | "stderr") => void): void {
    this.listeners.push(listener);
  }

  /** Writes to the child's stdin (spawned with stdin "pipe") and closes it. */
  send(text: string): void {
    this.child.stdin?.end(text);
  }

  async stop(graceMs = 5000): Promise<number | null> {
    if (!this.running) return this.child.exitCode;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  private split(stream: NodeJS.ReadableStream, name: "stdout" | "stderr"): void {
    let rest = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      const lines = (rest + chunk).split("\n");
      rest = lines.pop() ?? "";
      for (const line of lines) for (const listener of this.listeners) listener(line, name);
    });
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves with `check()`'s first defined value, polled every 20 ms; rejects after `timeoutMs`. */
export async function until<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

/** The node command line of the production image (the CMD of Dockerfile.amd64), e.g. `node --jitless ...`. */
export function imageCommand(): string {
  try {
    const dockerfile = readFileSync(repoPath("modules/kostal2mqtt/Dockerfile.amd64"), "utf8");
    const cmd = /^CMD\s+(\[.*\])\s*$/m.exec(dockerfile)?.[1];
    return cmd === undefined ? "unknown" : (JSON.parse(cmd) as string[]).join(" ");
  } catch (error) {
    return `unknown (${error instanceof Error ? error.message : String(error)})`;
  }
}
