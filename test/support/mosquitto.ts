import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateEmulatorCertificates } from "../../modules/edgehub-emulator/src/certificates.js";

/**
 * A real mosquitto for the integration tests: started by the test on ephemeral loopback ports, with a password
 * file, a plain listener and a TLS listener (its own CA), persistence in a temporary folder so a restart keeps
 * sessions. Missing mosquitto: the tests are skipped, except in CI (`CI=true`), where they fail.
 */

const CANDIDATES = ["mosquitto", "/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto"];
const PASSWD_CANDIDATES = ["mosquitto_passwd", "/usr/bin/mosquitto_passwd"];

function findExecutable(candidates: string[]): string | null {
  for (const candidate of candidates) {
    if (candidate.includes("/") ? existsSync(candidate) : spawnSync("which", [candidate]).status === 0)
      return candidate;
  }
  return null;
}

export const MOSQUITTO = findExecutable(CANDIDATES);

/** node:test options: skip without mosquitto, but never in CI. */
export const mosquittoTestOptions =
  MOSQUITTO !== null || process.env.CI === "true"
    ? {}
    : { skip: "mosquitto is not installed (apt-get install mosquitto)" };

export function requireMosquitto(): string {
  if (MOSQUITTO === null)
    throw new Error("mosquitto is not installed: .ci/run installs it (apt-get install mosquitto)");
  return MOSQUITTO;
}

/** A port that was free a moment ago on 127.0.0.1 (the system chooses it). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Resolves once something accepts connections on 127.0.0.1:port; monotonic time, so a faked wall clock cannot cut it short. */
export async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    if (performance.now() > deadline) throw new Error(`mosquitto did not listen on ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * What a site may have configured besides the listeners and the passwords: extra lines of mosquitto.conf (e.g.
 * `message_size_limit 4096`) and an ACL file (mosquitto's format: `user NAME`, then `topic read|write|readwrite T`).
 */
export interface BrokerLimits {
  conf?: string[];
  acl?: string;
}

export class Mosquitto {
  private process: ChildProcess | null = null;
  readonly log: string[] = [];
  private baseConf = "";

  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly tlsPort: number,
    readonly caFile: string,
  ) {}

  static async start(users: Record<string, string>, limits: BrokerLimits = {}): Promise<Mosquitto> {
    const binary = requireMosquitto();
    const dir = await mkdtemp(join(tmpdir(), "k2m-mosquitto-"));
    const certificates = await generateEmulatorCertificates("mosquitto test");
    await writeFile(join(dir, "ca.pem"), certificates.caCert);
    await writeFile(join(dir, "server.pem"), certificates.serverCert);
    await writeFile(join(dir, "server.key"), certificates.serverKey, { mode: 0o600 });
    const passwd = findExecutable(PASSWD_CANDIDATES);
    if (passwd === null) throw new Error("mosquitto_passwd is not installed");
    await writeFile(join(dir, "passwd"), "");
    for (const [user, password] of Object.entries(users)) {
      const result = spawnSync(passwd, ["-b", join(dir, "passwd"), user, password]);
      if (result.status !== 0) throw new Error(`mosquitto_passwd failed: ${result.stderr.toString()}`);
    }
    const [port, tlsPort] = [await freePort(), await freePort()];
    const broker = new Mosquitto(dir, port, tlsPort, join(dir, "ca.pem"));
    broker.baseConf = [
      "user root",
      "per_listener_settings false",
      "allow_anonymous false",
      `password_file ${join(dir, "passwd")}`,
      "persistence true",
      `persistence_location ${dir}/`,
      "log_dest stdout",
      `listener ${port} 127.0.0.1`,
      `listener ${tlsPort} 127.0.0.1`,
      `cafile ${join(dir, "ca.pem")}`,
      `certfile ${join(dir, "server.pem")}`,
      `keyfile ${join(dir, "server.key")}`,
    ].join("\n");
    await broker.configure(limits);
    await broker.run(binary);
    return broker;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /**
   * Stops (SIGTERM: persistence is saved) and starts again on the same ports, after `downMs` (the outage's length,
   * not a wait for anything), with other limits when they are given.
   */
  async restart(downMs = 0, limits?: BrokerLimits): Promise<void> {
    await this.stopProcess();
    if (limits !== undefined) await this.configure(limits);
    if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
    await this.run(requireMosquitto());
  }

  /** Writes mosquitto.conf: the listeners and passwords, then the site's limits (read at the next start). */
  private async configure(limits: BrokerLimits): Promise<void> {
    const lines = [this.baseConf, ...(limits.conf ?? [])];
    if (limits.acl !== undefined) {
      await writeFile(join(this.dir, "acl"), limits.acl);
      lines.push(`acl_file ${join(this.dir, "acl")}`);
    }
    await writeFile(join(this.dir, "mosquitto.conf"), [...lines, ""].join("\n"));
  }

  /** An outage: the broker process ends (saving its persistence) until `resume()`. */
  async pause(): Promise<void> {
    await this.stopProcess();
  }

  async resume(): Promise<void> {
    await this.run(requireMosquitto());
  }

  async stop(): Promise<void> {
    await this.stopProcess();
    await rm(this.dir, { recursive: true, force: true });
  }

  private async run(binary: string): Promise<void> {
    const child = spawn(binary, ["-c", join(this.dir, "mosquitto.conf")], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout?.on("data", (chunk: Buffer) => this.log.push(chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => this.log.push(chunk.toString()));
    this.process = child;
    await waitForPort(this.port, 10_000);
    await waitForPort(this.tlsPort, 10_000);
  }

  private async stopProcess(): Promise<void> {
    const child = this.process;
    this.process = null;
    if (child === null || child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    await exited;
  }
}
