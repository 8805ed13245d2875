import { readFileSync } from "node:fs";
import convict from "convict";
import { redactUserInfo } from "../piko/inverterAddress.js";
import { edgeProblems } from "./edgeSchema.js";
import { environmentInverterProblems } from "./envSettings.js";
import { CONFIG_SCHEMA, type AppConfig } from "./schema.js";
import { configSettings } from "./settingInfo.js";

export { configSettings, type SettingInfo } from "./settingInfo.js";

/** Invalid start-up configuration: every problem at once, one per line, by environment variable name. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

/**
 * An empty variable means "not set" for every setting, so that a template's `KEY=` line (`.env`, a deployment
 * manifest's `"value": ""`) leaves the default in force instead of overriding it: `KOSTAL_PASSWORD=` must not
 * replace the PIKO's `pvwr`.
 */
function withoutEmptyValues(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value.trim() !== ""),
  );
}

/** Secrets may come from `<NAME>_FILE`, the way container secrets are mounted; the variable itself wins. */
function withSecretFiles(env: NodeJS.ProcessEnv, problems: string[]): NodeJS.ProcessEnv {
  const resolved = { ...env };
  for (const setting of configSettings().filter((s) => s.fromFile)) {
    const file = env[`${setting.env}_FILE`];
    if (file === undefined || env[setting.env] !== undefined) continue;
    try {
      resolved[setting.env] = readFileSync(file, "utf8").replace(/\r?\n$/, "");
    } catch (error) {
      problems.push(`${setting.env}_FILE: cannot read ${file} (${errorCode(error)})`);
    }
  }
  return resolved;
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? "unreadable";
}

/**
 * A certificate or key file that cannot be used is a configuration error, found at start and named with its
 * variable: never a stack trace at the first connection. The content is never quoted (a key is a secret).
 */
function pemProblem(variable: string, file: string): string | null {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    return `${variable}: cannot read ${file} (${errorCode(error)})`;
  }
  return text.includes("-----BEGIN ") ? null : `${variable}: ${file} is not a PEM file (no -----BEGIN line)`;
}

function tlsProblems(config: AppConfig): string[] {
  const { mqtt } = config;
  const files: Array<[string, string]> = [
    ["MQTT_CA_FILE", mqtt.caFile],
    ["MQTT_CERT_FILE", mqtt.certFile],
    ["MQTT_KEY_FILE", mqtt.keyFile],
  ];
  const problems: string[] = [];
  const given = files.filter(([, file]) => file !== "");
  if (mqtt.host !== "" && mqtt.tls !== true && given.length > 0) {
    // Certificates without TLS would connect in plain text while the user believes the link is protected.
    problems.push(`${given.map(([name]) => name).join(", ")}: set, but MQTT_TLS is not true`);
  }
  if (mqtt.host !== "" && mqtt.tls === true) {
    for (const [variable, file] of given) {
      const problem = pemProblem(variable, file);
      if (problem !== null) problems.push(problem);
    }
    if ((mqtt.certFile === "") !== (mqtt.keyFile === "")) {
      problems.push(
        "MQTT_CERT_FILE, MQTT_KEY_FILE: a client certificate needs its key, give both or neither",
      );
    }
  }
  const edgeCa = config.edge.caCertificateFile.trim();
  if (edgeCa !== "") {
    const problem = pemProblem("EdgeModuleCACertificateFile", edgeCa);
    if (problem !== null) problems.push(problem);
  }
  return problems;
}

/** `scheme://user:password@` anywhere in a text, for what the per-value redaction below could not match. */
const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)([^\s:@/"']*):[^\s@"']*@/gi;

/**
 * A configuration error quotes values (convict adds `value was "..."`, the address check quotes what it cannot
 * parse), so each line is redacted before it is shown (issue 9): every secret setting's value, wherever it
 * appears, and the user info of every value that may be an address (`http://admin:[redacted]@host`).
 */
function redactProblems(problems: string[], env: NodeJS.ProcessEnv): string[] {
  const replacements: Array<[string, string]> = [];
  for (const setting of configSettings()) {
    const value = env[setting.env];
    if (value === undefined) continue;
    if (setting.sensitive) {
      // Short values would redact unrelated words (and a short password is no secret to its neighbours anyway).
      if (value.length >= 3) replacements.push([value, "[redacted]"]);
      continue;
    }
    for (const form of new Set([value, value.trim(), JSON.stringify(value).slice(1, -1)])) {
      const shown = redactUserInfo(form);
      if (shown !== form) replacements.push([form, shown]);
    }
  }
  // Longest first: a value that contains another is replaced whole.
  replacements.sort(([a], [b]) => b.length - a.length);
  return problems.map((line) => {
    let text = line;
    for (const [secret, shown] of replacements) text = text.split(secret).join(shown);
    return text.replace(URL_CREDENTIALS, "$1$2:[redacted]@");
  });
}

/** The configuration from the environment; throws ConfigError listing every problem. */
export function loadConfig(rawEnv: NodeJS.ProcessEnv): AppConfig {
  const problems: string[] = [];
  const env = withoutEmptyValues(rawEnv);
  const resolved = withSecretFiles(env, problems);
  const config = convict(CONFIG_SCHEMA, { env: resolved, args: [] });
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
  const properties = config.getProperties();
  problems.push(
    ...tlsProblems(properties),
    ...edgeProblems(properties.edge),
    ...environmentInverterProblems(properties),
  );
  if (problems.length > 0) throw new ConfigError(redactProblems(problems, resolved));
  return properties;
}

/**
 * The configuration as text with every secret replaced, for `--print-config` and start-up logs; credentials in an
 * address (`mqtt://user:password@broker`) count as secrets too.
 */
export function redactedConfig(config: AppConfig): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const setting of configSettings()) {
    const value = setting.path
      .split(".")
      .reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], config);
    if (setting.sensitive && value !== "" && setting.shown !== null)
      result[setting.env] = setting.shown(String(value));
    else if (setting.sensitive) result[setting.env] = value === "" ? "" : "[redacted]";
    else result[setting.env] = typeof value === "string" ? redactUserInfo(value) : value;
  }
  return result;
}
