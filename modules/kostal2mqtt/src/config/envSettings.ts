import { checkInverters, type EnvDefaults } from "./desiredProperties.js";
import type { AppConfig } from "./schema.js";
import { statusPageUrl } from "../piko/inverterAddress.js";
import { sanitiseInverterId } from "../reading/reading.js";
import type { InverterSettings } from "./bridgeSettings.js";

/**
 * The inverters the environment names: one in KOSTAL_HOST (its id KOSTAL_ID, or made from the host), or several in
 * KOSTAL_INVERTERS, a JSON object of the twin's `inverters` shape checked by the same entry rules, with
 * KOSTAL_USERNAME and KOSTAL_PASSWORD as the entries' defaults. Giving both is a start-up error: which one would
 * win is a guess the user should not have to make.
 */

/** The list's JSON, or undefined when it is not set or not JSON (the schema's format reports that). */
function listValue(config: AppConfig): unknown {
  const text = config.kostal.inverters;
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The list checked by the entry rules, KOSTAL_USERNAME and KOSTAL_PASSWORD its defaults. */
function checkedList(config: AppConfig, value: unknown) {
  return checkInverters(value, {
    pollIntervalSeconds: config.scrapeIntervalSeconds,
    inverters: new Map(),
    username: config.kostal.username,
    password: config.kostal.password,
  });
}

/** What is wrong with the environment's inverters, one line per problem, each led by its variable and path. */
export function environmentInverterProblems(config: AppConfig): string[] {
  const value = listValue(config);
  if (value === undefined) return [];
  const problems = checkedList(config, value).problems.map((problem) => `KOSTAL_INVERTERS: ${problem}`);
  if (config.kostal.host.trim() !== "")
    problems.push(
      "KOSTAL_HOST, KOSTAL_INVERTERS: both set; name one inverter in KOSTAL_HOST or several in KOSTAL_INVERTERS " +
        "(KOSTAL_HOST's inverter can be an entry of the list)",
    );
  if (config.kostal.id !== "")
    problems.push(
      "KOSTAL_ID, KOSTAL_INVERTERS: KOSTAL_ID names KOSTAL_HOST's inverter; the list's keys are its ids",
    );
  return problems;
}

/** The environment's inverters (a valid configuration: loadConfig has reported every problem). */
function environmentInverters(config: AppConfig): Map<string, InverterSettings> {
  const value = listValue(config);
  if (value !== undefined) return checkedList(config, value).inverters;
  const inverters = new Map<string, InverterSettings>();
  if (config.kostal.host.trim() !== "") {
    const id = config.kostal.id || sanitiseInverterId(statusPageUrl(config.kostal.host).hostname);
    inverters.set(id, {
      host: config.kostal.host.trim(),
      username: config.kostal.username,
      password: config.kostal.password,
      enabled: true,
      protocol: config.kostal.protocol,
      mirrorPort: config.kostal.mirrorPort,
    });
  }
  return inverters;
}

/** The settings the environment gives the bridge, and the defaults the module twin's entries inherit. */
export function envDefaults(config: AppConfig): EnvDefaults {
  return {
    pollIntervalSeconds: config.scrapeIntervalSeconds,
    inverters: environmentInverters(config),
    origin: listValue(config) === undefined ? "KOSTAL_HOST" : "KOSTAL_INVERTERS",
    username: config.kostal.username,
    password: config.kostal.password,
  };
}
