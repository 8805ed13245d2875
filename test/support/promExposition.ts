/**
 * A strict reader of the Prometheus text format 0.0.4, for tests: it throws on anything a scraper could choke on
 * or misread (a sample before its TYPE, a family split in two, a bad escape, a duplicate series, histogram buckets
 * that are not cumulative or lack +Inf, a count that differs from the +Inf bucket).
 * https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format
 */

export interface ParsedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedFamily {
  type: string;
  help: string | null;
  samples: ParsedSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

export function parseExposition(text: string): Map<string, ParsedFamily> {
  if (!text.endsWith("\n")) throw new Error("the exposition must end with a line feed");
  const families = new Map<string, ParsedFamily>();
  const series = new Set<string>();
  let current: string | null = null;
  text
    .slice(0, -1)
    .split("\n")
    .forEach((line, index) => {
      const fail = (why: string) => {
        throw new Error(`line ${index + 1}: ${why}: ${line}`);
      };
      const meta = /^# (HELP|TYPE) ([^ ]+) (.*)$/.exec(line);
      if (meta !== null) {
        const [, kind, name, rest] = meta as unknown as [string, string, string, string];
        if (!NAME.test(name) || NAME.exec(name)![0] !== name) fail("bad metric name");
        const family = families.get(name) ?? { type: "untyped", help: null, samples: [] };
        if (family.samples.length > 0) fail(`${kind} after samples of ${name}`);
        if (kind === "TYPE") {
          if (!TYPES.has(rest)) fail("unknown type");
          if (families.has(name) && family.type !== "untyped") fail("second TYPE");
          family.type = rest;
        } else {
          if (family.help !== null) fail("second HELP");
          family.help = unescape(rest, false, fail);
        }
        families.set(name, family);
        current = name;
        return;
      }
      if (line.startsWith("#") || line.trim() === "") return;
      const sample = parseSample(line, fail);
      const family = familyOf(sample.name, families);
      if (family === null) return fail("sample without a TYPE");
      if (family.name !== current) fail(`samples of ${family.name} are not together`);
      const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
      if (series.has(key)) fail("duplicate series");
      series.add(key);
      family.family.samples.push(sample);
    });
  for (const [name, family] of families) if (family.type === "histogram") checkHistogram(name, family);
  return families;
}

/** The value of one series; throws when it is absent. */
export function sampleValue(
  families: Map<string, ParsedFamily>,
  name: string,
  labels: Record<string, string> = {},
): number {
  for (const family of families.values()) {
    const found = family.samples.find(
      (s) => s.name === name && JSON.stringify(sorted(s.labels)) === JSON.stringify(sorted(labels)),
    );
    if (found) return found.value;
  }
  throw new Error(`no series ${name}${JSON.stringify(labels)}`);
}

const sorted = (labels: Record<string, string>) => Object.entries(labels).sort();

function familyOf(sampleName: string, families: Map<string, ParsedFamily>) {
  const exact = families.get(sampleName);
  if (exact) return { name: sampleName, family: exact };
  const base = sampleName.replace(/_(bucket|sum|count)$/, "");
  const family = families.get(base);
  return family?.type === "histogram" || family?.type === "summary" ? { name: base, family } : null;
}

function parseSample(line: string, fail: (why: string) => never): ParsedSample {
  const name = NAME.exec(line)?.[0] ?? fail("no metric name");
  let rest = line.slice(name.length);
  const labels: Record<string, string> = {};
  if (rest.startsWith("{")) {
    rest = rest.slice(1);
    while (!rest.startsWith("}")) {
      const label = LABEL_NAME.exec(rest)?.[0] ?? fail("bad label name");
      rest = rest.slice(label.length);
      if (!rest.startsWith('="')) fail('label without ="');
      rest = rest.slice(2);
      let raw = "";
      while (!rest.startsWith('"')) {
        if (rest === "") fail("unterminated label value");
        const take = rest.startsWith("\\") ? 2 : 1;
        raw += rest.slice(0, take);
        rest = rest.slice(take);
      }
      if (label in labels) fail("repeated label");
      labels[label] = unescape(raw, true, fail);
      rest = rest.slice(1);
      if (rest.startsWith(",")) rest = rest.slice(1);
      else if (!rest.startsWith("}")) fail("labels not separated by a comma");
    }
    rest = rest.slice(1);
  }
  const parts = rest.split(" ");
  if (parts[0] !== "" || parts.length < 2 || parts.length > 3)
    fail("expected one space, a value, maybe a timestamp");
  return { name, labels, value: parseValue(parts[1]!, fail) };
}

function parseValue(text: string, fail: (why: string) => never): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) fail(`bad value ${text}`);
  return Number(text);
}

function unescape(text: string, quotes: boolean, fail: (why: string) => never): string {
  return text.replace(/\\(.?)/g, (_, next: string) => {
    if (next === "\\") return "\\";
    if (next === "n") return "\n";
    if (next === '"' && quotes) return '"';
    return fail(`bad escape \\${next}`);
  });
}

function checkHistogram(name: string, family: ParsedFamily): void {
  const byLabels = new Map<string, ParsedSample[]>();
  for (const sample of family.samples) {
    const key = JSON.stringify(sorted(sample.labels).filter(([label]) => label !== "le"));
    byLabels.set(key, [...(byLabels.get(key) ?? []), sample]);
  }
  for (const [labels, samples] of byLabels) {
    const fail = (why: string): never => {
      throw new Error(`histogram ${name}${labels}: ${why}`);
    };
    const buckets = samples.filter((s) => s.name === `${name}_bucket`);
    const bounds = buckets.map((s) => parseValue(s.labels.le ?? "", () => fail("bucket without le")));
    if (bounds.at(-1) !== Infinity) fail("no +Inf bucket last");
    bounds.forEach((bound, i) => i > 0 && bound <= bounds[i - 1]! && fail("bounds not ascending"));
    buckets.forEach((b, i) => i > 0 && b.value < buckets[i - 1]!.value && fail("buckets not cumulative"));
    const count = samples.find((s) => s.name === `${name}_count`) ?? fail("no _count");
    if (!samples.some((s) => s.name === `${name}_sum`)) fail("no _sum");
    if (count.value !== buckets.at(-1)!.value) fail("_count differs from the +Inf bucket");
  }
}
