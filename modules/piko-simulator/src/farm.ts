import type { ModelId } from "./models.js";
import { PikoSimulator, type PikoSimulatorOptions } from "./server.js";

/**
 * Many simulated inverters in one process, for load tests: each its own PikoSimulator on its own ephemeral
 * 127.0.0.1 port, all on one clock (required, as for one simulator). They share the page templates (built once
 * per model and language, see pageRenderer.ts), so an inverter costs one listening socket and its day curve
 * (about 16 KiB), not a page copy.
 * Each inverter gets its own name (`piko1`, `piko2`, ...) and seed, so their clouds differ.
 */

export interface FarmOptions extends Omit<PikoSimulatorOptions, "model" | "name" | "seed"> {
  count: number;
  /** Models handed out in turn (inverter i gets models[i % length]); default ["10.1"]. */
  models?: readonly ModelId[];
  /** Name prefix, letters and digits; inverter i is named `${namePrefix}${i + 1}`. Default "piko". */
  namePrefix?: string;
  /** Seed of the first inverter; the others count up from it. Default 1. */
  seed?: number;
}

export interface Farm {
  /** Base URLs, one per inverter, in order. */
  readonly urls: readonly string[];
  readonly simulators: readonly PikoSimulator[];
  /** Stops every inverter; resolves once all are closed. */
  stop(): Promise<void>;
}

/** Sockets to start at once: listening is quick, but thousands of simultaneous binds gain nothing. */
const START_BATCH = 200;

export async function startFarm(options: FarmOptions): Promise<Farm> {
  const { count, models = ["10.1"], namePrefix = "piko", seed = 1, ...shared } = options;
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(`farm count must be a whole number >= 1, got ${count}`);
  if (models.length === 0) throw new RangeError("farm models must name at least one model");
  const simulators = Array.from(
    { length: count },
    (_, i) =>
      new PikoSimulator({
        ...shared,
        model: models[i % models.length]!,
        name: `${namePrefix}${i + 1}`,
        seed: seed + i,
      }),
  );
  const stop = async () => {
    await Promise.all(simulators.map((simulator) => simulator.stop()));
  };
  const urls: string[] = [];
  for (let first = 0; first < count; first += START_BATCH) {
    const batch = simulators.slice(first, first + START_BATCH);
    // Settle the whole batch before giving up, so that no listener is left starting behind our back.
    const started = await Promise.allSettled(batch.map((simulator) => simulator.start(0)));
    const failedAt = started.findIndex((result) => result.status === "rejected");
    const failed = started[failedAt];
    if (failed?.status === "rejected") {
      await stop();
      throw new Error(`could not start inverter ${first + failedAt + 1} of ${count}`, {
        cause: failed.reason,
      });
    }
    for (const result of started) if (result.status === "fulfilled") urls.push(result.value);
  }
  return { urls, simulators, stop };
}
