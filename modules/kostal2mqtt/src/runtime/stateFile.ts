import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * A small JSON file in the data folder, written atomically (a temporary file, then rename), so a power cut
 * leaves either the old or the new content, never half. Failures are reported once to `onProblem` and never thrown:
 * without a writable data folder the process runs on, keeping its state in memory.
 */
export class StateFile<T> {
  private warned = false;

  constructor(
    private readonly dir: string | null,
    private readonly name: string,
    private readonly onProblem: (message: string) => void,
  ) {}

  get path(): string | null {
    return this.dir === null ? null : join(this.dir, this.name);
  }

  read(): T | null {
    const path = this.path;
    if (path === null) return null;
    try {
      return JSON.parse(readFileSync(path, "utf8")) as T;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== "ENOENT") this.problem(`cannot read ${path} (${code ?? "not JSON"}); starting without it`);
      return null;
    }
  }

  write(value: T): void {
    const path = this.path;
    if (path === null || this.dir === null) return;
    try {
      // Not recursive: the folder's parent must exist (Node's recursive mkdir can spin forever on /proc).
      if (!existsSync(this.dir)) mkdirSync(this.dir);
      const temporary = `${path}.${process.pid}.tmp`;
      writeFileSync(temporary, JSON.stringify(value));
      renameSync(temporary, path);
    } catch (error) {
      this.problem(
        `cannot write ${path} (${(error as NodeJS.ErrnoException).code ?? "error"}); keeping it in memory`,
      );
    }
  }

  private problem(message: string): void {
    if (this.warned) return;
    this.warned = true;
    this.onProblem(message);
  }
}
