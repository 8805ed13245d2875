import { formatTable, median, type BenchSection, type SummaryRow } from "./harness.js";
import { daytimeSimulator, OUTPUT_CONFIGS, OutputRig, type OutputConfig } from "./outputRigs.js";
import { BenchChild, imageCommand, loadAverage, MAIN_SCRIPT, NODE_VARIANTS, sleep } from "./processProbe.js";

/**
 * Time to the first reading: from spawning the real process (`node [flags] dist/.../main.js run`) to its first
 * reading published where a consumer sees it: the first stdout line (console), the first message on
 * `KOSTAL/<id>/state` at a subscriber of a real mosquitto (MQTT), the first telemetry recorded by the edgeHub
 * emulator (edgeHub); with both outputs, when it has reached both. "log" is when the process logged that it
 * starts (Node up, configuration read, outputs loaded). Runs are one after another, each with a fresh inverter
 * id (so no retained message or session of an earlier run counts), against one simulated PIKO 10.1.
 */

const RUNS = 5;
/** The image's flags (Dockerfile CMD): the variant the targets are for. */
const IMAGE_NODE = NODE_VARIANTS[1]!.name;
const BUDGET_MS = 1000;
const TIMEOUT_MS = 15_000;

interface Timing {
  firstMs: number | null;
  startedLogMs: number | null;
}

export interface FirstReadingResult {
  config: OutputConfig;
  node: string;
  runs: number;
  medianMs: number;
  minMs: number;
  maxMs: number;
  /** Median time to the "starting; outputs: ..." log line. */
  medianLogMs: number;
  failures: number;
  pass: boolean;
}

async function timeOne(
  rig: OutputRig,
  host: string,
  config: OutputConfig,
  flags: readonly string[],
  id: string,
): Promise<Timing> {
  const env = { ...rig.env(config, id), KOSTAL_HOST: host, KOSTAL_ID: id, SCRAPE_INTERVAL: "2" };
  const child = new BenchChild([...flags, MAIN_SCRIPT, "run"], env);
  rig.watch(id, child);
  let startedLogAt: number | null = null;
  child.onLine((line, stream) => {
    if (stream === "stderr" && startedLogAt === null && / starting; outputs: /.test(line))
      startedLogAt = performance.now();
  });
  try {
    const deadline = performance.now() + TIMEOUT_MS;
    while (rig.firstDeliveryAt(config, id) === undefined && child.running && performance.now() < deadline)
      await sleep(2);
    const first = rig.firstDeliveryAt(config, id);
    return {
      firstMs: first === undefined ? null : first - child.spawnedAt,
      startedLogMs: startedLogAt === null ? null : startedLogAt - child.spawnedAt,
    };
  } finally {
    await child.stop(3000);
  }
}

export const firstReadingBench: BenchSection = {
  name: "first",
  async run({ log }) {
    const loadBefore = loadAverage();
    const rig = await OutputRig.start(OUTPUT_CONFIGS);
    const { simulator, host } = await daytimeSimulator();
    const results: FirstReadingResult[] = [];
    try {
      for (const config of OUTPUT_CONFIGS) {
        // The image's flags, then (for comparison, not judged) the flags before issue 11, JIT on.
        for (const [variant, node] of NODE_VARIANTS.slice(1).entries()) {
          const timings: Timing[] = [];
          for (let run = 0; run < RUNS; run++) {
            const id = `first-${config.replace("+", "-")}-${variant}-${run}`;
            timings.push(await timeOne(rig, host, config, node.flags, id));
          }
          const times = timings.flatMap((timing) => (timing.firstMs === null ? [] : [timing.firstMs]));
          const logs = timings.flatMap((timing) =>
            timing.startedLogMs === null ? [] : [timing.startedLogMs],
          );
          const failures = RUNS - times.length;
          results.push({
            config,
            node: node.name,
            runs: RUNS,
            medianMs: median(times),
            minMs: Math.min(...times),
            maxMs: Math.max(...times),
            medianLogMs: median(logs),
            failures,
            pass: failures === 0 && median(times) <= BUDGET_MS,
          });
        }
      }
    } finally {
      await simulator.stop();
      await rig.stop();
    }
    const loadAfter = loadAverage();

    const fixed = (value: number) => (Number.isFinite(value) ? value.toFixed(0) : "-");
    log(
      `Spawn to first reading published, ${RUNS} runs each, one after another; load average ${loadBefore} ` +
        `before, ${loadAfter} after`,
    );
    log(`Command: node [flags] dist/modules/kostal2mqtt/src/main.js run; the image runs: ${imageCommand()}`);
    log("");
    const table = formatTable(
      ["output", "node", "runs", "median ms", "min", "max", "(log ms)", "failed", `<=${BUDGET_MS}ms`],
      results.map((result) => [
        ...[result.config, result.node, String(result.runs), fixed(result.medianMs)],
        ...[fixed(result.minMs), fixed(result.maxMs), fixed(result.medianLogMs), String(result.failures)],
        result.pass ? "PASS" : "FAIL",
      ]),
    );
    for (const line of table) log(line);
    log("");
    log("(log ms): to the 'starting; outputs: ...' line: Node started, configuration read, outputs loaded.");
    const allPass = results.filter((result) => result.node === IMAGE_NODE).every((result) => result.pass);
    log(`Budget (first reading within ${BUDGET_MS} ms of the start, median): ${allPass ? "PASS" : "FAIL"}`);
    const summary: SummaryRow[] = results
      .filter((result) => result.node === IMAGE_NODE)
      .map((result) => ({
        figure: `first reading after start, ${result.config} (ms; min / median / max of ${result.runs})`,
        value: `${fixed(result.medianMs)} (${fixed(result.minMs)} / ${fixed(result.medianMs)} / ${fixed(result.maxMs)})`,
        target: `<= ${BUDGET_MS} ms, every run`,
        floor: "-",
        ratio: "-",
        verdict: result.failures === 0 && result.maxMs <= BUDGET_MS ? "PASS" : "FAIL",
      }));
    return {
      summary,
      budgetMs: BUDGET_MS,
      imageCommand: imageCommand(),
      loadAverage: { before: loadBefore, after: loadAfter },
      allPass,
      results,
    };
  },
};
