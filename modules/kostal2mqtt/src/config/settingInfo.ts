import { CONFIG_SCHEMA } from "./schema.js";
import type { Format, RangeFormat } from "./formats.js";

/** One setting of the schema as documents and checks need it: README, redaction, the twin's validation. */
export interface SettingInfo {
  path: string;
  env: string;
  sensitive: boolean;
  doc: string;
  default: unknown;
  /** The module twin changes it without a restart. */
  live: boolean;
  /** The desired property that changes it (`pollIntervalSeconds`, `inverters.<id>.host`), if any. */
  twin: string | null;
  /** A secret that may come from `<NAME>_FILE`. */
  fromFile: boolean;
  /** How a configuration dump shows a sensitive value with its secrets redacted, if not as `[redacted]`. */
  shown: ((value: string) => string) | null;
  format: unknown;
}

type Node = Record<string, unknown>;

/** Every setting of the schema with its path, variable and whether it is secret (for docs and redaction). */
export function configSettings(schema: object = CONFIG_SCHEMA, prefix = ""): SettingInfo[] {
  return Object.entries(schema).flatMap(([key, node]: [string, Node]) => {
    const path = prefix === "" ? key : `${prefix}.${key}`;
    if (typeof node.env !== "string") return configSettings(node, path);
    const sensitive = node.sensitive === true;
    return [
      {
        path,
        env: node.env,
        sensitive,
        doc: typeof node.doc === "string" ? node.doc : "",
        default: node.default,
        live: node.live === true,
        twin: typeof node.twin === "string" ? node.twin : null,
        fromFile: sensitive && node.noFile !== true,
        shown: typeof node.shown === "function" ? (node.shown as (value: string) => string) : null,
        format: node.format,
      },
    ];
  });
}

const BY_PATH = new Map(configSettings().map((setting) => [setting.path, setting]));

/** A setting by its path in the schema (`scrapeIntervalSeconds`, `mqtt.port`); throws for a path it lacks. */
export function settingAt(path: string): SettingInfo {
  const setting = BY_PATH.get(path);
  if (setting === undefined) throw new Error(`no setting ${path} in the schema`);
  return setting;
}

/**
 * What is wrong with a value for a setting, by the schema's own format, or null. For values that come as JSON
 * (the module twin): no coercion, so `"10"` is not a number. Only settings with a function format are
 * checked this way, which every setting the twin can change has.
 */
export function validateSetting(path: string, value: unknown): string | null {
  const { format } = settingAt(path);
  if (typeof format !== "function") throw new Error(`${path} has no format function to check a value with`);
  try {
    (format as Format)(value);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : "is not valid";
  }
}

/** The range a numeric setting allows, from its format (for documents: README, DTDL). */
export function settingRange(path: string): RangeFormat["range"] | null {
  const { format } = settingAt(path);
  return typeof format === "function" && "range" in format ? (format as RangeFormat).range : null;
}
