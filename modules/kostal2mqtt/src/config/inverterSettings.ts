import { statusPageUrl } from "../piko/inverterAddress.js";
import type { InverterSettings } from "./bridgeSettings.js";
import { PROTOCOL_SETTINGS } from "../piko/protocolProbe.js";
import { flag, inverterHost, numberBetween, oneOf, printableText, type Format } from "./formats.js";

/**
 * One inverter to poll, described once: the environment's inverter (KOSTAL_HOST, KOSTAL_USERNAME,
 * KOSTAL_PASSWORD), every entry of KOSTAL_INVERTERS and of the module twin's `inverters` map are checked by these
 * rules.
 */
export interface EntryRule {
  doc: string;
  format: Format;
  /** The PIKO's factory value, where it has one (the environment's default). */
  default?: string | boolean;
  /** Write-only: redacted in logs and never in reported properties. */
  sensitive?: true;
}

/** The keys of an entry `{host, username, password, enabled, protocol, mirrorPort, rs485Address}` and their rules. */
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
  rs485Address: {
    doc: "the inverter's RS485 bus address (1-255): read through the web server at `host`, which shows that address",
    format: numberBetween(1, 255, true),
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

/**
 * A map of inverter entries (KOSTAL_INVERTERS' JSON) as a configuration dump shows it: every sensitive key's value
 * replaced, the rest as given; text that is no such map is not shown at all.
 */
export function redactedInverterMap(text: string): string {
  let map: unknown;
  try {
    map = JSON.parse(text);
  } catch {
    return "[redacted]";
  }
  if (typeof map !== "object" || map === null || Array.isArray(map)) return "[redacted]";
  const shown = Object.entries(map).map(([id, entry]: [string, unknown]): [string, unknown] => {
    if (typeof entry !== "object" || entry === null) return [id, entry];
    const keys = Object.entries(entry).map(([key, value]: [string, unknown]): [string, unknown] => {
      const secret = isInverterKey(key) && "sensitive" in INVERTER_ENTRY[key];
      return [key, secret ? "[redacted]" : value];
    });
    return [id, Object.fromEntries(keys)];
  });
  return JSON.stringify(Object.fromEntries(shown));
}

/**
 * Inverters on one RS485 bus, read through one web server (host:port), must each name their own rs485Address once
 * any of them does: a posted address may change what that web server shows, and only a page checked against the
 * address asked for is filed under the right inverter (a GET takes whatever is shown). Entries that share a web
 * server without any bus address stay as they were. Problems name the ids and the web server, never a secret.
 */
export function sharedWebServerProblems(inverters: ReadonlyMap<string, InverterSettings>): string[] {
  const byServer = new Map<string, Array<[string, number | undefined]>>();
  for (const [id, settings] of inverters) {
    const server = statusPageUrl(settings.host).host;
    byServer.set(server, [...(byServer.get(server) ?? []), [id, settings.rs485Address]]);
  }
  const problems: string[] = [];
  for (const [server, entries] of byServer) {
    if (entries.length < 2 || entries.every(([, address]) => address === undefined)) continue;
    const ids = entries.map(([id]) => id).join(", ");
    if (entries.some(([, address]) => address === undefined)) {
      problems.push(
        `${ids}: read through one web server (${server}), so each needs its rs485Address ` +
          "(the web server's own inverter usually 255)",
      );
      continue;
    }
    const seen = new Map<number | undefined, string>();
    for (const [id, address] of entries) {
      const first = seen.get(address);
      if (first !== undefined) problems.push(`${first}, ${id}: both rs485Address ${address} on ${server}`);
      else seen.set(address, id);
    }
  }
  return problems;
}
