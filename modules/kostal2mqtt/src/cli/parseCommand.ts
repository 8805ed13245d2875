import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { PageFormat } from "../piko/errors.js";
import { parseStatusPage } from "../piko/statusPage.js";
import { sanitiseInverterId, toReading } from "../reading/reading.js";
import { serialiseReading } from "../reading/serialise.js";
import { UsageError, type CommandIo } from "./io.js";

/** `parse FILE [--id ID]`: the reading of a saved status page as one JSON line; exit 2 if it is not one. */
export async function parseCommand(argv: string[], io: CommandIo): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { id: { type: "string" } },
  });
  const file = positionals[0];
  if (file === undefined || positionals.length > 1) throw new UsageError("parse takes exactly one FILE");
  let html: string;
  try {
    html = await readFile(file, "latin1");
  } catch (error) {
    io.stderr(`${file}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? "error"})`);
    return 2;
  }
  try {
    const page = parseStatusPage(html);
    for (const warning of page.warnings) io.stderr(`${file}: warning: ${warning}`);
    const id = values.id ?? sanitiseInverterId(page.name);
    io.stdout(serialiseReading(toReading(page, sanitiseInverterId(id), io.now())));
    return 0;
  } catch (error) {
    if (!(error instanceof PageFormat)) throw error;
    io.stderr(`${file}: ${error.message}`);
    return 2;
  }
}
