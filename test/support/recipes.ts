import { readFileSync } from "node:fs";
import { HEADER_FIELDS, measurementField, type Unit } from "../../modules/kostal2mqtt/src/reading/fields.js";
import { repoPath } from "./paths.js";

/**
 * Small readers for the consumer recipes under examples/ (issue 13), just enough to pull out the field names,
 * types and units each recipe relies on, so that recipes.test.ts can hold them against the field table. Each
 * reader says in its comment which text it understands; anything else in the files is left alone.
 */

export function readExample(path: string): string {
  return readFileSync(repoPath("examples", path), "utf8");
}

/** What the reading says about one of its keys: a header field's JSON type, or a measurement's unit. */
export type ReadingKey =
  { kind: "header"; type: "integer" | "string"; format?: string } | { kind: "measurement"; unit: Unit };

/** The field table's word on `key`, or undefined when the reading has no such key. */
export function readingKey(key: string): ReadingKey | undefined {
  const measurement = measurementField(key);
  if (measurement) return { kind: "measurement", unit: measurement.unit };
  const header = HEADER_FIELDS.find((field) => field.key === key);
  if (!header) return undefined;
  const schema = header.schema as { type: "integer" | "string"; format?: string };
  return { kind: "header", type: schema.type, ...(schema.format && { format: schema.format }) };
}

/**
 * TOML as Telegraf configurations write it, read line by line: a `[[table]]` or `[table]` header opens a block,
 * `key = value` lines (value: a "string", a number, true/false or a one-line ["array"]) fill it; `#` comments
 * and blank lines are skipped. Not a TOML parser: enough for telegraf.conf and the README's snippet.
 */
export interface TomlBlock {
  table: string;
  values: Record<string, string | number | boolean | string[]>;
}

const TOML_HEADER = /^\[\[?([A-Za-z0-9_.]+)\]\]?$/;
const TOML_PAIR = /^([A-Za-z0-9_]+)\s*=\s*(.+)$/;

export function tomlBlocks(text: string): TomlBlock[] {
  const blocks: TomlBlock[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const header = TOML_HEADER.exec(line);
    if (header) {
      blocks.push({ table: header[1]!, values: {} });
      continue;
    }
    const pair = TOML_PAIR.exec(line);
    if (!pair || blocks.length === 0) throw new Error(`not a TOML line this reader knows: ${line}`);
    blocks.at(-1)!.values[pair[1]!] = JSON.parse(pair[2]!) as string | number | boolean | string[];
  }
  return blocks;
}

/** The fenced code blocks of a markdown text whose info string is `info` (e.g. "toml", "sql routing"). */
export function codeBlocks(markdown: string, info: string): string[] {
  const blocks: string[] = [];
  const fence = /^```([^\n]*)\n([\s\S]*?)^```$/gm;
  for (const match of markdown.matchAll(fence)) if (match[1]!.trim() === info) blocks.push(match[2]!);
  return blocks;
}

/** The fields a Flux query selects: each `r._field == "<key>"` comparison. */
export function fluxFields(query: string): string[] {
  return [...query.matchAll(/r\._field == "([^"]+)"/g)].map((m) => m[1]!);
}

/**
 * An IoT Hub routing query (its SQL-like condition language): the application properties compared with a string
 * (`name = 'value'`, the name not starting with `$`) and the body fields (`$body.<key>`).
 */
export function routingQueryParts(query: string): {
  properties: Array<{ name: string; value: string }>;
  bodyFields: string[];
} {
  const properties = [...query.matchAll(/(?<![$.\w])([A-Za-z_][\w-]*)\s*(?:=|<>|!=)\s*'([^']*)'/g)].map(
    (m) => ({ name: m[1]!, value: m[2]! }),
  );
  const bodyFields = [...query.matchAll(/\$body\.([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
  return { properties, bodyFields };
}

/** `.create table T (Name: type, ...)` in KQL: each column with its type. */
export function kqlTableColumns(command: string): Array<{ column: string; type: string }> {
  const list = /\.create table \w+ \(([^)]*)\)/.exec(command)?.[1];
  if (list === undefined) throw new Error(`no .create table command: ${command}`);
  return list.split(",").map((pair) => {
    const [column, type] = pair.split(":").map((s) => s.trim());
    return { column: column!, type: type! };
  });
}

/** Grafana's unit ids for the units of the reading (Grafana's "Energy / Kilowatt-hour (kWh)" is `kwatth`). */
export const GRAFANA_UNITS: Readonly<Record<string, Unit>> = {
  watt: "W",
  kwatth: "kWh",
  volt: "V",
  amp: "A",
  hertz: "Hz",
};

/** A Node-RED node as flow.json holds it (the properties the test reads). */
export interface FlowNode {
  id: string;
  type: string;
  wires?: string[][];
  [property: string]: unknown;
}

/** The nodes `node` sends to, all outputs together. */
export function downstream(flow: FlowNode[], node: FlowNode): FlowNode[] {
  const ids = new Set((node.wires ?? []).flat());
  return flow.filter((other) => ids.has(other.id));
}
