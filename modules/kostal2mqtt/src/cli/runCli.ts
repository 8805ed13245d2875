import { ConfigError } from "../config/loadConfig.js";
import { UsageError, type CommandIo } from "./io.js";

export const USAGE = `Usage: kostal2mqtt <command> [options]

Commands:
  run [--print-config]             run the bridge (IoT Edge module, or readings on stdout); settings from the environment
  parse FILE [--id ID]             print the reading of a saved PIKO status page as one JSON line
  read [--url URL] [--username U] [--password P] [--id ID] [--protocol auto|html|dxs|mpplus]
                                   poll an inverter once (defaults: KOSTAL_HOST, KOSTAL_USERNAME, KOSTAL_PASSWORD,
                                   KOSTAL_PROTOCOL; without an id a dxs or MP plus device is named by its serial)
  history [--url URL] [--since ISO-TIME] [--user U] [--password-file FILE]
                                   print an old PIKO's LogDaten.dat as JSON lines (rows and events, true times)
  simulate [--port N] [--model 10.1|8.3|5.5|4.2|3.6|3.0] [--language de|en|nl] [--speed X] [--name NAME]
           [--username U] [--password P] [--start HH:MM|ISO-TIME] [--fault KIND[:N]] [--address 1-255] [--seed N]
           [--night silent|refuse] [--bind 127.0.0.1|0.0.0.0] [--protocol html|dxs|mpplus] [--home-load W]
                                   run the PIKO simulator on 127.0.0.1 (port 0: any free port)
  healthcheck [--ready]            ask the running bridge's health server (HEALTH_PORT) for /healthz or /readyz
  schema                           print the JSON Schema of a reading
  dtdl-model                       print the module's DTDL v3 (Plug and Play) model
  help                             show this text

Exit codes: 0 done, 1 the inverter could not be read (healthcheck: not healthy), 2 wrong usage, input or
configuration.`;

type Command = (argv: string[], io: CommandIo) => Promise<number>;

const COMMANDS: Readonly<Record<string, () => Promise<Command>>> = {
  run: async () => (await import("./runCommand.js")).runCommand,
  parse: async () => (await import("./parseCommand.js")).parseCommand,
  read: async () => (await import("./readCommand.js")).readCommand,
  history: async () => (await import("./historyCommand.js")).historyCommand,
  simulate: async () => (await import("./simulateCli.js")).simulateCli,
  healthcheck: async () => (await import("./healthcheckCommand.js")).healthcheckCommand,
  schema: async () => (await import("./schemaCommand.js")).schemaCommand,
  "dtdl-model": async () => (await import("./schemaCommand.js")).dtdlCommand,
};

/** Runs one command line; resolves with the exit code. Commands are loaded on demand to keep start-up light. */
export async function runCli(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    io.stdout(USAGE);
    return name === undefined ? 2 : 0;
  }
  const load = COMMANDS[name];
  if (load === undefined) {
    io.stderr(`kostal2mqtt: unknown command '${name}'\n${USAGE}`);
    return 2;
  }
  try {
    return await (
      await load()
    )(rest, io);
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(`kostal2mqtt: ${error.message}`);
      return 2;
    }
    // parseArgs reports unknown or malformed options with these codes.
    const code = (error as { code?: string }).code ?? "";
    if (error instanceof UsageError || code.startsWith("ERR_PARSE_ARGS")) {
      io.stderr(`kostal2mqtt ${name}: ${(error as Error).message} (see 'kostal2mqtt help')`);
      return 2;
    }
    throw error;
  }
}
