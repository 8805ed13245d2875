import { HEADER_FIELDS, MEASUREMENT_FIELDS, type MeasurementField } from "./fields.js";

/**
 * The README's two tables of "The reading", generated from the field table so that the documentation cannot drift
 * from what is sent; test/unit/fieldTable.test.ts fails (and prints the table) when README.md differs. The text is
 * laid out as Prettier lays out a Markdown table, so that `prettier --check` passes on the pasted table.
 */

/** A table as Prettier writes it: every column padded to its widest cell, the rule of dashes as wide. */
function markdownTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(header), line(widths.map((width) => "-".repeat(width))), ...rows.map(line)].join("\n");
}

/** Descriptions start a sentence; a table cell reads on from its field name (an acronym keeps its capitals). */
function lowerFirst(text: string): string {
  return /^[A-Z][a-z]/.test(text) ? text[0]!.toLowerCase() + text.slice(1) : text;
}

const code = (text: string | number) => `\`${text}\``;

/** The header table: field, JSON type, meaning (a status's possible values listed). */
export function headerTableMarkdown(): string {
  const rows = HEADER_FIELDS.map((field) => {
    const values =
      field.schema.type === "string" && "enum" in field.schema
        ? `: ${field.schema.enum.map(code).join(", ")}`
        : "";
    return [code(field.key), field.schema.type, lowerFirst(field.description) + values];
  });
  return markdownTable(["field", "type", "meaning"], rows);
}

/** The measurement table: one row per table entry, the slots of a DC string or AC phase field on one row. */
export function fieldTableMarkdown(): string {
  const families = new Map<string, MeasurementField[]>();
  for (const field of MEASUREMENT_FIELDS) {
    families.set(field.family.key, [...(families.get(field.family.key) ?? []), field]);
  }
  const rows = [...families.values()].map((fields) => {
    const first = fields[0]!;
    const { deviceClass, stateClass } = first.homeAssistant;
    return [
      fields.map((f) => code(f.key)).join(", "),
      first.unit,
      lowerFirst(first.family.description),
      // Home Assistant has no device class for some quantities (a percentage of rated power).
      `${deviceClass ?? "none"} / ${stateClass}`,
    ];
  });
  return markdownTable(["field", "unit", "meaning", "Home Assistant class"], rows);
}
