import { readFileSync } from "node:fs";

/** The package version, read once from package.json (the repo root is four levels above dist/modules/x/src). */
function readVersion(): string {
  try {
    const json = readFileSync(new URL("../../../../package.json", import.meta.url), "utf8");
    const version = (JSON.parse(json) as { version?: unknown }).version;
    return typeof version === "string" ? version : "unknown";
  } catch {
    return "unknown";
  }
}

export const VERSION = readVersion();
