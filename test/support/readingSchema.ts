import { AssertionError } from "node:assert";
import { afterEach } from "node:test";
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import { readingJsonSchema } from "../../modules/kostal2mqtt/src/reading/jsonSchema.js";
import type { Reading } from "../../modules/kostal2mqtt/src/reading/reading.js";
import { serialiseReading } from "../../modules/kostal2mqtt/src/reading/serialise.js";

/**
 * The consumers' contract (issue 13): every reading the tests produce validates against the published JSON Schema
 * (schema/reading.schema.json, generated from the field table), checked with ajv as a consumer would. The harnesses
 * that make or capture readings call these, so an invalid reading fails the test that produced it.
 */

let compiled: ValidateFunction | null = null;

/** The schema compiled once, strictly; `date-time` is the serialiser's exact form (ISO-8601 UTC with ms). */
export function readingValidator(): ValidateFunction {
  if (compiled !== null) return compiled;
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  ajv.addKeyword("x-unit");
  ajv.addFormat("date-time", /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
  compiled = ajv.compile(readingJsonSchema());
  return compiled;
}

/** Why `value` (a reading's JSON text, or the parsed object) is not a valid reading, or null when it is. */
export function readingProblems(value: unknown): string | null {
  const validate = readingValidator();
  return validate(value) ? null : JSON.stringify(validate.errors);
}

/**
 * Throws (naming `source`) unless the reading is valid both as the object the code holds and as the JSON the
 * outputs write (serialiseReading); a string is taken as a payload and parsed.
 */
export function assertValidReading(reading: Reading | string, source: string): void {
  const forms: Array<[string, unknown]> =
    typeof reading === "string"
      ? [["payload", JSON.parse(reading)]]
      : [
          ["object", reading],
          ["JSON", JSON.parse(serialiseReading(reading))],
        ];
  for (const [form, value] of forms) {
    const problems = readingProblems(value);
    if (problems !== null) {
      throw new AssertionError({
        message: `${source}: invalid reading (${form}) against the JSON Schema: ${problems}\n${JSON.stringify(value)}`,
      });
    }
  }
}

const deferred: string[] = [];

/**
 * For readings met where a throw would not reach the test (inside an output, which the bridge guards; in an MQTT
 * message handler): the problem is kept, and the running test fails in its afterEach.
 */
export function checkReadingLater(reading: Reading | string, source: string): void {
  try {
    assertValidReading(reading, source);
  } catch (error) {
    deferred.push((error as Error).message);
  }
}

// Registered on the root of every test file that imports this module (directly or through a harness).
afterEach(() => {
  if (deferred.length > 0) throw new AssertionError({ message: deferred.splice(0).join("\n") });
});
