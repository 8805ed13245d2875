import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { startEdgeHubEmulator, type EdgeHubEmulator } from "../modules/edgehub-emulator/src/index.js";
import { PikoSimulator } from "../modules/piko-simulator/src/index.js";
import { Mosquitto } from "../test/support/mosquitto.js";
import { daytimeClock, type BenchChild } from "./processProbe.js";

/**
 * The four output configurations of the real process, and what receives their readings in the bench process:
 * stdout lines (console), a subscriber on `KOSTAL/<id>/state` of a real mosquitto (MQTT), the edgeHub emulator's
 * telemetry (edgeHub). Each child gets its own inverter id, MQTT client id and module identity, so that several
 * can run side by side and their readings are told apart.
 */

export type OutputConfig = "console" | "mqtt" | "edgehub" | "mqtt+edgehub";
type Sink = "console" | "mqtt" | "edgehub";

export const OUTPUT_CONFIGS: readonly OutputConfig[] = ["console", "mqtt", "edgehub", "mqtt+edgehub"];

const BRIDGE_PASSWORD = "bench-bridge-pw";
const SUBSCRIBER_PASSWORD = "bench-subscriber-pw";

function sinksOf(config: OutputConfig): Sink[] {
  return config.split("+") as Sink[];
}

interface Deliveries {
  count: number;
  /** performance.now() of the first reading received. */
  firstAtMs: number | null;
}

/** A simulated PIKO 10.1 feeding at noon, on 127.0.0.1, for one child; stats.pages counts its polls. */
export async function daytimeSimulator(name = "piko"): Promise<{ simulator: PikoSimulator; host: string }> {
  const simulator = new PikoSimulator({ model: "10.1", name, clock: daytimeClock() });
  return { simulator, host: new URL(await simulator.start()).host };
}

export class OutputRig {
  private readonly deliveries = new Map<string, Record<Sink, Deliveries>>();

  private constructor(
    private readonly dataDir: string,
    private readonly broker: Mosquitto | null,
    private readonly subscriber: MqttClient | null,
    private readonly emulator: EdgeHubEmulator | null,
  ) {
    subscriber?.on("message", (topic, _payload, packet) => {
      // KOSTAL/<id>/state; a retained copy of an earlier run's reading is not a delivery
      const id = /^KOSTAL\/([^/]+)\/state$/.exec(topic)?.[1];
      if (id !== undefined && !packet.retain) this.record(id, "mqtt");
    });
    emulator?.on("message", (message) => {
      if (message.output === "telemetry") this.record(message.moduleId, "edgehub");
    });
  }

  /** Starts mosquitto and the edgeHub emulator if any of `configs` needs them. */
  static async start(configs: readonly OutputConfig[]): Promise<OutputRig> {
    const needs = (sink: Sink) => configs.some((config) => sinksOf(config).includes(sink));
    const dataDir = await mkdtemp(join(tmpdir(), "k2m-bench-"));
    let broker: Mosquitto | null = null;
    let subscriber: MqttClient | null = null;
    let emulator: EdgeHubEmulator | null = null;
    try {
      if (needs("mqtt")) {
        broker = await Mosquitto.start({ bridge: BRIDGE_PASSWORD, bench: SUBSCRIBER_PASSWORD });
        subscriber = await mqtt.connectAsync(broker.url, {
          username: "bench",
          password: SUBSCRIBER_PASSWORD,
        });
        await subscriber.subscribeAsync("KOSTAL/+/state", { qos: 0 });
      }
      if (needs("edgehub")) emulator = await startEdgeHubEmulator({ maxRecordedMessages: 1000 });
    } catch (error) {
      await new OutputRig(dataDir, broker, subscriber, emulator).stop();
      throw error;
    }
    return new OutputRig(dataDir, broker, subscriber, emulator);
  }

  /** The output variables of a child polling inverter `id` (also its module id and MQTT client id). */
  env(config: OutputConfig, id: string): Record<string, string> {
    const env: Record<string, string> = { KOSTAL_DATA_DIR: join(this.dataDir, id) };
    this.deliveries.set(id, {
      console: { count: 0, firstAtMs: null },
      mqtt: { count: 0, firstAtMs: null },
      edgehub: { count: 0, firstAtMs: null },
    });
    if (sinksOf(config).includes("mqtt")) {
      if (this.broker === null) throw new Error("the rig was started without mosquitto");
      Object.assign(env, {
        MQTT_HOST: "127.0.0.1",
        MQTT_PORT: String(this.broker.port),
        MQTT_USERNAME: "bridge",
        MQTT_PASSWORD: BRIDGE_PASSWORD,
        MQTT_CLIENT_ID: `bench-${id}`,
      });
    }
    if (sinksOf(config).includes("edgehub")) {
      if (this.emulator === null) throw new Error("the rig was started without the edgeHub emulator");
      Object.assign(env, this.emulator.connectionStringEnvironment(id));
    }
    return env;
  }

  /** The broker and credentials for the floor reference (pollLadder.ts `floor`: a raw MQTT publish). */
  floorEnv(): Record<string, string> {
    if (this.broker === null) return {};
    return {
      FLOOR_MQTT_PORT: String(this.broker.port),
      FLOOR_MQTT_USERNAME: "bridge",
      FLOOR_MQTT_PASSWORD: BRIDGE_PASSWORD,
    };
  }

  /** Counts the child's stdout readings (JSON lines) as console deliveries of `id`. */
  watch(id: string, child: BenchChild): void {
    child.onLine((line, stream) => {
      if (stream === "stdout" && line.startsWith("{")) this.record(id, "console");
    });
  }

  /** Readings of `id` that reached every output of `config`. */
  delivered(config: OutputConfig, id: string): number {
    const entry = this.deliveries.get(id);
    return entry === undefined ? 0 : Math.min(...sinksOf(config).map((sink) => entry[sink].count));
  }

  /** When (performance.now()) the first reading of `id` had reached every output of `config`; else undefined. */
  firstDeliveryAt(config: OutputConfig, id: string): number | undefined {
    const entry = this.deliveries.get(id);
    if (entry === undefined) return undefined;
    const times = sinksOf(config).map((sink) => entry[sink].firstAtMs);
    return times.every((time) => time !== null) ? Math.max(...times) : undefined;
  }

  async stop(): Promise<void> {
    await this.subscriber?.endAsync(true).catch(() => undefined);
    await this.emulator?.stop();
    await this.broker?.stop();
    await rm(this.dataDir, { recursive: true, force: true });
  }

  private record(id: string, sink: Sink): void {
    const entry = this.deliveries.get(id)?.[sink];
    if (entry === undefined) return;
    entry.count++;
    entry.firstAtMs ??= performance.now();
  }
}
