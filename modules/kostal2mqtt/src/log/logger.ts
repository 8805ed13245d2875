/**
 * One logger for the process: levels, namespaces, a line format that edgeAgent's log filter understands
 * (`<6> 2026-11-24 10:15:35.243 +00:00 [INF] - poller: message`, iot-edge.md), lazy debug messages, error messages
 * at error level and stacks only at debug. Every line passes through the redactor: no secret is ever written.
 */

export type LogLevel = "error" | "warn" | "info" | "debug";

const LEVELS: Readonly<Record<LogLevel, { rank: number; syslog: number; tag: string }>> = {
  error: { rank: 0, syslog: 3, tag: "ERR" },
  warn: { rank: 1, syslog: 4, tag: "WRN" },
  info: { rank: 2, syslog: 6, tag: "INF" },
  debug: { rank: 3, syslog: 7, tag: "DBG" },
};

export const LOG_LEVELS = Object.keys(LEVELS) as LogLevel[];

type Message = string | (() => string);

export interface Logger {
  error(message: Message, error?: unknown): void;
  warn(message: Message, error?: unknown): void;
  info(message: Message): void;
  debug(message: Message): void;
  child(namespace: string): Logger;
}

/** Replaces every known secret (passwords, keys, connection strings) in a line before it is written. */
export class Redactor {
  private readonly secrets = new Set<string>();

  add(secret: string | undefined | null): void {
    if (secret !== undefined && secret !== null && secret.length >= 3) this.secrets.add(secret);
  }

  redact(text: string): string {
    let result = text;
    for (const secret of this.secrets)
      if (result.includes(secret)) result = result.split(secret).join("[redacted]");
    return result;
  }
}

export interface LoggerOptions {
  level: LogLevel;
  write: (line: string) => void;
  now?: () => number;
  redactor?: Redactor;
}

function timestamp(ms: number): string {
  const iso = new Date(ms).toISOString(); // 2026-11-24T10:15:35.243Z
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)} +00:00`;
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  let text = error.message;
  let cause: unknown = error.cause;
  for (let depth = 0; cause instanceof Error && depth < 3; depth++) {
    if (!text.includes(cause.message)) text += ` (${cause.message})`;
    cause = cause.cause;
  }
  return text;
}

export function createLogger(options: LoggerOptions, namespace = ""): Logger {
  const threshold = LEVELS[options.level].rank;
  const now = options.now ?? Date.now;
  const redactor = options.redactor ?? new Redactor();
  const emit = (level: LogLevel, message: Message, error?: unknown): void => {
    const spec = LEVELS[level];
    if (spec.rank > threshold) return;
    let text = typeof message === "function" ? message() : message;
    if (error !== undefined) text += `: ${errorText(error)}`;
    const prefix = namespace === "" ? "" : `${namespace}: `;
    const line = `<${spec.syslog}> ${timestamp(now())} [${spec.tag}] - ${prefix}${text.replace(/[\r\n]+/g, " ")}`;
    options.write(redactor.redact(line));
    if (error instanceof Error && error.stack !== undefined && threshold >= LEVELS.debug.rank) {
      options.write(
        redactor.redact(`<7> ${timestamp(now())} [DBG] - ${prefix}${error.stack.replace(/\n/g, " | ")}`),
      );
    }
  };
  return {
    error: (message, error) => emit("error", message, error),
    warn: (message, error) => emit("warn", message, error),
    info: (message) => emit("info", message),
    debug: (message) => emit("debug", message),
    child: (child) => createLogger(options, namespace === "" ? child : `${namespace}.${child}`),
  };
}
