import type { PikoSimulator } from "../modules/piko-simulator/src/index.js";
import { formatTable, median, type BenchSection } from "./harness.js";
import { daytimeSimulator, OUTPUT_CONFIGS, OutputRig, type OutputConfig } from "./outputRigs.js";
import {
  BenchChild,
  cpuSnapshot,
  imageCommand,
  loadAverage,
  MAIN_SCRIPT,
  memoryMiB,
  NODE_VARIANTS,
  type CpuSnapshot,
} from "./processProbe.js";

/**
 * CPU per poll cycle and steady RSS of the real process (`node dist/.../main.js run`, the production command),
 * SCRAPE_INTERVAL=2, against its own simulated PIKO 10.1, for every output configuration, plain and with the
 * image's `--max-semi-space-size=1`. The eight processes run side by side (each is idle >99 % of the time, so
 * they hardly compete on two cores); each is measured on its own from /proc. The window runs from 1 s after the
 * start of poll WARMUP_POLLS to 1 s after the start of poll WARMUP_POLLS + MEASURED_POLLS, so it holds exactly
 * MEASURED_POLLS poll cycles, with everything the process does between polls (timers, keepalives, GC) charged to
 * them. RSS is sampled every second: steady is the median of the window's second half, peak its maximum; VmHWM is
 * the peak since the start (module loading included).
 */

const SCRAPE_INTERVAL_S = 2;
const WARMUP_POLLS = 5;
const MEASURED_POLLS = 30;
/** After a poll starts, its work (fetch, parse, publish, acknowledgements) is over well within this. */
const SETTLE_MS = 1000;
const RSS_EVERY_MS = 1000;
const BUDGET_CPU_MS = 1;
const BUDGET_RSS_MIB = 60;

interface Run {
  config: OutputConfig;
  variant: string;
  id: string;
  child: BenchChild;
  simulator: PikoSimulator;
  polls: number;
  start: { cpu: CpuSnapshot; delivered: number } | null;
  end: { cpu: CpuSnapshot; delivered: number } | null;
  rss: Array<{ atMs: number; mib: number }>;
  hwmMiB: number;
  error: string | null;
}

export interface CycleResult {
  config: OutputConfig;
  node: string;
  polls: number;
  delivered: number;
  cpuPerPollMs: number;
  /** The same from utime+stime (10 ms ticks): a cross-check only. */
  cpuPerPollTicksMs: number;
  cpuPercentOfCore: number;
  rssSteadyMiB: number;
  rssPeakMiB: number;
  vmHwmMiB: number;
  cpuPass: boolean;
  rssPass: boolean;
  error: string | null;
}

function idOf(config: OutputConfig, variantIndex: number): string {
  return `cycle-${config.replace("+", "-")}-${variantIndex === 0 ? "plain" : "semi1"}`;
}

async function startRun(rig: OutputRig, config: OutputConfig, variantIndex: number): Promise<Run> {
  const variant = NODE_VARIANTS[variantIndex]!;
  const id = idOf(config, variantIndex);
  const { simulator, host } = await daytimeSimulator();
  const env = {
    ...rig.env(config, id),
    KOSTAL_HOST: host,
    KOSTAL_ID: id,
    SCRAPE_INTERVAL: String(SCRAPE_INTERVAL_S),
    LOG_LEVEL: "info",
  };
  const child = new BenchChild([...variant.flags, MAIN_SCRIPT, "run"], env);
  rig.watch(id, child);
  const run: Run = {
    ...{ config, variant: variant.name, id, child, simulator },
    ...{ polls: 0, start: null, end: null, rss: [], hwmMiB: Number.NaN, error: null },
  };
  const snapshot = () => {
    const cpu = cpuSnapshot(child.pid);
    if (cpu === null) run.error ??= "the process ended";
    return cpu === null ? null : { cpu, delivered: rig.delivered(config, id) };
  };
  simulator.on("exchange", (exchange) => {
    if (exchange.outcome !== "page") return;
    run.polls++;
    if (run.polls === WARMUP_POLLS) setTimeout(() => (run.start = snapshot()), SETTLE_MS);
    if (run.polls === WARMUP_POLLS + MEASURED_POLLS) {
      setTimeout(() => {
        run.end = snapshot();
        run.hwmMiB = memoryMiB(child.pid)?.hwm ?? Number.NaN;
      }, SETTLE_MS);
    }
  });
  void child.exited.then((code) => {
    if (run.end === null) run.error ??= `exited early (code ${code}): ${run.child.stderrTail.slice(-3).join(" | ")}`;
  });
  return run;
}

function summarise(run: Run): CycleResult {
  const { start, end } = run;
  const base = { config: run.config, node: run.variant, error: run.error };
  if (start === null || end === null) {
    return {
      ...base,
      ...{ polls: run.polls, delivered: 0, cpuPerPollMs: NaN, cpuPerPollTicksMs: NaN, cpuPercentOfCore: NaN },
      ...{ rssSteadyMiB: NaN, rssPeakMiB: NaN, vmHwmMiB: run.hwmMiB, cpuPass: false, rssPass: false },
    };
  }
  const window = run.rss.filter((sample) => sample.atMs >= start.cpu.atMs && sample.atMs <= end.cpu.atMs);
  const secondHalf = window.filter((sample) => sample.atMs >= (start.cpu.atMs + end.cpu.atMs) / 2);
  const cpuMs = (end.cpu.cpuNs - start.cpu.cpuNs) / 1e6;
  const rssSteadyMiB = median(secondHalf.map((sample) => sample.mib));
  return {
    ...base,
    polls: MEASURED_POLLS,
    delivered: end.delivered - start.delivered,
    cpuPerPollMs: cpuMs / MEASURED_POLLS,
    cpuPerPollTicksMs: (end.cpu.ticksMs - start.cpu.ticksMs) / MEASURED_POLLS,
    cpuPercentOfCore: (100 * cpuMs) / (end.cpu.atMs - start.cpu.atMs),
    rssSteadyMiB,
    rssPeakMiB: Math.max(...window.map((sample) => sample.mib)),
    vmHwmMiB: run.hwmMiB,
    cpuPass: cpuMs / MEASURED_POLLS <= BUDGET_CPU_MS,
    rssPass: rssSteadyMiB <= BUDGET_RSS_MIB,
  };
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
      for (const config of OUTPUT_CONFIGS)
        for (let variant = 0; variant < NODE_VARIANTS.length; variant++)
          runs.push(await startRun(rig, config, variant));
      const deadline = performance.now() + ((WARMUP_POLLS + MEASURED_POLLS) * SCRAPE_INTERVAL_S + 30) * 1000;
      while (runs.some((run) => run.end === null && run.error === null) && performance.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 200));
      for (const run of runs) if (run.end === null) run.error ??= `only ${run.polls} polls in time`;
    } finally {
      clearInterval(sampler);
      await Promise.all(runs.map((run) => run.child.stop()));
      await Promise.all(runs.map((run) => run.simulator.stop()));
      await rig.stop();
    }
    const results = runs.map(summarise);
    const loadAfter = loadAverage();

    const pass = (ok: boolean) => (ok ? "PASS" : "FAIL");
    const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : "-");
    log(
      `The real process, SCRAPE_INTERVAL=${SCRAPE_INTERVAL_S}, ${MEASURED_POLLS} polls timed after ${WARMUP_POLLS} ` +
        `of warm-up, all ${runs.length} side by side; load average ${loadBefore} before, ${loadAfter} after`,
    );
    log(`Command: node [flags] ${MAIN_SCRIPT.replace(`${process.cwd()}/`, "")} run; the image runs: ${imageCommand()}`);
    log("");
    const table = formatTable(
      [
        "output",
        "node",
        "polls",
        "delivered",
        "CPU ms/poll",
        "(ticks)",
        "CPU %",
        "RSS steady MiB",
        "RSS peak",
        "VmHWM",
        `CPU<=${BUDGET_CPU_MS}ms`,
        `RSS<=${BUDGET_RSS_MIB}MiB`,
      ],
      results.map((result) => [
        result.config,
        result.node,
        String(result.polls),
        String(result.delivered),
        fixed(result.cpuPerPollMs, 3),
        fixed(result.cpuPerPollTicksMs, 2),
        fixed(result.cpuPercentOfCore, 3),
        fixed(result.rssSteadyMiB, 1),
        fixed(result.rssPeakMiB, 1),
        fixed(result.vmHwmMiB, 1),
        pass(result.cpuPass),
        pass(result.rssPass),
      ]),
    );
    for (const line of table) log(line);
    for (const result of results)
      if (result.error !== null) log(`  ${result.config} ${result.node}: ${result.error}`);
    log("");
    log("CPU: every thread's schedstat (ns) over the window / polls; (ticks): utime+stime, 10 ms resolution");
    const allPass = results.every((result) => result.cpuPass && result.rssPass);
    log(`Budgets (<= ${BUDGET_CPU_MS} ms CPU per poll, <= ${BUDGET_RSS_MIB} MiB steady RSS): ${pass(allPass)}`);
    return {
      budgets: { cpuPerPollMs: BUDGET_CPU_MS, rssSteadyMiB: BUDGET_RSS_MIB },
      scrapeIntervalSeconds: SCRAPE_INTERVAL_S,
      imageCommand: imageCommand(),
      loadAverage: { before: loadBefore, after: loadAfter },
      allPass,
      runs: results,
    };
  },
};
