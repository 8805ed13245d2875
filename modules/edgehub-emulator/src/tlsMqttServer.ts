/**
 * The transport side of the emulator: an aedes broker behind a node:tls server on 127.0.0.1, with the
 * controls a test needs to fake edgeHub's failures. The broker (and with it the MQTT session state aedes
 * keeps in memory) survives `closeListener()`/`listen()`; `replaceBroker()` starts from a blank one, like
 * an edgeHub container that restarted without its storage.
 */
import type { Socket } from "node:net";
import { createServer, type Server, type TLSSocket } from "node:tls";
import type { Aedes } from "aedes";

export interface TlsIdentity {
  key: string;
  cert: string;
}

export type EmulatorLogLevel = "debug" | "info" | "warn" | "error";
export type EmulatorLog = (level: EmulatorLogLevel, message: string) => void;

export class TlsMqttServer {
  private broker: Aedes | undefined;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private boundPort = 0;
  /** TCP connections accepted, over the emulator's whole life. */
  acceptedSockets = 0;

  constructor(
    private readonly tls: TlsIdentity,
    private readonly createBroker: () => Promise<Aedes>,
    private readonly log: EmulatorLog,
    private readonly host = "127.0.0.1",
  ) {}

  /** The port, fixed by the first `listen()` and reused by every later one. */
  get port(): number {
    return this.boundPort;
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  /** Starts accepting connections: on an ephemeral port the first time, on the same port afterwards. */
  async listen(): Promise<void> {
    if (this.server !== undefined) return;
    this.broker ??= await this.createBroker();
    const server = createServer({ key: this.tls.key, cert: this.tls.cert, minVersion: "TLSv1.2" }, (socket) =>
      this.accept(socket),
    );
    server.on("connection", (socket: Socket) => {
      this.acceptedSockets++;
      this.sockets.add(socket);
      socket.once("close", () => this.sockets.delete(socket));
    });
    server.on("tlsClientError", (error: Error) => this.log("warn", `TLS handshake failed: ${error.message}`));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.boundPort, this.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    server.on("error", (error: Error) => this.log("error", `listener error: ${error.message}`));
    const address = server.address();
    if (address === null || typeof address === "string") throw new Error("TLS server has no TCP address");
    this.boundPort = address.port;
    this.server = server;
  }

  /** Stops accepting connections (new ones are refused) and drops the open ones. Sessions stay. */
  async closeListener(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.dropConnections();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Cuts every open connection at the TCP level, like a network failure. Sessions stay. */
  dropConnections(): number {
    const count = this.sockets.size;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    return count;
  }

  /** Throws the broker (and all session state in it) away; the next `listen()` creates a fresh one. */
  async replaceBroker(): Promise<void> {
    const broker = this.broker;
    this.broker = undefined;
    if (broker !== undefined) await new Promise<void>((resolve) => broker.close(() => resolve()));
  }

  async close(): Promise<void> {
    await this.closeListener();
    await this.replaceBroker();
  }

  private accept(socket: TLSSocket): void {
    const broker = this.broker;
    if (broker === undefined) {
      socket.destroy();
      return;
    }
    socket.on("error", (error: Error) => this.log("debug", `socket error: ${error.message}`));
    broker.handle(socket);
  }
}
