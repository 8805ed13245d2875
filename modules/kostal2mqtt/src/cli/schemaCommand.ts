import { dtdlModel } from "../reading/dtdlModel.js";
import { readingJsonSchema } from "../reading/jsonSchema.js";
import type { CommandIo } from "./io.js";

/** `schema`: prints the JSON Schema of the reading (the repo's schema/reading.schema.json is this output). */
export function schemaCommand(_argv: string[], io: CommandIo): Promise<number> {
  io.stdout(JSON.stringify(readingJsonSchema(), null, 2));
  return Promise.resolve(0);
}

/** `dtdl-model`: prints the DTDL model (the repo's modules/kostal2mqtt/model/PikoBridge.json is this output). */
export function dtdlCommand(_argv: string[], io: CommandIo): Promise<number> {
  io.stdout(JSON.stringify(dtdlModel(), null, 2));
  return Promise.resolve(0);
}
