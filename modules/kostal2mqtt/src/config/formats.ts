import { isIP } from "node:net";
import convict from "convict";
import { InvalidInverterAddress, statusPageUrl } from "../piko/inverterAddress.js";
import { isInverterId } from "../reading/reading.js";

/**
 * The rules a setting's value must meet, as convict format functions: each throws an Error saying what is wanted.
 * The same functions check the environment (after convict's coercion) and the module twin's desired properties
 * (JSON values, no coercion), so a rule is written once. None ever quotes the value: the same checks guard
 * passwords and connection strings.
 */
export type Format = (value: unknown) => void;

/** A number range, kept on the function so documents (README, DTDL) can say it without repeating it. */
export interface RangeFormat extends Format {
  readonly range: { min: number; max: number; integer: boolean };
}

const FLAG_WORDS: Readonly<Record<string, boolean>> = {
  true: true,
  false: false,
  "1": true,
  "0": false,
  yes: true,
  no: false,
  on: true,
  off: false,
};

/** true or false; the environment may also write 1/0, yes/no, on/off (coerced by convict's `flag` format). */
export const flag: Format = (value) => {
  if (typeof value !== "boolean") throw new Error("must be true or false");
};

convict.addFormat({
  name: "flag",
  validate: flag,
  coerce: (value: unknown) =>
    typeof value === "string" ? (FLAG_WORDS[value.trim().toLowerCase()] ?? value) : value,
});

export function numberBetween(min: number, max: number, integer: boolean): RangeFormat {
  const format = (value: unknown): void => {
    if (typeof value !== "number" || Number.isNaN(value) || (integer && !Number.isInteger(value))) {
      throw new Error(`must be ${integer ? "a whole number" : "a number"} from ${min} to ${max}`);
    }
    if (value < min || value > max) throw new Error(`must be from ${min} to ${max}`);
  };
  return Object.assign(format, { range: { min, max, integer } });
}

/** Text without control characters, at most `maxLength` characters. */
export function printableText(maxLength: number): Format {
  return (value) => {
    if (typeof value !== "string") throw new Error("must be text");
    if (value.length > maxLength) throw new Error(`must be at most ${maxLength} characters`);
    if (/[\x00-\x1f\x7f]/.test(value)) throw new Error("must not contain control characters");
  };
}

/** The same rule, or empty text (a setting that is off or not given; blanks count as empty, as in `.env`). */
export function optional(format: Format): Format {
  return (value) => {
    if (typeof value === "string" && value.trim() === "") return;
    format(value);
  };
}

/** One of a few words, exactly as written (a list of choices keeps it on the function for documents). */
export function oneOf(choices: readonly string[]): Format & { readonly choices: readonly string[] } {
  const format = (value: unknown): void => {
    if (typeof value !== "string" || !choices.includes(value))
      throw new Error(`must be one of ${choices.join(", ")}`);
  };
  return Object.assign(format, { choices });
}

/** An inverter's address: host, host:port or http(s)://host:port, without credentials. */
export const inverterHost: Format = (value) => {
  if (typeof value !== "string") throw new Error("must be text");
  try {
    statusPageUrl(value);
  } catch (error) {
    // The address check's message never quotes credentials; anything else is not worth quoting at all.
    throw new Error(error instanceof InvalidInverterAddress ? error.message : "is not a valid address");
  }
};

export const inverterId: Format = (value) => {
  if (typeof value !== "string" || !isInverterId(value)) {
    throw new Error("must be 1 to 64 characters of a-z, 0-9, _ and -");
  }
};

/**
 * JSON text (its shape is checked where it is used). A problem names at most the position: the text may hold
 * passwords, and JSON.parse's own message quotes it.
 */
export function jsonText(what: string): Format {
  return (value) => {
    if (typeof value !== "string") throw new Error("must be text");
    try {
      JSON.parse(value);
    } catch (error) {
      const position = /at position (\d+)/.exec(error instanceof Error ? error.message : "")?.[1];
      const where = position === undefined ? "" : `: not valid at character ${position}`;
      throw new Error(`must be JSON (${what})${where}`);
    }
  };
}

/** Empty, or a decimal number from -limit to limit (a coordinate). */
export function optionalCoordinate(limit: number): Format {
  return (value) => {
    if (typeof value !== "string") throw new Error("must be text");
    if (value.trim() === "") return;
    const number = Number(value);
    if (!/^-?\d+(\.\d+)?$/.test(value.trim()) || Math.abs(number) > limit) {
      throw new Error(`must be a decimal number from -${limit} to ${limit} (degrees)`);
    }
  };
}

/** An MQTT topic to publish to: no wildcards, no NUL, no empty level at the start. */
export function publishTopic(allowEmpty: boolean): Format {
  return (value) => {
    if (typeof value !== "string") throw new Error("must be text");
    if (value === "" && allowEmpty) return;
    if (value === "" || /[+#\u0000]/.test(value) || value.startsWith("/") || value.length > 200) {
      throw new Error("must be a topic without +, #, a leading / or NUL, at most 200 characters");
    }
  };
}

export const ipAddress: Format = (value) => {
  if (typeof value !== "string" || !isIP(value)) throw new Error("must be an IP address such as 127.0.0.1");
};

/** A host name, or host:port: what IoT Edge puts in its host name variables. */
export const hostName: Format = (value) => {
  if (typeof value !== "string" || !/^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})(:\d{1,5})?$/.test(value)) {
    throw new Error("must be a host name (letters, digits, . and -), optionally with :port");
  }
};

/** An IoT Hub device or module id: up to 128 characters, no spaces or control characters. */
export const hubIdentity: Format = (value) => {
  if (typeof value !== "string" || !/^[A-Za-z0-9\-.%_*?!(),:=@$']{1,128}$/.test(value)) {
    throw new Error("must be an IoT Hub id: 1 to 128 letters, digits or -.%_*?!(),:=@$'");
  }
};

/** The IoT Edge workload API: `unix:///path.sock` (edgelet) or an http(s) URL. */
export const workloadUri: Format = (value) => {
  let url: URL;
  try {
    url = new URL(typeof value === "string" ? value : "");
  } catch {
    throw new Error("must be a URL such as unix:///var/run/iotedge/workload.sock");
  }
  if (!["unix:", "http:", "https:"].includes(url.protocol))
    throw new Error("must be a unix:, http: or https: URL");
};

/** The SDK accepts only this scheme (module_client.ts: anything else is "not a supported scheme"). */
export const authScheme: Format = (value) => {
  if (typeof value !== "string" || value.toLowerCase() !== "sastoken") throw new Error("must be sasToken");
};

/**
 * `HostName=...;DeviceId=...;ModuleId=...;SharedAccessKey=...` (GatewayHostName optional; a signature or x509
 * instead of the key). Secret: a problem names the missing keys, never a value.
 */
export const moduleConnectionString: Format = (value) => {
  if (typeof value !== "string") throw new Error("must be text");
  const keys = new Set<string>();
  for (const part of value.split(";")) {
    if (part.trim() === "") continue;
    const equals = part.indexOf("=");
    if (equals <= 0) throw new Error("must be Key=value pairs separated by ;");
    keys.add(part.slice(0, equals).trim());
  }
  const missing = ["HostName", "DeviceId", "ModuleId"].filter((key) => !keys.has(key));
  if (!["SharedAccessKey", "SharedAccessSignature", "x509"].some((key) => keys.has(key)))
    missing.push("SharedAccessKey");
  if (missing.length > 0) throw new Error(`a module connection string needs ${missing.join(", ")}`);
};
