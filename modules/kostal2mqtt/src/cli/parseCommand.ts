import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { detectFormat, type PikoFormat } from "../piko/detectFormat.js";
import { defaultDxsInverterId, readDxsAnswers } from "../piko/dxs/dxsReader.js";
import { PageFormat } from "../piko/errors.js";
import { readMpplusDocument } from "../piko/mpplus/mpplusReader.js";
import { parseStatusPage } from "../piko/statusPage.js";
import { sanitiseInverterId, toReading, type PageContent } from "../reading/reading.js";
import { serialiseReading } from "../reading/serialise.js";
import { UsageError, type CommandIo } from "./io.js";

/** The content of a saved answer in its format, with the inverter id it gets when none is given. */
function readSaved(format: PikoFormat, bytes: Buffer): { content: PageContent; defaultId: string } {
  switch (format) {
    case "html": {
      // The page declares ISO-8859-1.
      const page = parseStatusPage(bytes.toString("latin1"));
      return { content: page, defaultId: sanitiseInverterId(page.name) };
    }
    case "dxs": {
      const content = readDxsAnswers([bytes.toString("utf8")]);
      return { content, defaultId: defaultDxsInverterId(content.identity) };
    }
    case "mpplus": {
      const content = readMpplusDocument(bytes.toString("utf8"));
      return { content, defaultId: sanitiseInverterId(content.identity.serial ?? content.name) };
    }
  }
}

/**
 * `parse FILE [--id ID]`: the reading of a saved status page, dxs.json answer or MP plus XML document as one JSON
 * line; exit 2 with one line on stderr naming the file when it is none of them.
 */
export async function parseCommand(argv: string[], io: CommandIo): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { id: { type: "string" } },
  });
  const file = positionals[0];
  if (file === undefined || positionals.length > 1) throw new UsageError("parse takes exactly one FILE");
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    io.stderr(`${file}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? "error"})`);
    return 2;
  }
  // Every format starts in ASCII, so latin1 is good enough to tell them apart.
  const format = detectFormat(bytes.toString("latin1"));
  if (format === null) {
    io.stderr(`${file}: not a PIKO status page, dxs.json answer or MP plus XML document`);
    return 2;
  }
  try {
    const { content, defaultId } = readSaved(format, bytes);
    for (const warning of content.warnings) io.stderr(`${file}: warning: ${warning}`);
    const id = values.id ?? defaultId;
    io.stdout(serialiseReading(toReading(content, sanitiseInverterId(id), io.now())));
    return 0;
  } catch (error) {
    if (!(error instanceof PageFormat)) throw error;
    io.stderr(`${file}: ${error.message}`);
    return 2;
  }
}
