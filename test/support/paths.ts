import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: tests run compiled from dist/test/<kind>/, three levels below it. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

export function repoPath(...parts: string[]): string {
  return resolve(REPO_ROOT, ...parts);
}
