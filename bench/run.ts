import { arch, cpus, platform } from "node:os";
import { formatTable, type BenchSection, type SummaryRow } from "./harness.js";

/**
 * `npm run bench` (node --expose-gc dist/bench/run.js): runs the bench sections in order. Add a section by
 * writing a module that exports a BenchSection and listing it here. Sections are imported when they run, so
 * that one section's dependencies (MQTT.js, the edgeHub emulator) do not weigh on another's memory figures.
 *
 *   node --expose-gc dist/bench/run.js [--json] [section ...]
 *
 * `--json` prints one JSON document with every section's result instead of the tables; names select sections:
 *   parse  parse time per page (parseBench.ts)                       about 15 s
 *   cycle  CPU per poll cycle and steady RSS of the real process      about 2 min (cycleBench.ts)
 *   first  time from start to the first reading published            about 1 min (firstReadingBench.ts)
 *   farm   2,000 simulated inverters polled once a second            about 1.5 min (farmBench.ts)
 *   load   resident memory of each package loaded alone (loadCost.ts)  about 1 min
 *   work   the work of one poll by layer and V8 tier, polls back to back (workBench.ts)  about 2 min
 *   flags  launch flags and environment against RSS and CPU (flagsBench.ts)  about 1.5 min; only when named
 */

const SECTIONS: ReadonlyArray<{ name: string; load: () => Promise<BenchSection>; onlyWhenNamed?: true }> = [
  { name: "parse", load: async () => (await import("./parseBench.js")).parseBench },
  { name: "cycle", load: async () => (await import("./cycleBench.js")).cycleBench },
  { name: "first", load: async () => (await import("./firstReadingBench.js")).firstReadingBench },
  { name: "farm", load: async () => (await import("./farmBench.js")).farmBench },
  { name: "load", load: async () => (await import("./loadCost.js")).loadCostBench },
  { name: "work", load: async () => (await import("./workBench.js")).workBench },
  { name: "flags", load: async () => (await import("./flagsBench.js")).flagsBench, onlyWhenNamed: true },
];

async function main(args: readonly string[]): Promise<number> {
  const json = args.includes("--json");
  const names = args.filter((arg) => !arg.startsWith("--"));
  const unknown = names.filter((name) => !SECTIONS.some((section) => section.name === name));
  if (unknown.length > 0) {
    console.error(
      `unknown bench section(s): ${unknown.join(", ")}; known: ${SECTIONS.map((s) => s.name).join(", ")}`,
    );
    return 2;
  }
  const selected =
    names.length === 0
      ? SECTIONS.filter((section) => section.onlyWhenNamed !== true)
      : SECTIONS.filter((section) => names.includes(section.name));
  const log = json ? () => {} : (line: string) => console.log(line);
  const environment = {
    node: process.version,
    platform: `${platform()} ${arch()}`,
    cpu: cpus()[0]?.model ?? "unknown",
    cores: cpus().length,
  };
  log(
    `kostal2mqtt bench: node ${environment.node}, ${environment.platform}, ${environment.cores} x ${environment.cpu}`,
  );

  let failed = false;
  const results: Record<string, unknown> = {};
  for (const { name, load } of selected) {
    log("");
    log(`== ${name} ==`);
    try {
      results[name] = await (await load()).run({ log });
    } catch (error) {
      // One failing section (e.g. the shared captures missing) does not hide the others' results.
      failed = true;
      const message = error instanceof Error ? error.message : String(error);
      results[name] = { error: message };
      console.error(`bench section ${name} failed: ${message}`);
    }
  }
  const summary = Object.values(results).flatMap(
    (result) => (result as { summary?: SummaryRow[] } | null)?.summary ?? [],
  );
  if (summary.length > 0) {
    log("");
    log(`== summary (${new Date().toISOString()}) ==`);
    const table = formatTable(
      ["figure", "measured", "target", "floor (same run)", "ratio", "verdict"],
      summary.map((row) => [row.figure, row.value, row.target, row.floor, row.ratio, row.verdict]),
    );
    for (const line of table) log(line);
  }
  if (json) console.log(JSON.stringify({ environment, sections: results }, null, 2));
  return failed ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
