import type { PikoSimulator } from "../modules/piko-simulator/src/index.js";
import { IMAGE_NODE_FLAGS } from "../scripts/dockerfiles.js";
import { formatTable, median, type BenchSection } from "./harness.js";
import { daytimeSimulator, OutputRig } from "./outputRigs.js";
import { BenchChild, cpuNs, loadAverage, MAIN_SCRIPT, memoryMiB, residentSplitMiB } from "./processProbe.js";

/**
 * Launch flags and environment against the real process's memory and CPU: the product with the MQTT output,
 * SCRAPE_INTERVAL=2, once per variant, all side by side (each against its own simulated PIKO, one mosquitto).
 * Every variant is `--max-semi-space-size=1` (the image's flag before issue 11) plus what its row adds, and one row
 * is the image's flags as they are; steady RSS is the median of VmRSS over the second half of the window, CPU the
 * median over the window's polls (all threads' schedstat). Not part of the default run (about 2 min): `node --expose-gc dist/bench/run.js flags`. BENCHMARKS.md records what it found and why
 * the image keeps the flags it keeps.
 */

const SCRAPE_INTERVAL_S = 2;
const WARMUP_POLLS = 10;
const MEASURED_POLLS = 30;
const SETTLE_MS = 1000;

interface Variant {
  name: string;
  flags: readonly string[];
  env: Readonly<Record<string, string>>;
}

/** The image's flags before issue 11: every row adds to these (the image's current flags are a row of their own). */
const IMAGE = ["--max-semi-space-size=1"];

/** No background compile or GC tasks, and one V8 worker thread (each thread is a stack and a malloc arena). */
const QUIET_THREADS = ["--single-threaded", "--v8-pool-size=1"];

const VARIANTS: readonly Variant[] = [
  { name: "semi=1 (JIT)", flags: IMAGE, env: {} },
  { name: "+ MALLOC_ARENA_MAX=1", flags: IMAGE, env: { MALLOC_ARENA_MAX: "1" } },
  { name: "+ MALLOC_ARENA_MAX=2", flags: IMAGE, env: { MALLOC_ARENA_MAX: "2" } },
  { name: "+ --max-old-space-size=32", flags: [...IMAGE, "--max-old-space-size=32"], env: {} },
  { name: "+ --optimize-for-size", flags: [...IMAGE, "--optimize-for-size"], env: {} },
  { name: "+ --single-threaded-gc", flags: [...IMAGE, "--single-threaded-gc"], env: {} },
  { name: "+ --single-threaded", flags: [...IMAGE, "--single-threaded"], env: {} },
  { name: "+ --v8-pool-size=1", flags: [...IMAGE, "--v8-pool-size=1"], env: {} },
  { name: "+ --no-expose-wasm", flags: [...IMAGE, "--no-expose-wasm"], env: {} },
  { name: "+ --no-opt (no TurboFan)", flags: [...IMAGE, "--no-opt"], env: {} },
  { name: "+ --lite-mode", flags: [...IMAGE, "--lite-mode"], env: {} },
  { name: "+ --jitless", flags: [...IMAGE, "--jitless"], env: {} },
  { name: "+ --single-threaded --v8-pool-size=1", flags: [...IMAGE, ...QUIET_THREADS], env: {} },
  {
    name: "+ --no-opt --single-threaded --v8-pool-size=1",
    flags: [...IMAGE, "--no-opt", ...QUIET_THREADS],
    env: {},
  },
  {
    name: "+ --no-opt --no-sparkplug --single-threaded --v8-pool-size=1",
    flags: [...IMAGE, "--no-opt", "--no-sparkplug", ...QUIET_THREADS],
    env: {},
  },
  { name: "+ --jitless --single-threaded", flags: [...IMAGE, "--jitless", "--single-threaded"], env: {} },
  { name: "image (IMAGE_NODE_FLAGS)", flags: IMAGE_NODE_FLAGS, env: {} },
  {
    name: "+ --jitless --single-threaded --v8-pool-size=1",
    flags: [...IMAGE, "--jitless", ...QUIET_THREADS],
    env: {},
  },
  {
    name: "+ --jitless --single-threaded --v8-pool-size=1, MALLOC_ARENA_MAX=1",
    flags: [...IMAGE, "--jitless", ...QUIET_THREADS],
    env: { MALLOC_ARENA_MAX: "1" },
  },
  {
    name: "+ --lite-mode --single-threaded --v8-pool-size=1",
    flags: [...IMAGE, "--lite-mode", ...QUIET_THREADS],
    env: {},
  },
];

interface Run {
  variant: Variant;
  child: BenchChild;
  simulator: PikoSimulator;
  polls: number;
  /** All threads' CPU (ns) 1 s after each poll of the window. */
  cpu: number[];
  rss: number[];
  split: { anon: number; file: number } | null;
}

async function start(rig: OutputRig, variant: Variant, index: number): Promise<Run> {
  const { simulator, host } = await daytimeSimulator();
  const id = `flags-${index}`;
  const env = {
    ...rig.env("mqtt", id),
    ...variant.env,
    KOSTAL_HOST: host,
    KOSTAL_ID: id,
    SCRAPE_INTERVAL: String(SCRAPE_INTERVAL_S),
    LOG_LEVEL: "info",
  };
  const child = new BenchChild([...variant.flags, MAIN_SCRIPT, "run"], env);
  const run: Run = { variant, child, simulator, polls: 0, cpu: [], rss: [], split: null };
  simulator.on("exchange", (exchange) => {
    if (exchange.outcome !== "page") return;
    run.polls++;
    if (run.polls < WARMUP_POLLS || run.polls > WARMUP_POLLS + MEASURED_POLLS) return;
    setTimeout(() => {
      const ns = cpuNs(child.pid);
      if (ns !== null) run.cpu.push(ns);
      const memory = memoryMiB(child.pid);
      if (memory !== null && run.polls > WARMUP_POLLS + MEASURED_POLLS / 2) run.rss.push(memory.rss);
      if (run.polls === WARMUP_POLLS + MEASURED_POLLS) run.split = residentSplitMiB(child.pid);
    }, SETTLE_MS);
  });
  return run;
}

function row(run: Run): { name: string; cpuMs: number; rssMiB: number; anon: number; file: number } {
  const perPoll = run.cpu.slice(1).map((ns, i) => (ns - run.cpu[i]!) / 1e6);
  return {
    name: run.variant.name,
    cpuMs: median(perPoll),
    rssMiB: median(run.rss),
    anon: run.split?.anon ?? Number.NaN,
    file: run.split?.file ?? Number.NaN,
  };
}

export const flagsBench: BenchSection = {
  name: "flags",
  async run({ log }) {
    const loadBefore = loadAverage();
    const rig = await OutputRig.start(["mqtt"]);
    const runs: Run[] = [];
    try {
      for (const [index, variant] of VARIANTS.entries()) runs.push(await start(rig, variant, index));
      const deadline = performance.now() + ((WARMUP_POLLS + MEASURED_POLLS) * SCRAPE_INTERVAL_S + 30) * 1000;
      const done = (run: Run) => run.split !== null || !run.child.running;
      while (!runs.every(done) && performance.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 200));
    } finally {
      await Promise.all(runs.map((run) => run.child.stop()));
      await Promise.all(runs.map((run) => run.simulator.stop()));
      await rig.stop();
    }
    const rows = runs.map(row);
    const base = rows[0]!;
    log(
      `The real process, MQTT output, every ${SCRAPE_INTERVAL_S} s, ${MEASURED_POLLS} polls after ` +
        `${WARMUP_POLLS}, ${runs.length} processes side by side; load average ${loadBefore} before, ` +
        `${loadAverage()} after`,
    );
    log("");
    const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : "-");
    const table = formatTable(
      ["variant", "CPU ms/poll (median)", "x first", "RSS steady MiB", "vs first MiB", "anon", "file"],
      rows.map((r) => [
        r.name,
        fixed(r.cpuMs, 2),
        `${fixed(r.cpuMs / base.cpuMs, 2)}x`,
        fixed(r.rssMiB, 1),
        fixed(r.rssMiB - base.rssMiB, 1),
        fixed(r.anon, 1),
        fixed(r.file, 1),
      ]),
    );
    for (const line of table) log(line);
    for (const run of runs.filter((r) => r.split === null))
      log(
        `  ${run.variant.name}: unfinished after ${run.polls} polls: ${run.child.stderrTail.slice(-2).join(" | ")}`,
      );
    return { rows };
  },
};
