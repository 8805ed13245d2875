import type { PikoSimulator } from "../modules/piko-simulator/src/index.js";
import { repoPath } from "../test/support/paths.js";
import { formatTable, median, spread, type BenchSection, type SummaryRow } from "./harness.js";
import { daytimeSimulator, OUTPUT_CONFIGS, OutputRig, type OutputConfig } from "./outputRigs.js";
import type { LadderLayer } from "./pollLadder.js";
import {
  BenchChild,
  cpuSnapshot,
  imageCommand,
  loadAverage,
  MAIN_SCRIPT,
  memoryMiB,
  NODE_VARIANTS,
  residentSplitMiB,
  type CpuSnapshot,
} from "./processProbe.js";

/**
 * CPU per poll cycle and steady RSS of the real process (`node dist/.../main.js run`, the production command),
 * SCRAPE_INTERVAL=2, each against its own simulated PIKO 10.1, for every output configuration, with the image's
 * flags (and the MQTT one with the flags before issue 11, JIT on); beside them, in the same run, the reference
 * ladder of pollLadder.ts (what Node itself costs on this machine for a timer, an HTTP poll, node-fetch, fetch +
 * parse at the same interval).
 * The floor is the ladder's `floor` row: node:http GET, one indexOf, a raw MQTT publish to the same mosquitto.
 * CPU is sampled 1 s after every poll of the window, so each poll has its own figure (min / median / max shown).
 * After the window, each product process gets a SIGTERM on its own and the time to its exit is the stop figure.
 * All processes run side by side (each is idle >99 % of the time) and each is measured on its own from /proc.
 * The window runs from 1 s after the start of poll WARMUP_POLLS to 1 s after the start of poll
 * WARMUP_POLLS + MEASURED_POLLS: exactly MEASURED_POLLS cycles, with all the process does between polls
 * (timers, keepalives, GC) charged to them. RSS is sampled every second: steady is the median of the window's
 * second half, peak its maximum; VmHWM is the peak since the start (module loading included).
 */

const SCRAPE_INTERVAL_S = 2;
const WARMUP_POLLS = 15;
const MEASURED_POLLS = 50;
/** After a poll starts, its work (fetch, parse, publish, acknowledgements) is over well within this. */
const SETTLE_MS = 1000;
const RSS_EVERY_MS = 1000;
const BUDGET_CPU_MS = 1;
const BUDGET_RSS_MIB = 60;
/** The targets: RSS with the MQTT output alone, CPU per poll over the floor, time from SIGTERM to exit. */
const TARGET_RSS_MQTT_MIB = 56;
const TARGET_CPU_OVER_FLOOR = 1.5;
const TARGET_STOP_MS = 500;
/** The reference rows: Node waking on a timer, node:http GET, node-fetch GET, fetch + parse, and the floor. */
const LADDER: readonly LadderLayer[] = ["timer", "http", "fetch", "client", "floor"];
type NodeVariant = (typeof NODE_VARIANTS)[number];
/** The product runs with the image's flags (scripts/dockerfiles.ts); the JIT variant only for comparison. */
const PRODUCT_NODE = NODE_VARIANTS[1]!;
const JIT_NODE = NODE_VARIANTS[2]!;
const LADDER_SCRIPT = repoPath("dist/bench/pollLadder.js");

interface Run {
  /** `console`, `mqtt+edgehub`, ... or `ref: <layer>`. */
  what: string;
  node: string;
  reference: boolean;
  child: BenchChild;
  simulator: PikoSimulator;
  polls: number;
  start: { cpu: CpuSnapshot; delivered: number } | null;
  end: { cpu: CpuSnapshot; delivered: number } | null;
  /** CPU snapshots 1 s after each poll of the window: MEASURED_POLLS + 1 of them. */
  samples: CpuSnapshot[];
  /** ms from SIGTERM to exit; NaN until stopped. */
  stopMs: number;
  /** main.ts said "still running 2 s after the stop" (its fallback exit fired), with the handles it named. */
  fallback: string | null;
  rss: Array<{ atMs: number; mib: number }>;
  hwmMiB: number;
  split: { anon: number; file: number } | null;
  error: string | null;
}

export interface CycleResult {
  what: string;
  node: string;
  reference: boolean;
  polls: number;
  delivered: number;
  cpuPerPollMs: number;
  /** CPU of each poll of the window (ms). */
  perPollMs: number[];
  stopMs: number;
  fallback: string | null;
  /** The same from utime+stime (10 ms ticks): a cross-check only. */
  cpuPerPollTicksMs: number;
  cpuPercentOfCore: number;
  rssSteadyMiB: number;
  rssPeakMiB: number;
  vmHwmMiB: number;
  /** Anonymous and file-backed resident memory at the end of the window. */
  anonMiB: number;
  fileMiB: number;
  cpuPass: boolean;
  rssPass: boolean;
  error: string | null;
}

/** Counts a poll (cycle) of `run`; takes the window's CPU snapshots after poll WARMUP and WARMUP + MEASURED. */
function countPoll(run: Run, delivered: () => number): void {
  run.polls++;
  const snapshot = () => {
    const cpu = cpuSnapshot(run.child.pid);
    if (cpu === null) run.error ??= "the process ended";
    return cpu === null ? null : { cpu, delivered: delivered() };
  };
  if (run.polls >= WARMUP_POLLS && run.polls <= WARMUP_POLLS + MEASURED_POLLS) {
    setTimeout(() => {
      const cpu = cpuSnapshot(run.child.pid);
      if (cpu !== null) run.samples.push(cpu);
    }, SETTLE_MS);
  }
  if (run.polls === WARMUP_POLLS) setTimeout(() => (run.start = snapshot()), SETTLE_MS);
  if (run.polls === WARMUP_POLLS + MEASURED_POLLS) {
    setTimeout(() => {
      run.end = snapshot();
      run.hwmMiB = memoryMiB(run.child.pid)?.hwm ?? Number.NaN;
      run.split = residentSplitMiB(run.child.pid);
    }, SETTLE_MS);
  }
}

async function startRun(
  what: string,
  node: { name: string; flags: readonly string[] },
  launch: (host: string) => { args: string[]; env: Record<string, string> },
  reference: boolean,
  delivered: (child: BenchChild) => () => number,
): Promise<Run> {
  const { simulator, host } = await daytimeSimulator();
  const { args, env } = launch(host);
  const child = new BenchChild([...node.flags, ...args], env);
  const run: Run = {
    what,
    node: node.name,
    reference,
    child,
    simulator,
    polls: 0,
    start: null,
    end: null,
    samples: [],
    stopMs: Number.NaN,
    fallback: null,
    rss: [],
    hwmMiB: Number.NaN,
    split: null,
    error: null,
  };
  const count = delivered(child);
  child.onLine((line, stream) => {
    if (stream === "stderr" && line.includes("still running")) run.fallback = line.slice(0, 300);
  });
  // The timer reference polls nothing: its cycles are its output lines. Everything else: pages served.
  if (what === "ref: timer") child.onLine((line, stream) => stream === "stdout" && countPoll(run, count));
  else simulator.on("exchange", (exchange) => exchange.outcome === "page" && countPoll(run, count));
  void child.exited.then((code) => {
    if (run.end === null)
      run.error ??= `exited early (code ${code}): ${child.stderrTail.slice(-3).join(" | ")}`;
  });
  return run;
}

function summarise(run: Run): CycleResult {
  const { start, end } = run;
  const cpuMs = start && end ? (end.cpu.cpuNs - start.cpu.cpuNs) / 1e6 : NaN;
  const from = start?.cpu.atMs ?? NaN;
  const to = end?.cpu.atMs ?? NaN;
  const window = run.rss.filter((sample) => sample.atMs >= from && sample.atMs <= to);
  const rssSteadyMiB = median(window.filter((sample) => sample.atMs >= (from + to) / 2).map((s) => s.mib));
  return {
    what: run.what,
    node: run.node,
    reference: run.reference,
    polls: start && end ? MEASURED_POLLS : 0,
    delivered: start && end ? end.delivered - start.delivered : 0,
    cpuPerPollMs: cpuMs / MEASURED_POLLS,
    perPollMs: run.samples.slice(1).map((sample, i) => (sample.cpuNs - run.samples[i]!.cpuNs) / 1e6),
    stopMs: run.stopMs,
    fallback: run.fallback,
    cpuPerPollTicksMs: start && end ? (end.cpu.ticksMs - start.cpu.ticksMs) / MEASURED_POLLS : NaN,
    cpuPercentOfCore: (100 * cpuMs) / (to - from),
    rssSteadyMiB,
    rssPeakMiB: window.length > 0 ? Math.max(...window.map((sample) => sample.mib)) : NaN,
    vmHwmMiB: run.hwmMiB,
    anonMiB: run.split?.anon ?? NaN,
    fileMiB: run.split?.file ?? NaN,
    cpuPass: cpuMs / MEASURED_POLLS <= BUDGET_CPU_MS,
    rssPass: rssSteadyMiB <= (run.what === "mqtt" ? TARGET_RSS_MQTT_MIB : BUDGET_RSS_MIB),
    error: run.error,
  };
}

/** Starts every run, adding each to `runs` at once so that a failure part way still stops those started. */
async function startAll(rig: OutputRig, runs: Run[]): Promise<void> {
  const product = (config: OutputConfig, node: NodeVariant, what: string, reference: boolean) => {
    const id = `cycle-${what.replace(/\W+/g, "-")}`;
    const launch = (host: string) => ({
      args: [MAIN_SCRIPT, "run"],
      env: {
        ...rig.env(config, id),
        KOSTAL_HOST: host,
        KOSTAL_ID: id,
        SCRAPE_INTERVAL: String(SCRAPE_INTERVAL_S),
        LOG_LEVEL: "info",
      },
    });
    const delivered = (child: BenchChild) => {
      rig.watch(id, child);
      return () => rig.delivered(config, id);
    };
    return startRun(what, node, launch, reference, delivered);
  };
  const ladder = (layer: LadderLayer, node: NodeVariant) => {
    const launch = (host: string) => ({
      args: [LADDER_SCRIPT, layer, host, String(SCRAPE_INTERVAL_S * 1000)],
      env: layer === "floor" ? rig.floorEnv() : {},
    });
    const delivered = (child: BenchChild) => {
      let lines = 0;
      child.onLine((_line, stream) => stream === "stdout" && lines++);
      return () => lines;
    };
    return startRun(`ref: ${layer}`, node, launch, true, delivered);
  };
  for (const config of OUTPUT_CONFIGS) runs.push(await product(config, PRODUCT_NODE, config, false));
  // The references run with the image's flags too, so that the floor's RSS and CPU are comparable.
  for (const layer of LADDER) runs.push(await ladder(layer, PRODUCT_NODE));
  // Before issue 11's flags (JIT on): the MQTT process and the floor, in the same run, to show what the flags do.
  runs.push(await product("mqtt", JIT_NODE, "ref: mqtt", true));
  runs.push(await ladder("floor", JIT_NODE));
}

function report(results: readonly CycleResult[], log: (line: string) => void): void {
  const verdict = (result: CycleResult, ok: boolean) => (result.reference ? "-" : ok ? "PASS" : "FAIL");
  const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : "-");
  const table = formatTable(
    [
      ...["output", "node", "polls", "delivered", "CPU ms/poll", "min / median / max", "(ticks)", "CPU %"],
      ...[
        "RSS steady MiB",
        "peak",
        "VmHWM",
        "anon",
        "file",
        `CPU<=${BUDGET_CPU_MS}ms`,
        `RSS<=${TARGET_RSS_MQTT_MIB}/${BUDGET_RSS_MIB}MiB`,
        "stop ms",
      ],
    ],
    results.map((result) => [
      ...[result.what, result.node, String(result.polls), String(result.delivered)],
      ...[
        fixed(result.cpuPerPollMs, 2),
        spread(result.perPollMs, 2),
        fixed(result.cpuPerPollTicksMs, 1),
        fixed(result.cpuPercentOfCore, 3),
      ],
      ...[fixed(result.rssSteadyMiB, 1), fixed(result.rssPeakMiB, 1), fixed(result.vmHwmMiB, 1)],
      ...[fixed(result.anonMiB, 1), fixed(result.fileMiB, 1)],
      ...[verdict(result, result.cpuPass), verdict(result, result.rssPass)],
      result.reference ? "-" : fixed(result.stopMs, 0),
    ]),
  );
  for (const line of table) log(line);
  for (const result of results) {
    if (result.error !== null) log(`  ${result.what} ${result.node}: ${result.error}`);
    if (result.fallback !== null) log(`  ${result.what}: ${result.fallback}`);
  }
}

/** The rows of the final table: CPU per poll over the floor, RSS and stop time, per output mode. */
function summaryRows(results: readonly CycleResult[]): SummaryRow[] {
  const floor = results.find((result) => result.what === "ref: floor" && result.node === PRODUCT_NODE.name);
  const floorCpu = floor === undefined ? NaN : median(floor.perPollMs);
  const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : "-");
  const rows: SummaryRow[] = [];
  const verdict = (ok: boolean) => (ok ? "PASS" : "FAIL");
  for (const result of results.filter((r) => !r.reference)) {
    const cpu = median(result.perPollMs);
    const ratio = cpu / floorCpu;
    rows.push({
      figure: `CPU per poll, ${result.what} (ms, median; min / median / max over ${result.perPollMs.length})`,
      value: `${fixed(cpu, 2)} (${spread(result.perPollMs, 2)})`,
      target: `<= ${TARGET_CPU_OVER_FLOOR}x floor`,
      floor: floor === undefined ? "-" : `${fixed(floorCpu, 2)} (${spread(floor.perPollMs, 2)})`,
      ratio: `${fixed(ratio, 2)}x`,
      verdict: result.what === "console" ? "-" : verdict(ratio <= TARGET_CPU_OVER_FLOOR),
    });
  }
  for (const result of results.filter((r) => !r.reference)) {
    const target = result.what === "mqtt" ? TARGET_RSS_MQTT_MIB : BUDGET_RSS_MIB;
    rows.push({
      figure: `steady RSS, ${result.what} (MiB, ${result.node})`,
      value: fixed(result.rssSteadyMiB, 1),
      target: result.what === "console" ? "-" : `<= ${target} MiB`,
      floor: floor === undefined ? "-" : fixed(floor.rssSteadyMiB, 1),
      ratio: floor === undefined ? "-" : `+${fixed(result.rssSteadyMiB - floor.rssSteadyMiB, 1)} MiB`,
      verdict: result.what === "console" ? "-" : verdict(result.rssSteadyMiB <= target),
    });
  }
  for (const result of results.filter((r) => !r.reference)) {
    rows.push({
      figure: `SIGTERM to exit, ${result.what} (ms)${result.fallback === null ? "" : ", fallback fired"}`,
      value: fixed(result.stopMs, 0),
      target: `<= ${TARGET_STOP_MS} ms`,
      floor: "-",
      ratio: "-",
      verdict: verdict(result.stopMs <= TARGET_STOP_MS && result.fallback === null),
    });
  }
  return rows;
}

export const cycleBench: BenchSection = {
  name: "cycle",
  async run({ log }) {
    const loadBefore = loadAverage();
    const rig = await OutputRig.start(OUTPUT_CONFIGS);
    const runs: Run[] = [];
    const sampler = setInterval(() => {
      for (const run of runs) {
        const memory = run.child.running ? memoryMiB(run.child.pid) : null;
        if (memory !== null) run.rss.push({ atMs: performance.now(), mib: memory.rss });
      }
    }, RSS_EVERY_MS);
    try {
      await startAll(rig, runs);
      const deadline = performance.now() + ((WARMUP_POLLS + MEASURED_POLLS) * SCRAPE_INTERVAL_S + 30) * 1000;
      while (runs.some((run) => run.end === null && run.error === null) && performance.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 200));
      for (const run of runs) if (run.end === null) run.error ??= `only ${run.polls} polls in time`;
      // The stop figure: each product process on its own, so that they do not slow one another down.
      for (const run of runs.filter((r) => !r.reference && r.child.running)) {
        const startedAt = performance.now();
        await run.child.stop();
        run.stopMs = performance.now() - startedAt;
        await new Promise((resolve) => setTimeout(resolve, 100)); // its last stderr lines
      }
    } finally {
      clearInterval(sampler);
      await Promise.all(runs.map((run) => run.child.stop()));
      await Promise.all(runs.map((run) => run.simulator.stop()));
      await rig.stop();
    }
    const results = runs.map(summarise);
    const loadAfter = loadAverage();

    log(
      `The real process and the reference ladder, every ${SCRAPE_INTERVAL_S} s, ${MEASURED_POLLS} polls timed ` +
        `after ${WARMUP_POLLS}, ${runs.length} processes side by side; load average ${loadBefore} before, ` +
        `${loadAfter} after`,
    );
    log(`Command: node [flags] dist/modules/kostal2mqtt/src/main.js run; the image runs: ${imageCommand()}`);
    log("");
    report(results, log);
    log("");
    log("CPU: all threads' schedstat (ns) over the window / polls; (ticks): utime+stime, 10 ms resolution.");
    log(
      "ref: pollLadder.ts: timer; node:http GET; node-fetch GET (fetchStatusPage); + parse + JSON (InverterClient);" +
        " floor: node:http GET + indexOf + raw MQTT QoS 0 PUBLISH.",
    );
    const judged = results.filter((result) => !result.reference);
    const allPass = judged.every((result) => result.cpuPass && result.rssPass);
    const pass = (ok: boolean) => (ok ? "PASS" : "FAIL");
    log(
      `Budgets (<= ${BUDGET_CPU_MS} ms CPU per poll: ${pass(judged.every((r) => r.cpuPass))}; ` +
        `<= ${BUDGET_RSS_MIB} MiB steady RSS: ${pass(judged.every((r) => r.rssPass))}): ${pass(allPass)}`,
    );
    return {
      budgets: { cpuPerPollMs: BUDGET_CPU_MS, rssSteadyMiB: BUDGET_RSS_MIB },
      scrapeIntervalSeconds: SCRAPE_INTERVAL_S,
      imageCommand: imageCommand(),
      loadAverage: { before: loadBefore, after: loadAfter },
      allPass,
      runs: results,
      summary: summaryRows(results),
    };
  },
};
