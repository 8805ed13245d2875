import { StateFile, type Loaded } from "../lib/stateFile.js";
import type { Logger } from "../log/logger.js";
import type { HistoryEntry } from "../piko/logdaten/historyFields.js";
import { serialiseHistoryEntry } from "../piko/logdaten/historyJson.js";
import type { HistoryFilter, LogDaten } from "../piko/logdaten/logDatenParser.js";
import type { HistoryMessage } from "../ports/output.js";

/**
 * History backfill (issue 12): after the bridge (or the way to the inverter) was down, the rows the inverter logged
 * meanwhile in its LogDaten.dat are published to output `history` / `<base>/<id>/history`, each with its true time,
 * in order, and never twice. Per inverter, a cursor (the device counter of the last entry handed over) and the time
 * of the last published reading are kept in `history.json` in the data folder:
 * - a gap is seen when a reading arrives and the last one published before it is older than the gap limit (also
 *   across a restart: the time is saved now and then, and at stop), unless the inverter went to sleep from a
 *   healthy state meanwhile (a night the bridge watched: the device logs nothing asleep, no download each morning);
 * - entries after the cursor are handed to the outputs one by one, the cursor saved after each (an output has
 *   accepted an entry when it returned from `publishHistory`: it is in its queue); a restart mid-backfill goes
 *   on after the last entry handed over. A crash between the hand-over and the save may repeat that one entry;
 * - after a gap, only entries after the last reading before it (the live readings covered the rest); asked for
 *   (the direct method), entries after `since` or the whole file, always after the cursor;
 * - a file whose counter is below the cursor comes from a reset or replaced device: the cursor starts again.
 */

interface InverterHistory {
  /** The device counter of the last entry handed over (or passed over as already covered by live readings). */
  cursor: number | null;
  /** When the last reading of this inverter was published, epoch ms. */
  lastReadingMs: number | null;
}

type Stored = Record<string, InverterHistory>;

/** The time of the last reading is saved at most this often (every poll would wear an SD card). */
const SAVE_READING_EVERY_MS = 60_000;

function isCounter(value: unknown): value is number | null {
  return value === null || (typeof value === "number" && Number.isSafeInteger(value) && value >= 0);
}

function validate(raw: unknown): Loaded<Stored> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { value: null, problems: ["not an object of inverters"] };
  }
  const value: Stored = {};
  const problems: string[] = [];
  for (const [id, entry] of Object.entries(raw)) {
    const { cursor, lastReadingMs } = (entry ?? {}) as Record<string, unknown>;
    if (isCounter(cursor) && isCounter(lastReadingMs)) value[id] = { cursor, lastReadingMs };
    else problems.push(`${id}: not {cursor, lastReadingMs}`);
  }
  return { value, problems };
}

export interface HistoryBackfillOptions {
  dataDir: string | null;
  /** Where entries go: the bridge's fan-out to every output. */
  publish: (message: HistoryMessage) => void;
  log: Logger;
  now: () => number;
}

export class HistoryBackfill {
  private readonly file: StateFile<Stored>;
  private readonly state: Stored;
  private readonly lastSaved = new Map<string, number>();
  /** Inverters that went to sleep while the bridge watched: their night is no gap (the device logs nothing then). */
  private readonly sleeping = new Set<string>();
  /** The backfill running per inverter: a second request joins it. */
  private readonly running = new Map<string, Promise<number>>();

  constructor(private readonly options: HistoryBackfillOptions) {
    this.file = new StateFile<Stored>(
      options.dataDir,
      "history.json",
      (m) => options.log.warn(m),
      options.now,
    );
    this.state = this.file.load(validate) ?? {};
  }

  /** The inverter went to sleep from a healthy state: its next reading after the night starts no backfill. */
  wentToSleep(inverter: string): void {
    this.sleeping.add(inverter);
  }

  /**
   * A reading of `inverter` was published at `atMs`; returns the time of the one before it when the gap between
   * them is longer than `gapMs` (the rows of that gap are worth a backfill), else null.
   */
  readingPublished(inverter: string, atMs: number, gapMs: number): number | null {
    const entry = this.entry(inverter);
    const before = entry.lastReadingMs;
    entry.lastReadingMs = atMs;
    if (atMs - (this.lastSaved.get(inverter) ?? -Infinity) >= SAVE_READING_EVERY_MS) this.save(inverter);
    const slept = this.sleeping.delete(inverter);
    return !slept && before !== null && atMs - before > gapMs ? before : null;
  }

  /**
   * Downloads `inverter`'s history with `download` (which keeps clear of its polls) and publishes what is new;
   * resolves with how many entries. One run per inverter at a time: a second request joins the running one.
   */
  run(
    inverter: string,
    download: (keep: HistoryFilter) => Promise<LogDaten>,
    sinceMs?: number,
  ): Promise<number> {
    const running = this.running.get(inverter);
    if (running !== undefined) return running;
    const { log } = this.options;
    const run = (async () => {
      const file = await download(this.wanted(inverter, sinceMs));
      if (file.warnings.length > 0) {
        log.info(
          `inverter ${inverter}: history: ${file.warnings.length} warning(s), first: ${file.warnings[0]}`,
        );
      }
      const count = this.publish(inverter, file, sinceMs);
      log.info(`inverter ${inverter}: history backfill published ${count} entr${count === 1 ? "y" : "ies"}`);
      return count;
    })().finally(() => this.running.delete(inverter));
    this.running.set(inverter, run);
    return run;
  }

  /**
   * Hands the entries of `history` after the cursor (and after `sinceMs`, when given) to the outputs, oldest first;
   * resolves with how many.
   */
  publish(inverter: string, history: LogDaten, sinceMs?: number): number {
    const entry = this.entry(inverter);
    if (entry.cursor !== null && history.header.deviceSeconds < entry.cursor) {
      this.options.log.warn(
        `inverter ${inverter}: its history counter (${history.header.deviceSeconds} s) is below the last one ` +
          `handed over (${entry.cursor} s): a reset or replaced device; its history starts again`,
      );
      entry.cursor = null;
    }
    const after = sinceMs ?? -Infinity;
    let count = 0;
    for (const item of history.entries) {
      if (entry.cursor !== null && item.deviceSeconds <= entry.cursor) continue;
      const wanted = Date.parse(item.time) > after;
      if (wanted) this.options.publish(message(inverter, item));
      entry.cursor = item.deviceSeconds;
      if (wanted) {
        count++;
        this.save(inverter);
      }
    }
    this.save(inverter);
    return count;
  }

  /**
   * The entries a run reads: after the cursor (all of a file whose counter is below it: a reset device, see
   * `publish`) and after `sinceMs`; the rest of the file is never turned into objects.
   */
  private wanted(inverter: string, sinceMs: number | undefined): HistoryFilter {
    const cursor = this.entry(inverter).cursor;
    return (deviceSeconds, timeMs, header) =>
      (cursor === null || deviceSeconds > cursor || header.deviceSeconds < cursor) &&
      (sinceMs === undefined || timeMs > sinceMs);
  }

  /** Saves every inverter's state (at stop). */
  saveAll(): void {
    this.file.write(this.state);
  }

  private entry(inverter: string): InverterHistory {
    this.state[inverter] ??= { cursor: null, lastReadingMs: null };
    return this.state[inverter];
  }

  private save(inverter: string): void {
    this.lastSaved.set(inverter, this.options.now());
    this.file.write(this.state);
  }
}

function message(inverter: string, entry: HistoryEntry): HistoryMessage {
  return {
    inverter,
    time: entry.time,
    deviceSeconds: entry.deviceSeconds,
    payload: serialiseHistoryEntry(entry, inverter),
  };
}
