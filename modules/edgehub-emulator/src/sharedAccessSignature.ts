/**
 * IoT Hub shared access signatures, as the SDK builds them (azure-iot-common shared_access_signature.ts):
 * `SharedAccessSignature sr={urlenc(resource)}&sig={urlenc(b64 HMAC-SHA256(b64dec(key), sr + "\n" + se))}&se={epoch s}`,
 * where the string signed uses `sr` exactly as it appears in the token (already url-encoded).
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";

/** A fresh 256-bit symmetric key, base64, like the ones IoT Hub issues per module identity. */
export function newSymmetricKey(): string {
  return randomBytes(32).toString("base64");
}

/** HMAC-SHA256 with a base64 key over `data`, base64: what the workload API's `sign` returns as `digest`. */
export function hmacSha256Base64(base64Key: string, data: string | Buffer): string {
  return createHmac("sha256", Buffer.from(base64Key, "base64")).update(data).digest("base64");
}

/** `encodeURIComponent` plus the characters the SDK's `encodeUriComponentStrict` also escapes. */
export function encodeUriComponentStrict(text: string): string {
  return encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The resource a module's token must be scoped to. */
export function moduleResource(hostName: string, deviceId: string, moduleId: string): string {
  return `${hostName}/devices/${deviceId}/modules/${moduleId}`;
}

/** Builds a token the way the SDK does; for tests that need a hand-made (e.g. expired or foreign) token. */
export function createSasToken(resource: string, base64Key: string, expiresAtSeconds: number): string {
  const sr = encodeUriComponentStrict(resource);
  const sig = encodeUriComponentStrict(hmacSha256Base64(base64Key, `${sr}\n${expiresAtSeconds}`));
  return `SharedAccessSignature sr=${sr}&sig=${sig}&se=${expiresAtSeconds}`;
}

export type SasVerdict =
  | { ok: true; expiresAtSeconds: number }
  | { ok: false; reason: "malformed" | "wrong resource" | "expired" | "bad signature" };

export interface SasExpectation {
  resource: string;
  base64Key: string;
  nowSeconds: number;
}

function safeDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined; // malformed escape: the caller reports the token as malformed
  }
}

/** Checks a password against the module's key. Never returns or logs the token itself. */
export function verifySasToken(token: string, expected: SasExpectation): SasVerdict {
  const match = /^SharedAccessSignature\s+(.+)$/.exec(token.trim());
  if (match?.[1] === undefined) return { ok: false, reason: "malformed" };
  const fields = new Map<string, string>();
  for (const pair of match[1].split("&")) {
    const at = pair.indexOf("=");
    if (at > 0) fields.set(pair.slice(0, at), pair.slice(at + 1));
  }
  const sr = fields.get("sr");
  const sig = fields.get("sig");
  const se = fields.get("se");
  if (sr === undefined || sig === undefined || se === undefined || !/^\d+$/.test(se)) {
    return { ok: false, reason: "malformed" };
  }
  const resource = safeDecode(sr);
  const signature = safeDecode(sig);
  if (resource === undefined || signature === undefined) return { ok: false, reason: "malformed" };
  if (resource.toLowerCase() !== expected.resource.toLowerCase())
    return { ok: false, reason: "wrong resource" };
  const expiresAtSeconds = Number(se);
  if (expiresAtSeconds <= expected.nowSeconds) return { ok: false, reason: "expired" };
  const wanted = Buffer.from(hmacSha256Base64(expected.base64Key, `${sr}\n${se}`), "utf8");
  const given = Buffer.from(signature, "utf8");
  if (wanted.length !== given.length || !timingSafeEqual(wanted, given)) {
    return { ok: false, reason: "bad signature" };
  }
  return { ok: true, expiresAtSeconds };
}
