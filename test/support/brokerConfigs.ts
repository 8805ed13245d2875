import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, requireMosquitto, waitForPort } from "./mosquitto.js";

/**
 * A mosquitto configured the way some sites configure theirs (a message size limit, an ACL, no QoS 1 or retain):
 * anonymous access, one plain listener on an ephemeral loopback port, the given extra lines of mosquitto.conf and
 * an optional ACL file. `test/support/mosquitto.ts` is the general broker; this one exists for the odd settings.
 */
export class ConfiguredMosquitto {
  readonly log: string[] = [];
  private child: ChildProcess | null = null;

  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  static async start(lines: string[], acl?: string): Promise<ConfiguredMosquitto> {
    const binary = requireMosquitto();
    const dir = await mkdtemp(join(tmpdir(), "k2m-broker-"));
    const port = await freePort();
    const conf = [
      "user root",
      "allow_anonymous true",
      "log_dest stderr",
      "log_type all",
      `listener ${port} 127.0.0.1`,
    ];
    if (acl !== undefined) {
      await writeFile(join(dir, "acl"), acl);
      conf.push(`acl_file ${join(dir, "acl")}`);
    }
    await writeFile(join(dir, "mosquitto.conf"), [...conf, ...lines, ""].join("\n"));
    const broker = new ConfiguredMosquitto(dir, port);
    const child = spawn(binary, ["-c", join(dir, "mosquitto.conf")], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout?.on("data", (chunk: Buffer) => broker.log.push(chunk.toString()));
    child.stderr?.on("data", (chunk: Buffer) => broker.log.push(chunk.toString()));
    broker.child = child;
    await waitForPort(port, 10_000);
    return broker;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  /** How many times mosquitto logged a line matching `pattern` so far. */
  count(pattern: RegExp): number {
    return this.log
      .join("")
      .split("\n")
      .filter((line) => pattern.test(line)).length;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child !== null && child.exitCode === null) {
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      child.kill("SIGTERM");
      await exited;
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

/**
 * A broker front that speaks only MQTT 3.1.1, as old brokers do: a CONNECT for MQTT 5 is refused with CONNACK
 * 0x84 (unsupported protocol version), anything else is passed to `target` unchanged. Lets a test reach the
 * bridge's 3.1.1 fallback against a real mosquitto 2, which speaks both.
 */
export class Mqtt311Front {
  private readonly sockets = new Set<Socket>();
  private server: Server | null = null;
  port = 0;

  private constructor(private readonly targetPort: number) {}

  static async start(targetPort: number): Promise<Mqtt311Front> {
    const front = new Mqtt311Front(targetPort);
    const server = createServer((client) => front.accept(client));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    front.server = server;
    front.port = (server.address() as { port: number }).port;
    return front;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    socket.on("error", () => socket.destroy());
  }

  private accept(client: Socket): void {
    this.track(client);
    client.once("data", (first: Buffer) => {
      // CONNECT: fixed header, remaining length (1-4 bytes), "MQTT" with its 2-byte length, the protocol level.
      let offset = 1;
      while (offset < 5 && (first[offset]! & 0x80) !== 0) offset++;
      if (first[offset + 7] === 5) {
        client.end(Buffer.from([0x20, 0x03, 0x00, 0x84, 0x00]));
        return;
      }
      const upstream = connect(this.targetPort, "127.0.0.1");
      this.track(upstream);
      upstream.on("close", () => client.destroy());
      client.on("close", () => upstream.destroy());
      upstream.write(first);
      client.pipe(upstream);
      upstream.pipe(client);
    });
  }
}

/**
 * A broker that accepts the connection (CONNACK success, MQTT 5 or 3.1.1 as asked) and answers a QoS 1 PUBLISH
 * with `puback`: never (the bridge's sends must have a deadline, its stop must not wait on them), or a PUBACK
 * carrying that MQTT 5 reason code for the topics `refuse` matches (success for the others).
 */
export class FakeBroker {
  readonly publishes: string[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(
    puback: "never" | number,
    refuse: (topic: string) => boolean = () => true,
  ): Promise<FakeBroker> {
    let broker: FakeBroker | null = null;
    const server = createServer((socket) => {
      broker?.sockets.add(socket);
      socket.on("close", () => broker?.sockets.delete(socket));
      socket.on("error", () => undefined);
      let buffered = Buffer.alloc(0);
      let level = 4;
      socket.on("data", (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        for (;;) {
          const packet = nextPacket(buffered);
          if (packet === null) return;
          buffered = buffered.subarray(packet.size);
          const type = packet.first >> 4;
          if (type === 1) {
            level = packet.body[6] ?? 4;
            // CONNACK: session present 0, reason/return code 0 (and an empty property list in MQTT 5).
            socket.write(Buffer.from(level === 5 ? [0x20, 0x03, 0, 0, 0] : [0x20, 0x02, 0, 0]));
          } else if (type === 3) {
            const topicLength = packet.body.readUInt16BE(0);
            const topic = packet.body.subarray(2, 2 + topicLength).toString("utf8");
            broker?.publishes.push(topic);
            const qos = (packet.first >> 1) & 3;
            if (qos === 1 && puback !== "never") {
              const id = packet.body.readUInt16BE(2 + topicLength);
              const code = refuse(topic) ? puback : 0;
              socket.write(
                Buffer.from(
                  level === 5 ? [0x40, 0x03, id >> 8, id & 0xff, code] : [0x40, 0x02, id >> 8, id & 0xff],
                ),
              );
            }
          } else if (type === 12) {
            socket.write(Buffer.from([0xd0, 0x00]));
          } else if (type === 8) {
            // SUBSCRIBE: SUBACK granting QoS 0 keeps the client content; message id from the packet.
            const id = packet.body.readUInt16BE(0);
            socket.write(
              Buffer.from(
                level === 5 ? [0x90, 0x04, id >> 8, id & 0xff, 0, 0] : [0x90, 0x03, id >> 8, id & 0xff, 0],
              ),
            );
          } else if (type === 14) {
            socket.end();
          }
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    broker = new FakeBroker(server, (server.address() as { port: number }).port);
    return broker;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function nextPacket(buffer: Buffer): { first: number; body: Buffer; size: number } | null {
  if (buffer.length < 2) return null;
  let length = 0;
  let multiplier = 1;
  let offset = 1;
  for (;;) {
    if (offset >= buffer.length) return null;
    const byte = buffer[offset++]!;
    length += (byte & 0x7f) * multiplier;
    multiplier *= 128;
    if ((byte & 0x80) === 0) break;
  }
  if (buffer.length < offset + length) return null;
  return { first: buffer[0]!, body: buffer.subarray(offset, offset + length), size: offset + length };
}
