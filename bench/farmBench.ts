import { repoPath } from "../test/support/paths.js";
import { Mosquitto } from "../test/support/mosquitto.js";
import type { BridgeJob, BridgeResult } from "./farmChild.js";
import { formatTable, type BenchSection, type SummaryRow } from "./harness.js";
import { BenchChild, cpuNs, loadAverage, openFileLimit, until } from "./processProbe.js";

/**
 * One process keeping up with 2,000 simulated inverters polled once a second on one core: the real runtime
 * (Bridge.apply with a 1 s interval and 2,000 inverters) in its own process, the simulators in another
 * (farmChild.ts), so the bridge's CPU is measured alone (process.cpuUsage inside it; the farm's from /proc, to
 * see whether the farm was the bottleneck). Outputs: a counting output, then the real MQTT output to a real
 * mosquitto as well. Between them a reference (not judged): the same polls on node:http with the same parse, one
 * chained loop per inverter (pollLadder.ts `http-parse`), which shows what the runtime and node-fetch add.
 * Each: WARMUP_S after all inverters started, then MEASURE_S timed.
 */

const INVERTERS = 2000;
const INTERVAL_S = 1;
const WARMUP_S = 15;
const MEASURE_S = 20;
const KEEP_UP = 0.98;
/** The target: the share of the readings that reach mosquitto. */
const DELIVERED = 0.995;
/** Farm sizes of the MQTT runs (the first ones take the first urls of the farm). */
const MQTT_SIZES = [500, 1000, 2000];
const FARM_SCRIPT = repoPath("dist/bench/farmChild.js");
const BROKER_PASSWORD = "bench-farm-pw";

interface FarmRun {
  output: string;
  result: BridgeResult | null;
  farmCpuPercent: number;
  error: string | null;
}

async function runBridge(output: string, job: BridgeJob, farmPid: number): Promise<FarmRun> {
  const child = new BenchChild([FARM_SCRIPT, "bridge"], {}, "pipe");
  const marks: number[] = [];
  let result: BridgeResult | null = null;
  child.onLine((line, stream) => {
    if (stream !== "stdout") return;
    if (line === "window") marks.push(cpuNs(farmPid) ?? NaN, performance.now());
    else if (line.startsWith("{")) result = JSON.parse(line) as BridgeResult;
  });
  child.send(JSON.stringify(job));
  try {
    await Promise.race([
      child.exited,
      until(() => result ?? undefined, (WARMUP_S + MEASURE_S + 60) * 1000, `the ${output} bridge's result`),
    ]);
  } catch (error) {
    return {
      output,
      result: null,
      farmCpuPercent: NaN,
      error: error instanceof Error ? error.message : String(error),
    };
  } finally {
    await child.stop();
  }
  const [farmStart = NaN, startMs = NaN, farmEnd = NaN, endMs = NaN] = marks;
  const error = result === null ? `no result: ${child.stderrTail.slice(-3).join(" | ")}` : null;
  return { output, result, farmCpuPercent: (100 * (farmEnd - farmStart)) / 1e6 / (endMs - startMs), error };
}

export const farmBench: BenchSection = {
  name: "farm",
  async run({ log }) {
    // Sockets: the farm holds a listener and a connection per inverter, the bridge a connection per inverter.
    const limit = openFileLimit();
    const count = Math.min(INVERTERS, Math.floor((limit - 200) / 2));
    const loadBefore = loadAverage();
    const farm = new BenchChild([FARM_SCRIPT, "farm", String(count)], {});
    let urls: string[] | null = null;
    farm.onLine((line, stream) => {
      if (stream === "stdout" && line.startsWith("{")) urls = (JSON.parse(line) as { urls: string[] }).urls;
    });
    const runs: FarmRun[] = [];
    let broker: Mosquitto | null = null;
    try {
      const farmUrls = await until(() => urls ?? undefined, 120_000, `${count} simulators to start`);
      const job = {
        urls: farmUrls,
        intervalSeconds: INTERVAL_S,
        warmupSeconds: WARMUP_S,
        measureSeconds: MEASURE_S,
      };
      runs.push(await runBridge("counting", { ...job, mqtt: null, reference: null }, farm.pid));
      runs.push(
        await runBridge("ref: node:http+parse", { ...job, mqtt: null, reference: "http-parse" }, farm.pid),
      );
      broker = await Mosquitto.start({ bridge: BROKER_PASSWORD });
      const mqtt = { host: "127.0.0.1", port: broker.port, username: "bridge", password: BROKER_PASSWORD };
      for (const size of MQTT_SIZES.filter((n) => n <= count)) {
        const urls = farmUrls.slice(0, size);
        runs.push(await runBridge(`mqtt ${size}`, { ...job, urls, mqtt, reference: null }, farm.pid));
      }
    } finally {
      await farm.stop();
      await broker?.stop();
    }
    const loadAfter = loadAverage();

    const fixed = (value: number | undefined, digits: number) =>
      value !== undefined && Number.isFinite(value) ? value.toFixed(digits) : "-";
    const rows = runs.map(({ output, result: r, farmCpuPercent, error }) => {
      const perSecond = r ? r.readings / r.windowSeconds : NaN;
      const mqttShare = r?.mqtt ? r.mqtt.windowDelivered / r.mqtt.windowQueued : NaN;
      const readShare = r ? r.readings / r.expected : NaN;
      const cpuPercent = r ? (100 * r.cpuMs) / (r.windowSeconds * 1000) : NaN;
      // MQTT rows: the readings polled out of those due, times the messages acknowledged out of those queued. More
      // acknowledged than queued in the window is a backlog of the warm-up draining: it never makes up for readings
      // not polled, so the acknowledged share counts at most 1.
      const deliveredShare = r?.mqtt ? readShare * Math.min(1, mqttShare) : readShare;
      const keptUp =
        r !== null && (r.mqtt ? deliveredShare >= DELIVERED : r.readings >= KEEP_UP * r.expected);
      const oneCore = cpuPercent <= 100;
      return {
        output,
        deliveredShare,
        mqttShare,
        error,
        perSecond,
        expectedPerSecond: r ? r.expected / r.windowSeconds : NaN,
        cpuPercent,
        cpuPerPollUs: r ? (r.cpuMs * 1000) / r.readings : NaN,
        farmCpuPercent,
        keptUp,
        oneCore,
        pass: keptUp && oneCore,
        reference: output.startsWith("ref:"),
        result: r,
      };
    });
    log(
      `${count} simulated inverters (open files limit ${limit}) polled every ${INTERVAL_S} s by one bridge ` +
        `process, ${WARMUP_S} s warm-up, ${MEASURE_S} s timed; load average ${loadBefore} before, ${loadAfter} after`,
    );
    log(`Command: node --expose-gc dist/bench/run.js farm (bridge: node dist/bench/farmChild.js bridge)`);
    log("");
    const table = formatTable(
      [
        ...["output", "readings/s", "expected/s", "kept %", "acked %", "delivered %", "CPU % core"],
        ...["CPU us/poll", "late", "errors"],
        ...["gap p50 ms", "p99", "max", "loop p99 ms", "RSS steady MiB", "peak", "farm CPU %", "verdict"],
      ],
      rows.map((row) => [
        ...[row.output, fixed(row.perSecond, 0), fixed(row.expectedPerSecond, 0)],
        ...[fixed((100 * row.perSecond) / row.expectedPerSecond, 1), fixed(100 * row.mqttShare, 2)],
        ...[fixed(100 * row.deliveredShare, 2), fixed(row.cpuPercent, 0)],
        ...[fixed(row.cpuPerPollUs, 0), fixed(row.result?.latePolls, 0)],
        row.result ? `${row.result.errorEvents}/${row.result.failingAtEnd}` : "-",
        ...[fixed(row.result?.gapP50Ms, 0), fixed(row.result?.gapP99Ms, 0), fixed(row.result?.gapMaxMs, 0)],
        ...[
          fixed(row.result?.loopDelayP99Ms, 1),
          fixed(row.result?.rssSteadyMiB, 0),
          fixed(row.result?.rssPeakMiB, 0),
        ],
        ...[fixed(row.farmCpuPercent, 0), row.reference ? "-" : row.pass ? "PASS" : "FAIL"],
      ]),
    );
    for (const line of table) log(line);
    for (const row of rows) {
      if (row.error !== null) log(`  ${row.output}: ${row.error}`);
      const mqtt = row.result?.mqtt;
      if (mqtt)
        log(
          `  ${row.output}: MQTT acknowledged ${mqtt.windowDelivered} of ${mqtt.windowQueued} queued in the window; ` +
            `in all ${mqtt.delivered}, queued at the end ${mqtt.queued}, dropped ${mqtt.dropped}`,
        );
    }
    log("");
    log(
      "kept: readings polled of those due; acked: MQTT messages acknowledged by mosquitto of those queued in the",
    );
    log("window; delivered: kept x acked, acked at most 100 % (MQTT rows; the target is >= 99.5 %).");
    log(
      "late: a reading more than 1.5 intervals after the inverter's previous one; errors: state changes into a",
    );
    log(
      "failing state during the window / inverters failing at its end; gap: between two readings of one inverter.",
    );
    log(
      "Bridge.apply accepted the 1 s interval: nothing there enforces the 2 s minimum (schema and twin do).",
    );
    const judged = rows.filter((row) => !row.reference);
    const floorRow = rows.find((row) => row.reference);
    const allPass = judged.length > 0 && judged.every((row) => row.pass);
    log(
      `Budget (>= ${KEEP_UP * 100}% of ${count} readings/s within one core): ${allPass ? "PASS" : "FAIL"}` +
        (count < INVERTERS ? ` (only ${count} of ${INVERTERS}: raise ulimit -n)` : ""),
    );
    return {
      budget: { inverters: INVERTERS, intervalSeconds: INTERVAL_S, keepUp: KEEP_UP, cores: 1 },
      inverters: count,
      openFileLimit: limit,
      loadAverage: { before: loadBefore, after: loadAfter },
      allPass,
      runs: rows.map(({ result, ...row }) => ({ ...row, bridge: result })),
      summary: rows
        .filter((row) => !row.reference)
        .map((row): SummaryRow => ({
          figure: `farm ${row.result?.inverters ?? "?"} inverters at ${INTERVAL_S} s, ${row.output}: delivered, CPU`,
          value: `${fixed(100 * row.deliveredShare, 2)} %, ${fixed(row.cpuPercent, 0)} % core, ${fixed(row.cpuPerPollUs, 0)} us/poll`,
          target: row.result?.mqtt ? `>= ${DELIVERED * 100} %, 1 core` : `>= ${KEEP_UP * 100} %, 1 core`,
          floor: floorRow === undefined ? "-" : `${fixed(floorRow.cpuPerPollUs, 0)} us/poll (http+parse)`,
          ratio: floorRow === undefined ? "-" : `${fixed(row.cpuPerPollUs / floorRow.cpuPerPollUs, 2)}x`,
          verdict: row.pass ? "PASS" : "FAIL",
        })),
    };
  },
};
