import { readFileSync } from "node:fs";
import { repoPath } from "./paths.js";

/**
 * The deployment manifest as the IoT Edge tooling generates it (`iotedgedev genconfig`, the VS Code extension):
 * `${MODULES.<name>}` and `${MODULES.<name>.debug}` become image names, then `$VAR` / `${VAR}` are expanded from
 * `.env` the way os.path.expandvars does (an unknown name is left as it is, which is how `$upstream` and
 * `$edgeAgent` survive). Tests read a module's environment and twin from the result, so the module runs exactly
 * as a deployment would start it.
 */

export type Json = Record<string, unknown>;

/** `KEY=value` lines of a .env file; comments and blank lines skipped. */
export function readDotEnv(path: string): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const line of readFileSync(path, "utf8").split(/\r?\n/)) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (match) variables[match[1]!] = match[2]!.trim();
  }
  return variables;
}

export interface GeneratedManifest {
  manifest: Json;
  /** `$NAME` references left unexpanded, other than IoT Edge's own ($upstream, $edgeAgent, ...). */
  unexpanded: string[];
}

const IOT_EDGE_NAMES = new Set(["upstream", "edgeAgent", "edgeHub"]);

export function generateManifest(
  template: string,
  variables: Record<string, string>,
  images: Record<string, string>,
): GeneratedManifest {
  let text = readFileSync(repoPath(template), "utf8").replace(
    /\$\{MODULES\.([A-Za-z0-9_-]+)(\.debug)?\}/g,
    (whole, name: string, debug?: string) => {
      const image = images[name];
      return image === undefined ? whole : `${image}${debug ?? ""}`;
    },
  );
  text = text.replace(
    /\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g,
    (whole, a?: string, b?: string) => {
      const value = variables[(a ?? b)!];
      // JSON-escape the value: it lands inside a string literal.
      return value === undefined ? whole : JSON.stringify(value).slice(1, -1);
    },
  );
  const unexpanded = [...text.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_.-]*)\}?/g)]
    .map((match) => match[1]!)
    .filter((name) => !IOT_EDGE_NAMES.has(name) && !name.startsWith("schema"));
  return { manifest: JSON.parse(text) as Json, unexpanded };
}

function modulesContent(manifest: Json): Record<string, Json> {
  return manifest.modulesContent as Record<string, Json>;
}

/** A module's definition in edgeAgent's desired properties, from a full or a layered manifest. */
export function moduleDefinition(manifest: Json, module: string): Json {
  const agent = modulesContent(manifest).$edgeAgent!;
  const layered = agent[`properties.desired.modules.${module}`] as Json | undefined;
  if (layered !== undefined) return layered;
  const desired = agent["properties.desired"] as { modules: Record<string, Json> };
  const definition = desired.modules[module];
  if (definition === undefined) throw new Error(`no module ${module} in the manifest`);
  return definition;
}

/** The environment edgeAgent gives the module's container (the `env` of its definition). */
export function moduleEnvironment(manifest: Json, module: string): Record<string, string> {
  const env = (moduleDefinition(manifest, module).env ?? {}) as Record<string, { value: unknown }>;
  return Object.fromEntries(Object.entries(env).map(([name, entry]) => [name, String(entry.value)]));
}

/** The module twin's desired properties the manifest sets, or undefined when it leaves them to the twin. */
export function moduleDesired(manifest: Json, module: string): Json | undefined {
  return modulesContent(manifest)[module]?.["properties.desired"] as Json | undefined;
}
