import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { formatTable, median, type BenchSection } from "./harness.js";
import { BenchChild, NODE_VARIANTS } from "./processProbe.js";
import { repoPath } from "../test/support/paths.js";

/**
 * What each package costs in resident memory when loaded alone: a fresh `node <the image's flags>` (IMAGE_NODE_FLAGS)
 * imports the modules named, runs two full GCs, waits, and reports VmRSS; the row minus bare Node is the package's
 * cost. Every row is the median of RUNS children. `BENCH_EXTRA_MODULES` (comma-separated paths) adds rows,
 * e.g. another version of a package installed elsewhere, to compare before changing a dependency.
 *
 *   node --expose-gc dist/bench/run.js load
 *   node --expose-gc <the image's flags> dist/bench/loadCost.js <module> [<module> ...]   (one child)
 */

const RUNS = 3;
const SETTLE_MS = 1500;

const product = (path: string) => pathToFileURL(repoPath(`dist/modules/kostal2mqtt/src/${path}`)).href;

const ROWS: ReadonlyArray<{ what: string; modules: string[] }> = [
  { what: "bare node (the floor of any process)", modules: [] },
  { what: "node:http", modules: ["node:http"] },
  { what: "node:http + node:net (the bench floor process)", modules: ["node:http", "node:net"] },
  { what: "node-fetch (the installed version)", modules: ["node-fetch"] },
  { what: "convict", modules: ["convict"] },
  { what: "suncalc", modules: ["suncalc"] },
  { what: "mqtt (MQTT.js, its index)", modules: ["mqtt"] },
  {
    what: "mqtt + what mqtt.connect() loads (every transport: ws, socks; the output before issue 11)",
    modules: ["mqtt", "mqtt/lib/connect/ws", "mqtt/lib/connect/tcp", "mqtt/lib/connect/tls"],
  },
  { what: "mqtt/lib/client (MQTT.js's client: what the MQTT output loads)", modules: ["mqtt/lib/client"] },
  {
    what: "azure-iot-device + azure-iot-device-mqtt",
    modules: ["azure-iot-device", "azure-iot-device-mqtt"],
  },
  {
    // Its parser alone, as piko/gridDom.ts loads it: cheerio's index also loads undici, which needs WebAssembly.
    what: "cheerio's load-parse (loaded only for pages the fast scanner does not follow)",
    modules: [pathToFileURL(repoPath("node_modules/cheerio/dist/commonjs/load-parse.js")).href],
  },
  { what: "product: the run command, no output loaded", modules: [product("cli/runCommand.js")] },
  {
    what: "product: run command + MQTT output (with MQTT.js's client, loaded at its start)",
    modules: [product("cli/runCommand.js"), product("outputs/mqtt/mqttOutput.js"), "mqtt/lib/client"],
  },
  {
    what: "product: run command + edgeHub composition",
    modules: [product("cli/runCommand.js"), product("cli/edgeComposition.js")],
  },
  {
    what: "product: run command + both",
    modules: [
      product("cli/runCommand.js"),
      product("outputs/mqtt/mqttOutput.js"),
      "mqtt/lib/client",
      product("cli/edgeComposition.js"),
    ],
  },
];

function extraRows(): Array<{ what: string; modules: string[] }> {
  const extra = process.env.BENCH_EXTRA_MODULES ?? "";
  return extra
    .split(",")
    .filter((path) => path !== "")
    .map((path) => ({ what: `extra: ${path}`, modules: [pathToFileURL(path).href] }));
}

async function childRss(modules: readonly string[]): Promise<number> {
  const child = new BenchChild(
    [...NODE_VARIANTS[1]!.flags, "--expose-gc", repoPath("dist/bench/loadCost.js"), ...modules],
    {},
  );
  let rss = Number.NaN;
  child.onLine((line, stream) => {
    if (stream === "stdout" && line.startsWith("rss ")) rss = Number(line.slice(4));
  });
  const code = await child.exited;
  if (code !== 0) throw new Error(`loading ${modules.join(" ")} failed: ${child.stderrTail.join(" | ")}`);
  return rss;
}

export const loadCostBench: BenchSection = {
  name: "load",
  async run({ log }) {
    const rows = [...ROWS, ...extraRows()];
    const results: Array<{ what: string; modules: string[]; rssMiB: number; overBareMiB: number }> = [];
    let bare = Number.NaN;
    for (const row of rows) {
      const samples: number[] = [];
      for (let i = 0; i < RUNS; i++) samples.push(await childRss(row.modules));
      const rssMiB = median(samples);
      if (row.modules.length === 0) bare = rssMiB;
      results.push({ ...row, rssMiB, overBareMiB: rssMiB - bare });
    }
    log(
      `Each row: a fresh node ${NODE_VARIANTS[1]!.flags.join(" ")} importing it alone, two GCs, VmRSS after`,
    );
    log(`${SETTLE_MS} ms; median of ${RUNS} processes.`);
    log("");
    const table = formatTable(
      ["loaded", "RSS MiB", "over bare node MiB"],
      results.map((r) => [r.what, r.rssMiB.toFixed(1), r.overBareMiB.toFixed(1)]),
    );
    for (const line of table) log(line);
    return { runs: RUNS, results };
  },
};

async function main(modules: readonly string[]): Promise<void> {
  for (const specifier of modules) await import(specifier);
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  gc?.();
  await new Promise((resolve) => setTimeout(resolve, 100));
  const status = readFileSync("/proc/self/status", "utf8");
  const kib = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
  process.stdout.write(`rss ${(kib / 1024).toFixed(2)}\n`);
  // Leave at once: a library that opened a handle on import would otherwise keep the child alive.
  process.exit(0);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main(process.argv.slice(2));
