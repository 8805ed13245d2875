import { pathToFileURL } from "node:url";
import { ladderPoller, LADDER_LAYERS, type LadderLayer } from "./pollLadder.js";

/**
 * The child of the `work` section: one ladder layer's poll (pollLadder.ts) run back to back against the inverter
 * at `url`, so that what is measured is the work of a poll alone, without the wake-ups of a poll every 2 s (whose
 * cost on this virtual machine swings with how idle it is). Prints one JSON line: CPU microseconds per poll
 * (process.cpuUsage, user + system) over `count` polls after `warmup`.
 *
 *   node [flags] dist/bench/workLoop.js <layer> <inverter url> <count> <warmup>
 */

async function main([layer, url, count, warmup]: readonly string[]): Promise<void> {
  if (!LADDER_LAYERS.includes(layer as LadderLayer) || url === undefined)
    throw new Error("usage: workLoop.js <layer> <url> <count> <warmup>");
  const poll = ladderPoller(layer as LadderLayer, new URL(url));
  for (let i = 0; i < Number(warmup); i++) await poll();
  const before = process.cpuUsage();
  for (let i = 0; i < Number(count); i++) await poll();
  const used = process.cpuUsage(before);
  process.stdout.write(`${JSON.stringify({ cpuUsPerPoll: (used.user + used.system) / Number(count) })}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href)
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
