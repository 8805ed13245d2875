/**
 * The Prometheus text exposition format 0.0.4, hand-written: prom-client costs 8.8 MiB of resident memory on
 * import (15.1.3, measured as bench/loadCost.ts does; README "Monitoring"), a sixth of the whole budget, for a
 * dozen series that this file writes in a few lines.
 * https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 */

export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  labels: Labels;
  value: number;
}

export interface HistogramSample {
  labels: Labels;
  /** Observations at or below each of the family's bounds (cumulative), in the bounds' order. */
  cumulative: readonly number[];
  sum: number;
  count: number;
}

export type MetricFamily =
  | { type: "counter" | "gauge"; name: string; help: string; samples: readonly Sample[] }
  | {
      type: "histogram";
      name: string;
      help: string;
      /** Upper bounds, ascending, without +Inf (added here). */
      bounds: readonly number[];
      samples: readonly HistogramSample[];
    };

/** Observations counted into cumulative buckets, the way a Prometheus histogram keeps them. */
export class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = bounds.map(() => 0);
  }

  observe(value: number): void {
    this.sum += value;
    this.count++;
    this.bounds.forEach((bound, index) => {
      if (value <= bound) this.counts[index]!++;
    });
  }

  sample(labels: Labels): HistogramSample {
    return { labels, cumulative: [...this.counts], sum: this.sum, count: this.count };
  }
}

/** The exposition of every family: HELP and TYPE before its samples, one family after the other. */
export function exposition(families: readonly MetricFamily[]): string {
  const lines: string[] = [];
  for (const family of families) {
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    if (family.type !== "histogram") {
      for (const { labels, value } of family.samples) lines.push(sampleLine(family.name, labels, value));
      continue;
    }
    for (const sample of family.samples) {
      family.bounds.forEach((bound, index) => {
        const labels = { ...sample.labels, le: formatNumber(bound) };
        lines.push(sampleLine(`${family.name}_bucket`, labels, sample.cumulative[index] ?? 0));
      });
      lines.push(sampleLine(`${family.name}_bucket`, { ...sample.labels, le: "+Inf" }, sample.count));
      lines.push(sampleLine(`${family.name}_sum`, sample.labels, sample.sum));
      lines.push(sampleLine(`${family.name}_count`, sample.labels, sample.count));
    }
  }
  return `${lines.join("\n")}\n`;
}

function sampleLine(name: string, labels: Labels, value: number): string {
  const pairs = Object.entries(labels).map(([key, text]) => `${key}="${escapeLabelValue(text)}"`);
  return `${name}${pairs.length > 0 ? `{${pairs.join(",")}}` : ""} ${formatNumber(value)}`;
}

/** Label values escape backslash, double quote and line feed. */
export function escapeLabelValue(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** HELP text escapes backslash and line feed. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}
