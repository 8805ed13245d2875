/**
 * A module twin as IoT Hub keeps it: desired and reported collections, each with its own `$version` that
 * grows by one per accepted patch. Patches merge recursively and `null` deletes a key (IoT Hub twin docs).
 */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type TwinCollection = { [key: string]: JsonValue };

export interface TwinSnapshot {
  desired: TwinCollection & { $version: number };
  reported: TwinCollection & { $version: number };
}

/** A patch IoT Hub would refuse (HTTP 400): not an object, `$`-keys, keys with '.' or ' ', too deep. */
export class TwinPatchError extends Error {
  override readonly name = "TwinPatchError";
}

const MAX_DEPTH = 10;

function isObject(value: unknown): value is TwinCollection {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function validate(value: unknown, path: string, depth: number): void {
  if (value === null || typeof value === "string" || typeof value === "boolean") return;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TwinPatchError(`${path}: ${value} is not a JSON number`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => validate(item, `${path}[${i}]`, depth + 1));
    return;
  }
  if (!isObject(value)) throw new TwinPatchError(`${path}: ${typeof value} is not a JSON value`);
  if (depth > MAX_DEPTH) throw new TwinPatchError(`${path}: nested deeper than ${MAX_DEPTH} levels`);
  for (const [key, child] of Object.entries(value)) {
    if (key === "" || key.startsWith("$") || /[.\s]/.test(key)) {
      throw new TwinPatchError(`${path}: property name ${JSON.stringify(key)} is not allowed in a twin`);
    }
    validate(child, path === "" ? key : `${path}.${key}`, depth + 1);
  }
}

/** Throws TwinPatchError unless `patch` is a JSON object IoT Hub would accept as a twin patch. */
export function assertTwinPatch(patch: unknown): asserts patch is TwinCollection {
  if (!isObject(patch)) throw new TwinPatchError("a twin patch must be a JSON object");
  validate(patch, "", 1);
}

/** Merges `patch` into `target` in place: objects recursively, anything else replaces, null deletes. */
export function mergeTwinPatch(target: TwinCollection, patch: TwinCollection): void {
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete target[key];
    } else if (isObject(value)) {
      const current = target[key];
      const child: TwinCollection = isObject(current) ? current : {};
      mergeTwinPatch(child, value);
      target[key] = child;
    } else {
      target[key] = structuredClone(value);
    }
  }
}

export class ModuleTwin {
  private readonly desired: TwinCollection = {};
  private readonly reported: TwinCollection = {};
  private desiredVersion = 1;
  private reportedVersion = 1;

  constructor(initialDesired?: TwinCollection) {
    if (initialDesired !== undefined) {
      assertTwinPatch(initialDesired);
      mergeTwinPatch(this.desired, initialDesired);
    }
  }

  /** A deep copy, shaped like the body of `$iothub/twin/res/200`. */
  snapshot(): TwinSnapshot {
    return {
      desired: { ...structuredClone(this.desired), $version: this.desiredVersion },
      reported: { ...structuredClone(this.reported), $version: this.reportedVersion },
    };
  }

  /** Applies a desired patch and returns the new desired `$version`. */
  patchDesired(patch: unknown): number {
    assertTwinPatch(patch);
    mergeTwinPatch(this.desired, patch);
    return ++this.desiredVersion;
  }

  /** Applies a reported patch and returns the new reported `$version`. */
  patchReported(patch: unknown): number {
    assertTwinPatch(patch);
    mergeTwinPatch(this.reported, patch);
    return ++this.reportedVersion;
  }
}
