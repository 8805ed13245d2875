import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { REPO_ROOT } from "./paths.js";

/**
 * The shared real-device captures (`../shared/fixtures`, beside the repository). They are reference data that
 * must not be copied into the repository (piko.md), so tests read them from there. `KOSTAL_SHARED_FIXTURES`
 * points elsewhere. Without the folder, a CI run fails with a clear message; a local run skips the capture tests
 * and says so loudly.
 */

const ENV_VAR = "KOSTAL_SHARED_FIXTURES";

/** The shared fixtures folder (the one holding `piko-html/`), as configured or beside the repository. */
export const SHARED_FIXTURES_DIR = resolve(
  process.env[ENV_VAR] || join(REPO_ROOT, "..", "shared", "fixtures"),
);

/** The old-PIKO `index.fhtml` captures. */
export const PIKO_HTML_DIR = join(SHARED_FIXTURES_DIR, "piko-html");

const IN_CI = process.env["CI"] === "true";

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

/** Why the captures cannot be read, or null when they can. */
export function capturesMissing(): string | null {
  if (isDirectory(PIKO_HTML_DIR)) return null;
  const where = process.env[ENV_VAR]
    ? `${ENV_VAR}=${process.env[ENV_VAR]}`
    : `the default beside the repository`;
  return (
    `shared PIKO captures not found: ${PIKO_HTML_DIR} is not a directory (from ${where}). ` +
    `Put the shared fixtures at ${join(REPO_ROOT, "..", "shared", "fixtures")} or set ${ENV_VAR}.`
  );
}

let warned = false;

/**
 * `test()` options for a test that needs the captures: outside CI, a skip with a loud message when they are
 * missing; in CI no skip, so the test runs and fails in `listCaptures`/`readCapture` with the reason.
 */
export function capturesTestOptions(): { skip?: string } {
  const missing = capturesMissing();
  if (missing === null || IN_CI) return {};
  if (!warned) {
    warned = true;
    const line = "!".repeat(100);
    process.stderr.write(`\n${line}\n!!! SKIPPING capture tests: ${missing}\n${line}\n\n`);
  }
  return { skip: `shared PIKO captures not found at ${PIKO_HTML_DIR} (see the banner above)` };
}

function requireCaptures(): void {
  const missing = capturesMissing();
  if (missing !== null) {
    throw new Error(`${missing}${IN_CI ? " CI=true: the capture tests must run in CI." : ""}`);
  }
}

/** The file names of the html captures, sorted. */
export function listCaptures(): string[] {
  requireCaptures();
  return readdirSync(PIKO_HTML_DIR)
    .filter((name) => name.toLowerCase().endsWith(".html"))
    .sort();
}

/** One capture as the inverter's bytes decoded as latin1 (the page declares ISO-8859-1). */
export function readCapture(name: string): string {
  requireCaptures();
  return readFileSync(join(PIKO_HTML_DIR, name), "latin1");
}

/** Every html capture, by file name. */
export function readAllCaptures(): Array<{ name: string; html: string }> {
  return listCaptures().map((name) => ({ name, html: readCapture(name) }));
}
