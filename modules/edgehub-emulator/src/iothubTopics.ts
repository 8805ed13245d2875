/**
 * The MQTT topics of edgeHub's module protocol (iot-edge.md "Wire protocol"): what a module may publish and
 * subscribe to, how its publishes are classified, and the topics the emulator publishes to it.
 */

export type ModulePublish =
  | { kind: "event"; propertyBag: string }
  | { kind: "twinGet"; rid: string }
  | { kind: "twinReportedPatch"; rid: string }
  | { kind: "methodResponse"; rid: string; status: number }
  | { kind: "forbidden" };

function eventsPrefix(deviceId: string, moduleId: string): string {
  return `devices/${deviceId}/modules/${moduleId}/messages/events/`;
}

/** Splits `a/b/?k=v&k2=v2` into the path and its (decoded) query. `$rid` keeps its `$`. */
function splitQuery(topic: string): { path: string; query: URLSearchParams } {
  const at = topic.indexOf("?");
  if (at < 0) return { path: topic, query: new URLSearchParams() };
  return { path: topic.slice(0, at), query: new URLSearchParams(topic.slice(at + 1)) };
}

/**
 * Classifies a PUBLISH from module `moduleId`. Anything outside the module's own namespace (another module's
 * events, a desired patch, a method request) is "forbidden": IoT Hub closes the connection for it.
 */
export function classifyModulePublish(topic: string, deviceId: string, moduleId: string): ModulePublish {
  const events = eventsPrefix(deviceId, moduleId);
  if (topic.startsWith(events)) {
    const rest = topic.slice(events.length);
    // one optional level of properties, optionally followed by a slash (sendOutputEvent adds it)
    const propertyBag = rest.endsWith("/") ? rest.slice(0, -1) : rest;
    return propertyBag.includes("/") ? { kind: "forbidden" } : { kind: "event", propertyBag };
  }
  if (events === `${topic}/`) return { kind: "event", propertyBag: "" };
  const { path, query } = splitQuery(topic);
  const rid = query.get("$rid");
  if (rid === null || rid === "") return { kind: "forbidden" };
  if (path === "$iothub/twin/GET/") return { kind: "twinGet", rid };
  if (path === "$iothub/twin/PATCH/properties/reported/") return { kind: "twinReportedPatch", rid };
  const methodResponse = /^\$iothub\/methods\/res\/(\d{3})\/$/.exec(path);
  if (methodResponse?.[1] !== undefined) {
    return { kind: "methodResponse", rid, status: Number(methodResponse[1]) };
  }
  return { kind: "forbidden" };
}

/** The topic filters (and everything below them) a module may subscribe to. */
export function subscribableRoots(deviceId: string, moduleId: string): string[] {
  return [
    "$iothub/twin/res/",
    "$iothub/twin/PATCH/properties/desired/",
    "$iothub/methods/POST/",
    `devices/${deviceId}/modules/${moduleId}/inputs/`,
  ];
}

export function maySubscribe(filter: string, deviceId: string, moduleId: string): boolean {
  if (filter.includes("#") && !filter.endsWith("/#")) return false; // '#' only as the last level
  return subscribableRoots(deviceId, moduleId).some(
    (root) => filter.startsWith(root) || filter === root.slice(0, -1),
  );
}

/** MQTT 3.1.1 topic filter matching ('+' one level, '#' this level and everything below). */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === "#") return true;
    if (i >= t.length) return false;
    if (level !== "+" && level !== t[i]) return false;
  }
  return f.length === t.length;
}

export const topics = {
  twinResponse: (status: number, rid: string, version?: number): string =>
    `$iothub/twin/res/${status}/?$rid=${encodeURIComponent(rid)}` +
    (version === undefined ? "" : `&$version=${version}`),
  desiredPatch: (version: number): string => `$iothub/twin/PATCH/properties/desired/?$version=${version}`,
  methodRequest: (name: string, rid: string): string =>
    `$iothub/methods/POST/${name}/?$rid=${encodeURIComponent(rid)}`,
};

/** Decodes the `&`-separated, url-encoded property bag of an events topic, keeping the order sent. */
export function decodePropertyBag(bag: string): Array<[string, string]> {
  if (bag === "") return [];
  const pairs: Array<[string, string]> = [];
  for (const part of bag.split("&")) {
    if (part === "") continue;
    const at = part.indexOf("=");
    const key = at < 0 ? part : part.slice(0, at);
    const value = at < 0 ? "" : part.slice(at + 1);
    pairs.push([decodeLenient(key), decodeLenient(value)]);
  }
  return pairs;
}

function decodeLenient(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // a stray '%' is kept as sent rather than losing the property
  }
}
