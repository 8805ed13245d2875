import { PLAUSIBLE } from "../plausibleValues.js";
import { excerpt, PageFormat } from "../errors.js";
import {
  EVENT_COLUMN,
  HISTORY_FIELDS,
  TIME_COLUMN,
  type HistoryEntry,
  type HistoryField,
  type HistoryUnit,
} from "./historyFields.js";

/**
 * The pure reader of an old PIKO's `LogDaten.dat` (piko.md): a header (inverter number, name, `akt. Zeit`, the
 * device's seconds counter at the download), a units line, a tab-separated header of column names, then
 * space-padded rows. Columns are found by their names in the header, never by a fixed position. Rows may be shorter
 * than the header (the real capture's rows carry 38 of 42 cells: `total E`, `Iso R` only appear while the device is
 * on the grid); a column a row does not reach reads null. A row's true time is the download time - `akt. Zeit` +
 * `Zeit`. A cell that is not a number, or not a plausible one, reads null with a warning; a row that cannot be placed
 * in time, or is cut off at the end of a partial download, is dropped with a warning. Nothing here throws but
 * PageFormat, and only when the text is not a LogDaten file at all.
 */

export interface LogDatenHeader {
  /** `Wechselrichter Nr:` (the RS485 address), or null when the line is missing. */
  inverterNumber: number | null;
  name: string | null;
  /** `akt. Zeit:`, the device's seconds counter when the file was written. */
  deviceSeconds: number;
}

export interface LogDaten {
  header: LogDatenHeader;
  /** Rows and events, in the device's time order. */
  entries: HistoryEntry[];
  /** One line per cell read as null, per row dropped. */
  warnings: string[];
}

// The device spells its title `Wechselricher` (sic); a copy edited by hand may have `Wechselrichter`: both are read.
const TITLE = /^Wechselricht?er Logdaten\s*$/;
const NUMBER_LINE = /^Wechselrichter Nr:\s*(\d+)\s*$/;
const NAME_LINE = /^Name:\s*(.*?)\s*$/;
const TIME_LINE = /^akt\. Zeit:\s*(\d+)\s*$/;
const WHOLE = /^\d+$/;
const DECIMAL = /^-?\d+(\.\d+)?$/;
const WORD = /^[A-Za-z][A-Za-z0-9 _-]*$/;
/** The furthest a JavaScript Date reaches; a counter that would place a row beyond it is garbage. */
const MAX_DATE_MS = 8.64e15;
/** The insulation resistance has no unit in the reading's table; a PIKO reports up to a few MOhm. */
const PLAUSIBLE_KOHM = { min: 0, max: 100_000 };

function plausibleRange(unit: HistoryUnit): { min: number; max: number } {
  return unit === "kOhm" ? PLAUSIBLE_KOHM : PLAUSIBLE[unit];
}

interface Located {
  time: number;
  event: number;
  width: number;
  fields: Array<{ field: HistoryField; index: number }>;
}

function locateColumns(headerLine: string): Located {
  const names = headerLine.split("\t").map((name) => name.trim());
  const fields = HISTORY_FIELDS.map((field) => ({ field, index: names.indexOf(field.column) }));
  return {
    time: names.indexOf(TIME_COLUMN),
    event: names.indexOf(EVENT_COLUMN),
    width: names.length,
    fields: fields.filter(({ index }) => index >= 0),
  };
}

/** The line of column names: tab-separated, one of them the time column (wherever it stands). */
function isColumnHeader(line: string): boolean {
  const names = line.split("\t").map((name) => name.trim());
  return names.length > 1 && names.includes(TIME_COLUMN);
}

function readHeader(lines: readonly string[]): { header: LogDatenHeader; columnsAt: number } {
  const titleAt = lines.findIndex((line) => TITLE.test(line));
  if (titleAt < 0) {
    throw new PageFormat(
      `expected a LogDaten.dat ('Wechselrichter Logdaten'), found '${excerpt(lines.join(" "))}'`,
    );
  }
  let inverterNumber: number | null = null;
  let name: string | null = null;
  let deviceSeconds: number | null = null;
  for (let i = titleAt + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (isColumnHeader(line)) {
      if (deviceSeconds === null)
        throw new PageFormat("expected an 'akt. Zeit:' line in the LogDaten header, found none");
      return { header: { inverterNumber, name, deviceSeconds }, columnsAt: i };
    }
    const number = NUMBER_LINE.exec(line);
    if (number) inverterNumber = Number(number[1]);
    const time = TIME_LINE.exec(line);
    if (time) deviceSeconds = Number(time[1]);
    const named = NAME_LINE.exec(line);
    if (named) name = named[1]!;
  }
  throw new PageFormat("expected a LogDaten column header line ('Zeit<TAB>DC1 U...'), found none");
}

function readCell(
  field: HistoryField,
  cell: string | undefined,
  where: string,
  warnings: string[],
): number | null {
  if (cell === undefined || cell === "") return null;
  if (!DECIMAL.test(cell)) {
    warnings.push(`${where} ${field.column}: '${excerpt(cell, 20)}' is not a number`);
    return null;
  }
  const raw = Number(cell);
  if (field.unit === null) {
    if (Number.isInteger(raw) && raw >= 0) return raw;
    warnings.push(`${where} ${field.column}: '${excerpt(cell, 20)}' is not a status code`);
    return null;
  }
  const value = raw / field.divisor;
  // Off the grid the device writes a frequency of 0: nothing was measured, which is null, not a fault.
  if (field.unit === "Hz" && value === 0) return null;
  const { min, max } = plausibleRange(field.unit);
  if (value >= min && value <= max) return value;
  warnings.push(
    `${where} ${field.column}: ${value} is outside ${min} .. ${max} ${field.unit}, not a measurement`,
  );
  return null;
}

/**
 * An event's name: the event column's text, or the words of a row that holds nothing else (` 1234\tPOR`). A word
 * among numbers is a garbled cell of a row, not an event.
 */
function eventOf(cells: readonly string[], columns: Located): string | null {
  const text = columns.event >= 0 ? cells[columns.event] : undefined;
  if (text !== undefined && text !== "") return text;
  const rest = cells.filter((cell, index) => index !== columns.time && cell !== "");
  return rest.length > 0 && rest.every((cell) => WORD.test(cell)) ? rest.join(" ") : null;
}

function readRow(
  line: string,
  where: string,
  columns: Located,
  timeAt: (deviceSeconds: number) => number | null,
  keep: (deviceSeconds: number, timeMs: number) => boolean,
  warnings: string[],
): HistoryEntry | null {
  const cells = line.split("\t").map((cell) => cell.trim());
  const zeit = cells[columns.time] ?? "";
  if (!WHOLE.test(zeit)) {
    warnings.push(`${where}: dropped, its time '${excerpt(zeit, 20)}' is not a whole number of seconds`);
    return null;
  }
  const deviceSeconds = Number(zeit);
  const timeMs = timeAt(deviceSeconds);
  if (timeMs === null) {
    warnings.push(
      `${where}: dropped, its time ${deviceSeconds} s is after the file's 'akt. Zeit' or out of range`,
    );
    return null;
  }
  if (!keep(deviceSeconds, timeMs)) return null;
  const time = new Date(timeMs).toISOString();
  if (cells.length > columns.width) {
    warnings.push(`${where}: dropped, ${cells.length} cells for ${columns.width} columns`);
    return null;
  }
  const event = eventOf(cells, columns);
  if (event !== null) return { kind: "event", time, deviceSeconds, event: excerpt(event, 40) };
  const values: Record<string, number | null> = {};
  for (const field of HISTORY_FIELDS) values[field.key] = null;
  for (const { field, index } of columns.fields)
    values[field.key] = readCell(field, cells[index], where, warnings);
  return { kind: "row", time, deviceSeconds, values };
}

/**
 * Which entries to read, by the device counter and the true time (epoch ms), given the file's header; the others
 * are passed over unread (a backfill wants the few rows of a gap, not 100 days of objects in memory).
 */
export type HistoryFilter = (deviceSeconds: number, timeMs: number, header: LogDatenHeader) => boolean;

/**
 * Reads a LogDaten.dat downloaded at `downloadedAtMs` (epoch ms), the entries `keep` wants (default all). Throws
 * PageFormat when the text is not one (no title, no `akt. Zeit`, no column header); anything wrong below the header
 * is a warning.
 */
export function parseLogDaten(text: string, downloadedAtMs: number, keep?: HistoryFilter): LogDaten {
  const lines = text.split(/\r?\n/);
  const { header, columnsAt } = readHeader(lines);
  const columns = locateColumns(lines[columnsAt]!);
  const timeAt = (deviceSeconds: number): number | null => {
    const ms = downloadedAtMs + (deviceSeconds - header.deviceSeconds) * 1000;
    return deviceSeconds > header.deviceSeconds || !(Math.abs(ms) <= MAX_DATE_MS) ? null : ms;
  };
  const wanted = (deviceSeconds: number, timeMs: number) => keep?.(deviceSeconds, timeMs, header) ?? true;
  const warnings: string[] = [];
  const entries: HistoryEntry[] = [];
  // Text that does not end in a line break was cut off (a partial download): its last row may be incomplete.
  const last = lines.length - 1;
  const cutOff = lines[last] !== "";
  for (let i = columnsAt + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    const where = `line ${i + 1}`;
    if (i === last && cutOff) {
      warnings.push(`${where}: dropped, the file ends in the middle of this row (a partial download)`);
      continue;
    }
    const entry = readRow(line, where, columns, timeAt, wanted, warnings);
    if (entry !== null) entries.push(entry);
  }
  return { header, entries: inTimeOrder(entries, warnings), warnings };
}

/** Entries sorted by the device's counter (stable: an event stays beside its row); a repeated row is dropped. */
function inTimeOrder(entries: HistoryEntry[], warnings: string[]): HistoryEntry[] {
  const sorted = entries
    .map((entry, order) => ({ entry, order }))
    .sort((a, b) => a.entry.deviceSeconds - b.entry.deviceSeconds || a.order - b.order)
    .map(({ entry }) => entry);
  const seen = new Set<number>();
  return sorted.filter((entry) => {
    if (entry.kind === "event") return true;
    if (!seen.has(entry.deviceSeconds)) return seen.add(entry.deviceSeconds);
    warnings.push(`dropped a second row for device time ${entry.deviceSeconds} s`);
    return false;
  });
}
