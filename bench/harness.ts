/**
 * What a bench section is, and the timing helpers the sections share. A section prints its own human table
 * through `log` and returns its machine-readable result, which `run.ts --json` prints instead of the tables.
 */

export interface BenchContext {
  /** One line of the human-readable report; silent under `--json`. */
  readonly log: (line: string) => void;
}

export interface BenchSection {
  /** Short name, used in the JSON output and to select sections on the command line. */
  name: string;
  /** The section's machine-readable result, or a promise of it. */
  run(context: BenchContext): unknown;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export interface Timing {
  /** Median time of one call, in microseconds. */
  medianUs: number;
  /** Calls timed (after the warm-up). */
  calls: number;
  samples: number;
}

/**
 * Times `fn` after a warm-up: calls are timed in batches long enough for the clock (about 0.5 ms each), and the
 * median of the per-call times of all batches is reported, so GC pauses and outliers do not move it.
 */
export function measure(fn: () => void, options: { warmupMs: number; measureMs: number }): Timing {
  const warmupEnd = performance.now() + options.warmupMs;
  let warmupCalls = 0;
  const warmupStart = performance.now();
  do {
    fn();
    warmupCalls++;
  } while (performance.now() < warmupEnd);
  const estimateMs = (performance.now() - warmupStart) / warmupCalls;
  const batch = Math.max(1, Math.ceil(0.5 / Math.max(estimateMs, 1e-6)));

  const perCallUs: number[] = [];
  const end = performance.now() + options.measureMs;
  do {
    const start = performance.now();
    for (let i = 0; i < batch; i++) fn();
    perCallUs.push(((performance.now() - start) * 1000) / batch);
  } while (performance.now() < end || perCallUs.length < 5);
  return { medianUs: median(perCallUs), calls: perCallUs.length * batch, samples: perCallUs.length };
}

/** Resident set size and V8 heap in use after a full garbage collection, in MiB; null without `--expose-gc`. */
export function memoryAfterGcMiB(): { rss: number; heapUsed: number } | null {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) return null;
  gc();
  gc();
  const { rss, heapUsed } = process.memoryUsage();
  return { rss: rss / (1024 * 1024), heapUsed: heapUsed / (1024 * 1024) };
}

/** Formats rows as a table with aligned columns: text left, numbers right. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const numeric = header.map((_, column) => rows.every((row) => /^[-\d.,x%]*$/.test(row[column] ?? "")));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        numeric[column] ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
      )
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((width) => "-".repeat(width)).join("  "), ...rows.map(line)];
}

/** One row of the table `npm run bench` prints at the end: a figure, its target, the floor beside it. */
export interface SummaryRow {
  figure: string;
  /** The measured figure, with its spread where there is one (e.g. "2.61 (2.1 / 2.61 / 4.9)"). */
  value: string;
  target: string;
  /** The floor measured in the same run, or "-". */
  floor: string;
  /** value / floor, or "-". */
  ratio: string;
  /** PASS, FAIL, or "-" (a figure without a target). */
  verdict: string;
}

/** Min / median / max of `values` with `digits` decimals. */
export function spread(values: readonly number[], digits: number): string {
  if (values.length === 0) return "-";
  const fixed = (value: number) => value.toFixed(digits);
  return `${fixed(Math.min(...values))} / ${fixed(median(values))} / ${fixed(Math.max(...values))}`;
}
