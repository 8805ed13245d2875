import { readFileSync } from "node:fs";
import convict from "convict";
import { CONFIG_SCHEMA, type AppConfig } from "./schema.js";

/** Invalid start-up configuration: every problem at once, one per line, by environment variable name. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

interface SettingInfo {
  path: string;
  env: string;
  sensitive: boolean;
  doc: string;
  default: unknown;
}

/** Every setting of the schema with its path, variable and whether it is secret (for docs and redaction). */
export function configSettings(schema: object = CONFIG_SCHEMA, prefix = ""): SettingInfo[] {
  return Object.entries(schema).flatMap(([key, node]: [string, Record<string, unknown>]) => {
    const path = prefix === "" ? key : `${prefix}.${key}`;
    if (typeof node.env === "string") {
      return [
        {
          path,
          env: node.env,
          sensitive: node.sensitive === true,
          doc: typeof node.doc === "string" ? node.doc : "",
          default: node.default,
        },
      ];
    }
    return configSettings(node, path);
  });
}

/** Secrets may come from `<NAME>_FILE`, the way container secrets are mounted; the variable itself wins. */
function withSecretFiles(env: NodeJS.ProcessEnv, problems: string[]): NodeJS.ProcessEnv {
  const resolved = { ...env };
  for (const setting of configSettings().filter((s) => s.sensitive)) {
    const file = env[`${setting.env}_FILE`];
    if (file === undefined || env[setting.env] !== undefined) continue;
    try {
      resolved[setting.env] = readFileSync(file, "utf8").replace(/\r?\n$/, "");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? "unreadable";
      problems.push(`${setting.env}_FILE: cannot read ${file} (${code})`);
    }
  }
  return resolved;
}

/** The configuration from the environment; throws ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv): AppConfig {
  const problems: string[] = [];
  const config = convict(CONFIG_SCHEMA, { env: withSecretFiles(env, problems), args: [] });
  try {
    config.validate({ allowed: "strict" });
  } catch (error) {
    const byPath = new Map(configSettings().map((s) => [s.path, s.env]));
    for (const line of (error as Error).message.split("\n")) {
      const [path, ...rest] = line.split(": ");
      problems.push(`${byPath.get(path ?? "") ?? path}: ${rest.join(": ")}`);
    }
  }
  const site = config.get("site");
  if ((site.latitude.trim() === "") !== (site.longitude.trim() === "")) {
    problems.push("LATITUDE, LONGITUDE: give both or neither");
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config.getProperties();
}

/** The configuration as text with every secret replaced, for `--print-config` and start-up logs. */
export function redactedConfig(config: AppConfig): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const setting of configSettings()) {
    const value = setting.path
      .split(".")
      .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], config);
    result[setting.env] = setting.sensitive ? (value === "" ? "" : "[redacted]") : value;
  }
  return result;
}
