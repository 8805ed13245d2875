/**
 * The emulator's own PKI: a CA (what IoT Edge hands modules as the trust bundle) and a server certificate
 * for 127.0.0.1/localhost signed by it, so the SDK verifies the TLS connection exactly as it does against
 * a real edgeHub (`EdgeModuleCACertificateFile` or the workload API's trust bundle). Nothing is self-trusted
 * and `rejectUnauthorized` stays on.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generate } from "selfsigned";

export interface EmulatorCertificates {
  /** PEM of the CA that signed the server certificate: the "trust bundle". */
  caCert: string;
  /** PEM of the server certificate (SAN: localhost, 127.0.0.1, ::1). */
  serverCert: string;
  /** PEM of the server's private key. */
  serverKey: string;
}

const VALID_DAYS = 30;

/** EC P-256 keys: a few milliseconds to generate, so every emulator gets fresh ones. */
export async function generateEmulatorCertificates(
  commonName = "edgeHub emulator",
): Promise<EmulatorCertificates> {
  const notBeforeDate = new Date(Date.now() - 60_000); // tolerate small clock skew between processes
  const notAfterDate = new Date(notBeforeDate.getTime() + VALID_DAYS * 86_400_000);
  const ca = await generate([{ name: "commonName", value: `${commonName} CA` }], {
    keyType: "ec",
    algorithm: "sha256",
    notBeforeDate,
    notAfterDate,
    extensions: [
      { name: "basicConstraints", cA: true, pathLenConstraint: 0, critical: true },
      { name: "keyUsage", keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  const server = await generate([{ name: "commonName", value: "localhost" }], {
    keyType: "ec",
    algorithm: "sha256",
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: "basicConstraints", cA: false },
      { name: "keyUsage", digitalSignature: true, keyEncipherment: true },
      { name: "extKeyUsage", serverAuth: true },
      {
        name: "subjectAltName",
        altNames: [
          { type: 2, value: "localhost" },
          { type: 7, ip: "127.0.0.1" },
          { type: 7, ip: "::1" },
        ],
      },
    ],
  });
  return { caCert: ca.cert, serverCert: server.cert, serverKey: server.private };
}

/** A private temporary directory for the CA file and the workload socket, removed by `remove()`. */
export class EmulatorScratchDirectory {
  private constructor(readonly path: string) {}

  static async create(): Promise<EmulatorScratchDirectory> {
    return new EmulatorScratchDirectory(await mkdtemp(join(tmpdir(), "edgehub-emulator-")));
  }

  async writeCaFile(caCert: string): Promise<string> {
    const file = join(this.path, "edgehub-ca.pem");
    await writeFile(file, caCert, { mode: 0o600 });
    return file;
  }

  socketPath(name: string): string {
    return join(this.path, name);
  }

  async remove(): Promise<void> {
    await rm(this.path, { recursive: true, force: true });
  }
}
