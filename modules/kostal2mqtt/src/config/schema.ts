import type { Schema } from "convict";
import { InvalidInverterAddress, statusPageUrl } from "../piko/inverterAddress.js";
import { isInverterId } from "../reading/reading.js";
import { LOG_LEVELS, type LogLevel } from "../log/logger.js";

/**
 * The one configuration schema: every setting with its doc, format, default and environment variable (the
 * original kostal2mqtt script's names where it had one). Sensitive settings are redacted by convict and may also
 * come from `<NAME>_FILE` (a mounted secret). Validators never echo a value of a sensitive setting.
 */
export interface AppConfig {
  kostal: {
    host: string;
    id: string;
    username: string;
    password: string;
    timeoutSeconds: number;
  };
  scrapeIntervalSeconds: number;
  logLevel: LogLevel;
}

function numberBetween(min: number, max: number, integer: boolean) {
  return (value: unknown): void => {
    if (typeof value !== "number" || Number.isNaN(value) || (integer && !Number.isInteger(value))) {
      throw new Error(`must be ${integer ? "a whole number" : "a number"} from ${min} to ${max}`);
    }
    if (value < min || value > max) throw new Error(`must be from ${min} to ${max}`);
  };
}

/** Never says what the value was: the same check guards passwords. */
function printableText(maxLength: number) {
  return (value: unknown): void => {
    if (typeof value !== "string") throw new Error("must be text");
    if (value.length > maxLength) throw new Error(`must be at most ${maxLength} characters`);
    if (/[\x00-\x1f\x7f]/.test(value)) throw new Error("must not contain control characters");
  };
}

export const CONFIG_SCHEMA: Schema<AppConfig> = {
  kostal: {
    host: {
      doc: "The inverter: host, host:port or http://host:port (empty: no inverter configured yet)",
      format: (value: unknown) => {
        if (typeof value !== "string") throw new Error("must be text");
        if (value.trim() === "") return;
        try {
          statusPageUrl(value);
        } catch (error) {
          throw new Error(error instanceof InvalidInverterAddress ? error.message : "is not a valid address");
        }
      },
      default: "",
      env: "KOSTAL_HOST",
    },
    id: {
      doc: "The inverter id in readings and topics ([a-z0-9_-]); empty: made from the host",
      format: (value: unknown) => {
        if (typeof value !== "string" || (value !== "" && !isInverterId(value))) {
          throw new Error("must be 1 to 64 characters of a-z, 0-9, _ and -");
        }
      },
      default: "",
      env: "KOSTAL_ID",
    },
    username: {
      doc: "The inverter's web user (the PIKO's default is pvserver)",
      format: printableText(64),
      default: "pvserver",
      env: "KOSTAL_USERNAME",
    },
    password: {
      doc: "The inverter's web password (the PIKO's default is pvwr); or KOSTAL_PASSWORD_FILE",
      format: printableText(128),
      default: "pvwr",
      env: "KOSTAL_PASSWORD",
      sensitive: true,
    },
    timeoutSeconds: {
      doc: "Seconds the inverter has to answer a request, body included",
      format: numberBetween(0.5, 60, false),
      default: 5,
      env: "KOSTAL_TIMEOUT",
    },
  },
  scrapeIntervalSeconds: {
    doc: "Seconds between two polls of an inverter (at least 2: faster polling knocks PIKO web servers over)",
    format: numberBetween(2, 3600, true),
    default: 10,
    env: "SCRAPE_INTERVAL",
  },
  logLevel: {
    doc: `Log level: ${LOG_LEVELS.join(", ")}`,
    format: LOG_LEVELS,
    default: "info",
    env: "LOG_LEVEL",
  },
};
