import type { EnvDefaults } from "./desiredProperties.js";
import type { AppConfig } from "./schema.js";
import { statusPageUrl } from "../piko/inverterAddress.js";
import { sanitiseInverterId } from "../reading/reading.js";
import type { InverterSettings } from "./bridgeSettings.js";

/** The inverter the environment names (KOSTAL_HOST), with its id, or none. */
export function envDefaults(config: AppConfig): EnvDefaults {
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
  return {
    pollIntervalSeconds: config.scrapeIntervalSeconds,
    inverters,
    username: config.kostal.username,
    password: config.kostal.password,
  };
}
