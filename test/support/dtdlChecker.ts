import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { getInterop } from "@digicatapult/dtdl-parser";
import { DTDL_MODEL_ID } from "../../modules/kostal2mqtt/src/reading/dtdlModel.js";
import { repoPath } from "./paths.js";

/**
 * Microsoft's own DTDL parser (DTDLParser for .NET, as WebAssembly in @digicatapult/dtdl-parser) and checks of
 * values against its object model: what the module sends must be what the model says.
 */

export const parser = await loadParser();

/**
 * The .NET runtime arms a 10 s timer on start to purge a browser download cache; under Node it only holds the test
 * process open for 10 s after the last test. The timers start-up itself waits for (delay 0) are left alone.
 */
async function loadParser(): Promise<Awaited<ReturnType<typeof getInterop>>> {
  const setTimer = globalThis.setTimeout;
  globalThis.setTimeout = ((handler: (...args: unknown[]) => void, delay?: number, ...rest: unknown[]) => {
    const timer = setTimer(() => handler(...rest), delay);
    if ((delay ?? 0) >= 1000) timer.unref();
    return timer;
  }) as unknown as typeof setTimeout;
  try {
    return await getInterop();
  } finally {
    globalThis.setTimeout = setTimer;
  }
}

export interface ParsingError {
  Cause: string;
  ValidationID: string;
  Value?: string | null;
}

/** One element of the parser's object model; only the members the checks below read. */
export interface Entity {
  EntityKind: string;
  Id: string;
  [member: string]: unknown;
}
export type ObjectModel = Record<string, Entity>;

export function parse(modelText: string): { model: ObjectModel } | { errors: ParsingError[] } {
  try {
    return { model: JSON.parse(parser.parse(modelText)) as ObjectModel };
  } catch (error) {
    // The interop throws an Error whose message is the parser's exception as JSON; anything else is no verdict.
    let exception: {
      ExceptionKind: "Parsing" | "Resolution";
      Errors?: ParsingError[];
      UndefinedIdentifiers?: string[];
    };
    try {
      exception = JSON.parse((error as Error).message) as typeof exception;
    } catch {
      throw error;
    }
    if (exception.ExceptionKind === "Resolution") {
      return {
        errors: (exception.UndefinedIdentifiers ?? []).map((id) => ({
          Cause: `${id} is referenced but not defined`,
          ValidationID: "resolution",
        })),
      };
    }
    return { errors: exception.Errors ?? [] };
  }
}

const MODEL_PATH = "modules/kostal2mqtt/model/PikoBridge.json";

export function acceptedModel(): { om: ObjectModel; iface: Entity } {
  const result = parse(readFileSync(repoPath(MODEL_PATH), "utf8"));
  if ("errors" in result) {
    assert.fail(
      `${parser.parserVersion()} rejects ${MODEL_PATH}:\n${result.errors.map((e) => e.Cause).join("\n")}`,
    );
  }
  const iface = result.model[DTDL_MODEL_ID];
  assert.ok(iface, `the object model has no ${DTDL_MODEL_ID}`);
  return { om: result.model, iface };
}

export function member(entity: Entity | undefined, name: string): string {
  const value = entity?.[name];
  assert.equal(typeof value, "string", `${entity?.Id ?? "?"} has no ${name}`);
  return value as string;
}

export function namedIds(iface: Entity, kind: "telemetries" | "properties"): Record<string, string> {
  return iface[kind] as Record<string, string>;
}

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

// RFC 3339 date-time, the wire form of DTDL's dateTime.
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Map keys are twin property names when a Map is a property: IoT Hub allows no control characters, `.`, `$` or
 * space in them, and at most 1 KB (IoT Hub device twin guide, "Tags and properties format").
 */
function twinKeyProblems(key: string, path: string): string[] {
  if (key === "" || key.length > 1024 || /[\u0000-\u001f\u007f-\u009f.$ ]/.test(key))
    return [`${path}: ${JSON.stringify(key)} cannot be a twin property name`];
  return [];
}

/** Where `value` breaks the schema `schemaId` of the object model, as `path: problem` lines. */
export function violations(om: ObjectModel, schemaId: string, value: unknown, path: string): string[] {
  const schema = om[schemaId];
  if (schema === undefined) return [`${path}: schema ${schemaId} is not in the object model`];
  const not = (what: string) => [`${path}: ${JSON.stringify(value)} is not ${what}`];
  switch (schema.EntityKind) {
    case "Boolean":
      return typeof value === "boolean" ? [] : not("a boolean");
    case "Integer":
      return Number.isInteger(value) && Math.abs(value as number) < 2 ** 31 ? [] : not("a 4-byte integer");
    case "Long":
      return Number.isSafeInteger(value) ? [] : not("an 8-byte integer");
    case "Double":
    case "Float":
      return typeof value === "number" && Number.isFinite(value) ? [] : not("a finite number");
    case "String":
      return typeof value === "string" ? [] : not("a string");
    case "DateTime":
      return typeof value === "string" && RFC3339.test(value) && !Number.isNaN(Date.parse(value))
        ? []
        : not("an RFC 3339 date-time");
    case "Enum": {
      const allowed = (schema.enumValues as string[]).map((id) => om[id]?.enumValue);
      return allowed.includes(value) ? [] : not(`one of ${allowed.join(", ")}`);
    }
    case "Object": {
      if (!isPlainObject(value)) return not("an object");
      const fields = new Map(
        (schema.fields as string[]).map((id) => [member(om[id], "name"), member(om[id], "schema")]),
      );
      return Object.entries(value).flatMap(([key, field]) => {
        const fieldSchema = fields.get(key);
        return fieldSchema === undefined
          ? [`${path}.${key}: not a field of the model's object`]
          : violations(om, fieldSchema, field, `${path}.${key}`);
      });
    }
    case "Map": {
      if (!isPlainObject(value)) return not("a map");
      const valueSchema = member(om[member(schema, "mapValue")], "schema");
      return Object.entries(value).flatMap(([key, entry]) => [
        ...twinKeyProblems(key, path),
        ...violations(om, valueSchema, entry, `${path}.${key}`),
      ]);
    }
    case "Array": {
      if (!Array.isArray(value)) return not("an array");
      const elementSchema = member(schema, "elementSchema");
      return value.flatMap((element, i) => violations(om, elementSchema, element, `${path}[${i}]`));
    }
    default:
      return [`${path}: the check knows no ${schema.EntityKind} schema`];
  }
}

/** A telemetry message body against the model's telemetry: every field modelled and of its schema. */
export function telemetryViolations(om: ObjectModel, iface: Entity, body: Record<string, unknown>): string[] {
  const telemetry = namedIds(iface, "telemetries");
  return Object.entries(body).flatMap(([name, value]) => {
    const id = telemetry[name];
    return id === undefined
      ? [`${name}: not telemetry of the model`]
      : violations(om, member(om[id], "schema"), value, name);
  });
}
