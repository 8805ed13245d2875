import { ConfigError, loadConfig } from "../../modules/kostal2mqtt/src/config/loadConfig.js";

/** The problems loadConfig lists for this environment (none: an empty list). */
export function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}
