import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { loadConfig } from "../config/loadConfig.js";
import { InverterError } from "../piko/errors.js";
import { InvalidInverterAddress } from "../piko/inverterAddress.js";
import { serialiseHistoryEntry } from "../piko/logdaten/historyJson.js";
import { downloadLogDaten, logDatenUrl } from "../piko/logdaten/logDatenDownloader.js";
import { UsageError, type CommandIo } from "./io.js";

async function passwordFrom(file: string | undefined, fallback: string): Promise<string> {
  if (file === undefined) return fallback;
  try {
    // One line: the trailing line break an editor adds is not part of the password.
    return (await readFile(file, "utf8")).replace(/\r?\n$/, "");
  } catch (error) {
    throw new UsageError(
      `--password-file: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? "error"})`,
    );
  }
}

function sinceMs(text: string | undefined): number {
  if (text === undefined) return -Infinity;
  const ms = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms))
    throw new UsageError(`--since: '${text}' is not an ISO 8601 time (2024-06-21T12:00:00Z)`);
  return ms;
}

/**
 * `history [--url URL] [--since ISO] [--user U] [--password-file F]`: downloads an old PIKO's LogDaten.dat and
 * prints one JSON line per row and event (`kind` tells them apart) after `--since`, oldest first; warnings about
 * unreadable cells or a partial download go to stderr. Defaults come from KOSTAL_HOST, KOSTAL_USERNAME and
 * KOSTAL_PASSWORD; a password is never taken as an argument (other users of the machine could see it). Exit 0
 * done, 1 the inverter could not be read, 2 wrong usage.
 */
export async function historyCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: "string" },
      since: { type: "string" },
      user: { type: "string" },
      "password-file": { type: "string" },
    },
  });
  const config = loadConfig(io.env);
  const address = values.url ?? config.kostal.host;
  if (address === "") throw new UsageError("history needs --url URL or KOSTAL_HOST");
  const since = sinceMs(values.since);
  let url: URL;
  try {
    url = logDatenUrl(address);
  } catch (error) {
    if (error instanceof InvalidInverterAddress) throw new UsageError(`--url: ${error.message}`);
    throw error;
  }
  const credentials = {
    username: values.user ?? config.kostal.username,
    password: await passwordFrom(values["password-file"], config.kostal.password),
  };
  try {
    const keep = (_deviceSeconds: number, timeMs: number) => timeMs > since;
    const history = await downloadLogDaten(url, credentials, { now: io.now, keep });
    for (const warning of history.warnings) io.stderr(`warning: ${warning}`);
    for (const entry of history.entries) io.stdout(serialiseHistoryEntry(entry));
    return 0;
  } catch (error) {
    if (!(error instanceof InverterError)) throw error;
    io.stderr(`${error.name}: ${error.message}`);
    return 1;
  }
}
