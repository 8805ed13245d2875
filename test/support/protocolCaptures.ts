import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { SHARED_FIXTURES_DIR } from "./fixtures.js";

/**
 * The shared real answers of the newer PIKO interfaces (`piko-dxs/`, `piko-mpplus-xml/` beside `piko-html/`),
 * read from there and never copied into the repository. As for the html captures (fixtures.ts): in CI a missing
 * folder fails the test with the reason; elsewhere the test is skipped with a loud message.
 */

export type CaptureFolder = "piko-dxs" | "piko-mpplus-xml" | "piko-logdaten";

const IN_CI = process.env["CI"] === "true";
const warned = new Set<CaptureFolder>();

export function captureDir(folder: CaptureFolder): string {
  return join(SHARED_FIXTURES_DIR, folder);
}

function missing(folder: CaptureFolder): string | null {
  const dir = captureDir(folder);
  if (existsSync(dir) && statSync(dir).isDirectory()) return null;
  return `shared PIKO captures not found: ${dir} is not a directory (set KOSTAL_SHARED_FIXTURES or put them there)`;
}

/** `test()` options: a skip outside CI when the folder is missing; in CI the test runs and fails with the reason. */
export function folderTestOptions(folder: CaptureFolder): { skip?: string } {
  const why = missing(folder);
  if (why === null || IN_CI) return {};
  if (!warned.has(folder)) {
    warned.add(folder);
    const line = "!".repeat(100);
    process.stderr.write(`\n${line}\n!!! SKIPPING ${folder} capture tests: ${why}\n${line}\n\n`);
  }
  return { skip: why };
}

/** The capture files of a folder (SOURCES.md left out), sorted, each with its text (UTF-8). */
export function readFolder(folder: CaptureFolder): Array<{ name: string; text: string }> {
  const why = missing(folder);
  if (why !== null) throw new Error(`${why}${IN_CI ? " CI=true: the capture tests must run in CI." : ""}`);
  const dir = captureDir(folder);
  return readdirSync(dir)
    .filter((name) => name !== "SOURCES.md")
    .sort()
    .map((name) => ({ name, text: readFileSync(join(dir, name), "utf8") }));
}
