import { createHash, timingSafeEqual } from "node:crypto";

/** A user and password, as the inverter's settings hold them and as a Basic authorization header carries them. */
export interface Credentials {
  readonly username: string;
  readonly password: string;
}

const BASIC = /^basic\s+([a-z0-9+/]+={0,2})\s*$/i;

/** The credentials of an `Authorization: Basic ...` header, or null when there is none or it is malformed. */
export function basicCredentials(header: string | undefined): Credentials | null {
  const match = header === undefined ? null : BASIC.exec(header);
  if (match === null) return null;
  const text = Buffer.from(match[1]!, "base64").toString("utf8");
  const colon = text.indexOf(":");
  return colon < 0 ? null : { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** Compared in constant time (over digests, so the lengths do not tell either), never by `===`. */
export function sameCredentials(given: Credentials, configured: Credentials): boolean {
  const digest = (c: Credentials) => createHash("sha256").update(`${c.username}\u0000${c.password}`).digest();
  return timingSafeEqual(digest(given), digest(configured));
}
