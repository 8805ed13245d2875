import { ConfigError, loadConfig } from "../../modules/kostal2mqtt/src/config/loadConfig.js";

/** The problems loadConfig lists for `env` (empty when it loads); any other failure is rethrown. */
export function configProblems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}
