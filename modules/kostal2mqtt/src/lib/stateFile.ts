import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";

/**
 * What a validator made of a file's content: the usable part (null: nothing usable) and one line per part that
 * was not.
 */
export interface Loaded<T> {
  value: T | null;
  problems: string[];
}

/**
 * A small JSON file in the data folder, written atomically (a temporary file, then rename), so a power cut
 * leaves either the old or the new content, never half. Failures are reported to `onProblem` and never thrown:
 * without a writable data folder the process runs on, keeping its state in memory.
 *
 * Persisted state is input like any other (style.md): it is validated on load, and a file that does not validate
 * (not JSON, wrong shape, some bad entries) is moved aside as `<name>.corrupt-<time>` and reported, so that it can
 * never stop a start, and the next start does not trip over it again.
 */
export class StateFile<T> {
  /** A folder that cannot be read or written is said once: it stays that way for the whole run. */
  private accessWarned = false;

  constructor(
    private readonly dir: string | null,
    private readonly name: string,
    private readonly onProblem: (message: string) => void,
    private readonly now: () => number = Date.now,
  ) {}

  get path(): string | null {
    return this.dir === null ? null : join(this.dir, this.name);
  }

  /**
   * The file's content as `validate` accepts it; null when there is none. Also removes the temporaries of
   * writes that never finished. A partly valid file: the valid part is kept (and written back), the original
   * moved aside.
   */
  load(validate: (raw: unknown) => Loaded<T>): T | null {
    const path = this.path;
    if (path === null) return null;
    this.removeUnfinishedWrites();
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOENT")
        this.accessProblem(`cannot read ${path} (${code ?? "error"}); starting without it`);
      return null;
    }
    let loaded: Loaded<T>;
    try {
      loaded = validate(JSON.parse(text));
    } catch {
      loaded = { value: null, problems: ["not JSON"] };
    }
    if (loaded.problems.length === 0) return loaded.value;
    const aside = this.moveAside(path);
    const detail = `${loaded.problems.slice(0, 3).join("; ")}${loaded.problems.length > 3 ? "; ..." : ""}`;
    const kept = loaded.value === null ? "starting without it" : "kept the valid part";
    this.onProblem(`${path}: ${detail}: ${aside}; ${kept}`);
    if (loaded.value !== null) this.write(loaded.value);
    return loaded.value;
  }

  /**
   * The parsed content for a caller that checks it itself (unchecked: prefer `load`). Not JSON: moved aside and
   * reported, like any file that does not validate.
   */
  read(): T | null {
    return this.load((raw) => ({ value: raw as T, problems: [] }));
  }

  /** Writes atomically; returns null when written (or there is no data folder), else why it was not. */
  write(value: T): string | null {
    const path = this.path;
    if (path === null || this.dir === null) return null;
    const temporary = `${path}.${process.pid}.tmp`;
    try {
      // Not recursive: the folder's parent must exist (Node's recursive mkdir can spin forever on /proc).
      if (!existsSync(this.dir)) mkdirSync(this.dir);
      writeFileSync(temporary, JSON.stringify(value));
      renameSync(temporary, path);
      return null;
    } catch (error) {
      // A full disk leaves an empty temporary behind: it would only take the last free bytes.
      removeQuietly(temporary);
      const reason = (error as NodeJS.ErrnoException).code ?? "error";
      this.accessProblem(`cannot write ${path} (${reason}); keeping it in memory`);
      return reason;
    }
  }

  /** A problem worth a line each time (e.g. what a failed last write lost at stop). */
  report(message: string): void {
    this.onProblem(message);
  }

  private accessProblem(message: string): void {
    if (this.accessWarned) return;
    this.accessWarned = true;
    this.onProblem(message);
  }

  private moveAside(path: string): string {
    const aside = `${path}.corrupt-${new Date(this.now()).toISOString().replace(/:/g, "-")}`;
    try {
      renameSync(path, aside);
      return `moved aside to ${aside}`;
    } catch (error) {
      return `could not move it aside (${(error as NodeJS.ErrnoException).code ?? "error"})`;
    }
  }

  /** `<name>.<pid>.tmp` of an earlier process: a write that never reached its rename (full disk, power cut). */
  private removeUnfinishedWrites(): void {
    if (this.dir === null) return;
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return; // No folder yet: nothing to clean; a write reports what is wrong with it.
    }
    const own = `${this.name}.${process.pid}.tmp`;
    const pattern = new RegExp(`^${this.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.\\d+\\.tmp$`);
    const removed = names.filter((n) => pattern.test(n) && n !== own && removeQuietly(join(this.dir!, n)));
    if (removed.length > 0) {
      this.onProblem(
        `removed ${removed.length} unfinished write(s) of ${this.name} (${removed.join(", ")}): an earlier ` +
          "write failed, e.g. on a full disk",
      );
    }
  }
}

function removeQuietly(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    unlinkSync(path);
    return true;
  } catch {
    return false;
  }
}
