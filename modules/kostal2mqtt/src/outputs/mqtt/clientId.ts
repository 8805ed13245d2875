import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { StateFile } from "../../lib/stateFile.js";

/**
 * The default MQTT client id, `kostal2mqtt-<host name>-<6 hex>`: unique per instance, so two bridges on one host
 * (or two IoT Edge devices whose module containers share a host name) do not take each other's session, and stable
 * across restarts, because the suffix is drawn once and kept in the instance's data folder. Without a data folder
 * (or one that cannot be written) the suffix is new at every start, which costs nothing with clean sessions.
 */

const SUFFIX = /^[0-9a-f]{6}$/;
const FILE_NAME = "mqtt-client-id.json";
/** MQTT 3.1.1 servers must accept 23 characters and may accept more; mosquitto takes 65535. 64 is what we used. */
const MAX_LENGTH = 64;

interface StoredSuffix {
  suffix: string;
}

export function defaultClientId(host: string, suffix: string): string {
  const safeHost = host.replace(/[^A-Za-z0-9_-]/g, "_");
  const room = MAX_LENGTH - "kostal2mqtt-".length - suffix.length - 1;
  return `kostal2mqtt-${safeHost.slice(0, room)}-${suffix}`;
}

/** This instance's suffix: read from the data folder (validated like any persisted state), or drawn and kept there. */
export function instanceSuffix(dataDir: string | null, warn: (message: string) => void): string {
  const file = new StateFile<StoredSuffix>(dataDir, FILE_NAME, warn);
  const stored = file.load((raw) => {
    const suffix = (raw as Partial<StoredSuffix> | null)?.suffix;
    return typeof suffix === "string" && SUFFIX.test(suffix)
      ? { value: { suffix }, problems: [] }
      : { value: null, problems: ["no client id suffix (6 hex digits): drawing a new one"] };
  });
  if (stored !== null) return stored.suffix;
  const drawn = randomBytes(3).toString("hex");
  file.write({ suffix: drawn });
  return drawn;
}

/** The client id to use: the configured one, else this instance's default. */
export function clientIdFor(
  configured: string,
  dataDir: string | null,
  warn: (message: string) => void,
): string {
  return configured !== "" ? configured : defaultClientId(hostname(), instanceSuffix(dataDir, warn));
}
