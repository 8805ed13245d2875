/**
 * What a running emulator owns outside the process: fresh certificates, a scratch directory with the CA
 * file (and the workload socket), the TLS MQTT listener and, if asked for, the workload API.
 */
import type { Aedes } from "aedes";
import {
  EmulatorScratchDirectory,
  generateEmulatorCertificates,
  type EmulatorCertificates,
} from "./certificates.js";
import type { ModuleIdentities } from "./moduleIdentities.js";
import { TlsMqttServer, type EmulatorLog } from "./tlsMqttServer.js";
import { WorkloadApiServer } from "./workloadApi.js";

export interface EndpointOptions {
  createBroker: () => Promise<Aedes>;
  identities: ModuleIdentities;
  workloadApi: boolean;
  log: EmulatorLog;
}

export class EmulatorEndpoints {
  private constructor(
    readonly certificates: EmulatorCertificates,
    readonly caFile: string,
    readonly mqtt: TlsMqttServer,
    readonly workload: WorkloadApiServer | undefined,
    private readonly scratch: EmulatorScratchDirectory,
  ) {}

  /** Generates the certificates, writes the CA file and listens on an ephemeral port on 127.0.0.1. */
  static async open(options: EndpointOptions): Promise<EmulatorEndpoints> {
    const certificates = await generateEmulatorCertificates();
    const scratch = await EmulatorScratchDirectory.create();
    let mqtt: TlsMqttServer | undefined;
    try {
      const caFile = await scratch.writeCaFile(certificates.caCert);
      const tls = { key: certificates.serverKey, cert: certificates.serverCert };
      mqtt = new TlsMqttServer(tls, options.createBroker, options.log);
      await mqtt.listen();
      const socketPath = scratch.socketPath("workload.sock");
      const workload = options.workloadApi
        ? new WorkloadApiServer(socketPath, options.identities, () => certificates.caCert, options.log)
        : undefined;
      await workload?.start();
      return new EmulatorEndpoints(certificates, caFile, mqtt, workload, scratch);
    } catch (error) {
      await mqtt?.close();
      await scratch.remove();
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.mqtt.close();
    await this.workload?.stop();
    await this.scratch.remove();
  }
}
