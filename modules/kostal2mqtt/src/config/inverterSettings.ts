import type { InverterSettings } from "./bridgeSettings.js";
import { PROTOCOL_SETTINGS } from "../piko/protocolProbe.js";
import { flag, inverterHost, numberBetween, oneOf, printableText, type Format } from "./formats.js";

/**
 * One inverter to poll, described once: the environment's inverter (KOSTAL_HOST, KOSTAL_USERNAME,
 * KOSTAL_PASSWORD) and every entry of the module twin's `inverters` map are checked by these rules.
 */
export interface EntryRule {
  doc: string;
  format: Format;
  /** The PIKO's factory value, where it has one (the environment's default). */
  default?: string | boolean;
  /** Write-only: redacted in logs and never in reported properties. */
  sensitive?: true;
}

/** The keys of a twin entry `{host, username, password, enabled, protocol, mirrorPort}` and their rules. */
export const INVERTER_ENTRY = {
  host: { doc: "the inverter: host, host:port or http://host:port", format: inverterHost },
  username: {
    doc: "the inverter's web user",
    format: printableText(64),
    default: "pvserver",
  },
  password: {
    doc: "the inverter's web password",
    format: printableText(128),
    default: "pvwr",
    sensitive: true,
  },
  enabled: { doc: "whether the inverter is polled", format: flag, default: true },
  protocol: {
    doc: "the interface the inverter speaks: auto (found out once, and again after a firmware update changed it), html (the old status page), dxs (web UI 6 and later, PIKO BA) or mpplus (PIKO MP plus)",
    format: oneOf(PROTOCOL_SETTINGS),
    default: "auto",
  },
  mirrorPort: {
    doc: "port serving its last reading as /index.fhtml and /api/dxs.json to other tools; 0: off",
    format: numberBetween(0, 65535, true),
  },
} as const satisfies Record<keyof InverterSettings, EntryRule>;

export type InverterKey = keyof typeof INVERTER_ENTRY;

export function isInverterKey(key: string): key is InverterKey {
  return Object.hasOwn(INVERTER_ENTRY, key);
}

/** What is wrong with one value of an inverter entry, or null (the rule's own words, never the value). */
export function inverterFieldProblem(key: InverterKey, value: unknown): string | null {
  try {
    INVERTER_ENTRY[key].format(value);
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : "is not valid";
  }
}
