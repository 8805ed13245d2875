/**
 * The checks edgeHub makes on a module's CONNECT (iot-edge.md "Wire protocol"): client id `{device}/{module}`
 * of a known module, username `{hubHostName}/{device}/{module}/?api-version=...[&model-id=...]&DeviceClientType=...`,
 * and a password that is an unexpired SAS token for that module signed with its key.
 */
import { clientIdOf, type ModuleIdentities, type ModuleIdentity } from "./moduleIdentities.js";
import { moduleResource, verifySasToken } from "./sharedAccessSignature.js";

/** What the emulator learnt from an accepted CONNECT. Holds no secret. */
export interface ConnectionInfo {
  readonly deviceId: string;
  readonly moduleId: string;
  readonly clientId: string;
  readonly apiVersion: string;
  /** The DTDL model id announced with `setOptions({ modelId })`, if any. */
  readonly modelId: string | undefined;
  /** The SDK's user agent (`DeviceClientType`), if sent. */
  readonly clientType: string | undefined;
  readonly clean: boolean;
  readonly tokenExpiresAt: Date;
  readonly connectedAt: Date;
}

export type ConnectVerdict =
  { ok: true; identity: ModuleIdentity; info: ConnectionInfo } | { ok: false; reason: string };

export interface ConnectAttempt {
  clientId: string;
  username: string | undefined;
  password: Buffer | undefined;
  clean: boolean;
  now: Date;
}

export function authenticateConnect(
  attempt: ConnectAttempt,
  identities: ModuleIdentities,
  hubHostName: string,
): ConnectVerdict {
  const identity = identities.byClientId(attempt.clientId);
  if (identity === undefined)
    return { ok: false, reason: `unknown client id ${JSON.stringify(attempt.clientId)}` };
  const expectedPrefix = `${hubHostName}/${clientIdOf(identity)}/?`;
  const username = attempt.username ?? "";
  if (!username.startsWith(expectedPrefix)) {
    return { ok: false, reason: `username does not start with ${JSON.stringify(expectedPrefix)}` };
  }
  const query = new URLSearchParams(username.slice(expectedPrefix.length));
  const apiVersion = query.get("api-version");
  if (apiVersion === null || apiVersion === "") return { ok: false, reason: "username has no api-version" };
  if (attempt.password === undefined) return { ok: false, reason: "no password (SAS token) sent" };
  const verdict = verifySasToken(attempt.password.toString("utf8"), {
    resource: moduleResource(hubHostName, identity.deviceId, identity.moduleId),
    base64Key: identity.key,
    nowSeconds: Math.floor(attempt.now.getTime() / 1000),
  });
  if (!verdict.ok) return { ok: false, reason: `SAS token refused: ${verdict.reason}` };
  return {
    ok: true,
    identity,
    info: {
      deviceId: identity.deviceId,
      moduleId: identity.moduleId,
      clientId: attempt.clientId,
      apiVersion,
      modelId: query.get("model-id") ?? undefined,
      clientType: query.get("DeviceClientType") ?? undefined,
      clean: attempt.clean,
      tokenExpiresAt: new Date(verdict.expiresAtSeconds * 1000),
      connectedAt: attempt.now,
    },
  };
}
