import { PAGE_MAX_BYTES } from "../config/defaults.js";
import { parseArgs } from "node:util";
import { loadConfig } from "../config/loadConfig.js";
import { InverterError } from "../piko/errors.js";
import { InvalidInverterAddress, statusPageUrl } from "../piko/inverterAddress.js";
import { InverterClient } from "../piko/inverterClient.js";
import { isProtocolSetting, PROTOCOL_SETTINGS } from "../piko/protocolProbe.js";
import { sanitiseInverterId } from "../reading/reading.js";
import { serialiseReading } from "../reading/serialise.js";
import { UsageError, type CommandIo } from "./io.js";

/**
 * `read [--url URL] [--username U] [--password P] [--id ID] [--protocol P]`: one live poll, printed as one JSON
 * line. Defaults come from KOSTAL_HOST, KOSTAL_USERNAME, KOSTAL_PASSWORD, KOSTAL_PROTOCOL (prefer the environment for the password: arguments are
 * visible to other users of the machine). Unreachable, refused or unreadable: one clear line, exit 1.
 */
export async function readCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      url: { type: "string" },
      username: { type: "string" },
      password: { type: "string" },
      id: { type: "string" },
      protocol: { type: "string" },
    },
  });
  const config = loadConfig(io.env);
  const address = values.url ?? config.kostal.host;
  if (address === "") throw new UsageError("read needs --url URL or KOSTAL_HOST");
  let url: URL;
  try {
    url = statusPageUrl(address);
  } catch (error) {
    if (error instanceof InvalidInverterAddress) throw new UsageError(`--url: ${error.message}`);
    throw error;
  }
  const protocol = values.protocol ?? config.kostal.protocol;
  if (!isProtocolSetting(protocol))
    throw new UsageError(`--protocol must be one of ${PROTOCOL_SETTINGS.join(", ")}`);
  const configuredId = values.id ?? (config.kostal.id || undefined);
  const client = new InverterClient({
    id: sanitiseInverterId(configuredId ?? url.hostname),
    idFromDevice: configuredId === undefined,
    protocol,
    url,
    credentials: {
      username: values.username ?? config.kostal.username,
      password: values.password ?? config.kostal.password,
    },
    limits: { timeoutMs: config.kostal.timeoutSeconds * 1000, maxBytes: PAGE_MAX_BYTES },
    now: io.now,
  });
  try {
    const { reading, warnings } = await client.read();
    for (const warning of warnings) io.stderr(`warning: ${warning}`);
    io.stdout(serialiseReading(reading));
    return 0;
  } catch (error) {
    if (!(error instanceof InverterError)) throw error;
    io.stderr(`${error.name}: ${error.message}`);
    return 1;
  } finally {
    client.close();
  }
}
