import { arch, cpus, platform } from "node:os";
import type { BenchSection } from "./harness.js";
import { cycleBench } from "./cycleBench.js";
import { parseBench } from "./parseBench.js";

/**
 * `npm run bench` (node --expose-gc dist/bench/run.js): runs the bench sections in order. Add a section by
 * writing a module that exports a BenchSection and listing it here.
 *
 *   node --expose-gc dist/bench/run.js [--json] [section ...]
 *
 * `--json` prints one JSON document with every section's result instead of the tables; names select sections.
 */

const SECTIONS: readonly BenchSection[] = [parseBench, cycleBench];

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
  const selected = names.length === 0 ? SECTIONS : SECTIONS.filter((section) => names.includes(section.name));
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
  for (const section of selected) {
    log("");
    log(`== ${section.name} ==`);
    try {
      results[section.name] = await section.run({ log });
    } catch (error) {
      // One failing section (e.g. the shared captures missing) does not hide the others' results.
      failed = true;
      const message = error instanceof Error ? error.message : String(error);
      results[section.name] = { error: message };
      console.error(`bench section ${section.name} failed: ${message}`);
    }
  }
  if (json) console.log(JSON.stringify({ environment, sections: results }, null, 2));
  return failed ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
