import { spawn } from "node:child_process";
import { IMAGE_NODE_FLAGS } from "../scripts/dockerfiles.js";
import { formatTable, median, type BenchSection } from "./harness.js";
import { daytimeSimulator } from "./outputRigs.js";
import type { LadderLayer } from "./pollLadder.js";
import { loadAverage } from "./processProbe.js";
import { repoPath } from "../test/support/paths.js";

/**
 * The work of one poll, layer by layer and by V8 tier: each ladder layer (pollLadder.ts: node:http GET, node-fetch
 * GET, fetch + parse + reading + JSON) polled back to back in a child process of its own, against one simulated
 * PIKO 10.1 in this process, under the image's flags (interpreter only), with the baseline compiler (Sparkplug)
 * allowed, and with every tier (JIT). Back to back, a poll's cost is its work alone: the `cycle` section's CPU per
 * poll at a 2 s interval also holds the cost of waking an idle virtual CPU, which swings with the machine's load.
 * Variants alternate over three rounds; the median is printed. About 2 min: `node --expose-gc dist/bench/run.js work`.
 */

const POLLS = 1000;
const WARMUP = 200;
const ROUNDS = 3;
const LAYERS: readonly LadderLayer[] = ["http", "node-fetch", "fetch", "http-parse", "client"];
const VARIANTS: ReadonlyArray<{ name: string; flags: readonly string[] }> = [
  { name: "image (interpreter)", flags: IMAGE_NODE_FLAGS },
  { name: "image + Sparkplug", flags: IMAGE_NODE_FLAGS.filter((flag) => flag !== "--no-sparkplug") },
  {
    name: "JIT (semi=1, one thread)",
    flags: ["--max-semi-space-size=1", "--single-threaded", "--v8-pool-size=1"],
  },
];

function workOf(flags: readonly string[], layer: LadderLayer, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [
      ...flags,
      repoPath("dist/bench/workLoop.js"),
      layer,
      url,
      String(POLLS),
      String(WARMUP),
    ]);
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      const line = out.trim().split("\n").pop() ?? "";
      if (code === 0 && line.startsWith("{"))
        resolve((JSON.parse(line) as { cpuUsPerPoll: number }).cpuUsPerPoll);
      else reject(new Error(`workLoop ${layer} exited ${code}: ${err.slice(0, 300)}`));
    });
  });
}

export const workBench: BenchSection = {
  name: "work",
  async run({ log }) {
    const { simulator, host } = await daytimeSimulator("work");
    const url = `http://${host}/`;
    const samples = new Map<string, number[]>();
    const loadBefore = loadAverage();
    try {
      for (let round = 0; round < ROUNDS; round++)
        for (const layer of LAYERS)
          for (const variant of VARIANTS) {
            const key = `${layer}|${variant.name}`;
            samples.set(key, [...(samples.get(key) ?? []), await workOf(variant.flags, layer, url)]);
          }
    } finally {
      await simulator.stop();
    }
    const us = (layer: LadderLayer, variant: string) => median(samples.get(`${layer}|${variant}`) ?? []);
    const result = LAYERS.map((layer) => ({
      layer,
      cpuUsPerPoll: Object.fromEntries(VARIANTS.map((variant) => [variant.name, us(layer, variant.name)])),
    }));
    log(
      `Work of one poll, ${POLLS} polls back to back after ${WARMUP}, median of ${ROUNDS} rounds; load average ${loadBefore} before, ${loadAverage()} after`,
    );
    log("");
    const header = ["layer (pollLadder.ts)", ...VARIANTS.map((v) => `${v.name} us`), "over http (image)"];
    const httpUs = us("http", VARIANTS[0]!.name);
    const rows = LAYERS.map((layer) => [
      layer,
      ...VARIANTS.map((variant) => us(layer, variant.name).toFixed(0)),
      `${(us(layer, VARIANTS[0]!.name) / httpUs).toFixed(2)}x`,
    ]);
    for (const line of formatTable(header, rows)) log(line);
    log("");
    log(
      "CPU: process.cpuUsage (user + system) of the polling child only; the simulator runs in the bench process.",
    );
    return { polls: POLLS, rounds: ROUNDS, layers: result };
  },
};
