/**
 * The module identities the emulated edge device knows: like IoT Hub's registry, each module has its own
 * symmetric key (a random one unless the caller supplies it) and a generation id (used by the workload API).
 */
import { randomBytes } from "node:crypto";
import { newSymmetricKey } from "./sharedAccessSignature.js";

export interface ModuleIdentity {
  readonly deviceId: string;
  readonly moduleId: string;
  /** Base64 symmetric key. A secret: never log it. */
  readonly key: string;
  /** Changes when a module is re-created; IoT Edge puts it in IOTEDGE_MODULEGENERATIONID. */
  readonly generationId: string;
}

/** Module ids as IoT Hub accepts them: 1-128 of a-zA-Z0-9 and -:.+%_#*?!(),=@;$' . No slash. */
const MODULE_ID = /^[A-Za-z0-9\-:.+%_#*?!(),=@;$']{1,128}$/;

export class ModuleIdentities {
  private readonly modules = new Map<string, ModuleIdentity>();

  constructor(readonly deviceId: string) {
    if (!MODULE_ID.test(deviceId)) throw new RangeError(`invalid device id: ${JSON.stringify(deviceId)}`);
  }

  /** Registers a module (or returns the existing identity). A given key must match an existing one. */
  ensure(moduleId: string, key?: string): ModuleIdentity {
    if (!MODULE_ID.test(moduleId)) throw new RangeError(`invalid module id: ${JSON.stringify(moduleId)}`);
    const existing = this.modules.get(moduleId);
    if (existing !== undefined) {
      if (key !== undefined && key !== existing.key) {
        throw new Error(`module ${moduleId} is already registered with another key`);
      }
      return existing;
    }
    const identity: ModuleIdentity = {
      deviceId: this.deviceId,
      moduleId,
      key: key ?? newSymmetricKey(),
      generationId: randomBytes(9).toString("base64url"),
    };
    this.modules.set(moduleId, identity);
    return identity;
  }

  get(moduleId: string): ModuleIdentity | undefined {
    return this.modules.get(moduleId);
  }

  /** The identity behind an MQTT client id `{deviceId}/{moduleId}`, if it is one of ours. */
  byClientId(clientId: string): ModuleIdentity | undefined {
    const slash = clientId.indexOf("/");
    if (slash < 0 || clientId.slice(0, slash) !== this.deviceId) return undefined;
    return this.modules.get(clientId.slice(slash + 1));
  }

  ids(): string[] {
    return [...this.modules.keys()];
  }
}

export function clientIdOf(identity: Pick<ModuleIdentity, "deviceId" | "moduleId">): string {
  return `${identity.deviceId}/${identity.moduleId}`;
}
