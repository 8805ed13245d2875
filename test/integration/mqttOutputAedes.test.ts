import assert from "node:assert/strict";
import { createServer, type Server } from "node:net";
import { after, before, describe, test } from "node:test";
import { Aedes, type AuthorizePublishHandler, type ConnectPacket, type PublishPacket } from "aedes";
import type { MqttConfig } from "../../modules/kostal2mqtt/src/config/schema.js";
import { eventually, mqttConfig, mqttHarness, reading, type Harness } from "../support/mqttHarness.js";
import { until } from "../support/until.js";

/**
 * The real MqttOutput against an in-process broker (aedes, as the edgeHub emulator uses it) on an ephemeral loopback
 * port: what the broker receives, packet by packet (topic, payload, QoS, retain, the will in CONNECT), for a reading,
 * an inverter's status and an event, in milliseconds. The publish deadline is injected (300 ms instead of 10 s), so
 * a broker that never acknowledges is shown in well under a second. Beside it, the real mosquitto tests
 * (brokerRefusals, brokerLimits, mqttBridge) prove the same against the broker users run.
 */

interface Received {
  topic: string;
  payload: string;
  qos: number;
  retain: boolean;
}

const T0 = Date.UTC(2026, 5, 1, 10, 0, 0);
const STATE = "KOSTAL/dach/state";
const DISCOVERY = "homeassistant/device/kostal2mqtt_dach/config";
const DEADLINE_MS = 300;

/** aedes on 127.0.0.1, port 0: every PUBLISH and CONNECT a client sends, as the broker got it. */
class InProcessBroker {
  /** Every PUBLISH a client sent, answered or not. */
  readonly publishes: Received[] = [];
  readonly connects: ConnectPacket[] = [];
  /** Topics clients unsubscribed from (the bridge does once it has read a retained message back). */
  readonly unsubscribed: string[] = [];
  /** Decides per PUBLISH whether the broker answers it (true) or leaves it unacknowledged for ever (false). */
  answer: (packet: PublishPacket) => boolean = () => true;

  private constructor(
    private readonly broker: Aedes,
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<InProcessBroker> {
    let self: InProcessBroker | null = null;
    // Every PUBLISH from a client passes here first, as it came off the wire (QoS and retain as the client set them).
    const authorizePublish: AuthorizePublishHandler = (client, packet, callback) => {
      if (client !== null)
        self?.publishes.push({
          topic: packet.topic,
          payload: packet.payload.toString(),
          qos: packet.qos,
          retain: packet.retain,
        });
      // Not calling back is a PUBLISH the broker neither acknowledges nor refuses.
      if (self === null || self.answer(packet)) callback(null);
    };
    // No $SYS heartbeat: it would publish every minute and keep a timer alive.
    const broker = await Aedes.createBroker({
      heartbeatInterval: 3_600_000,
      preConnect: (_client, packet, callback) => {
        self?.connects.push(packet);
        callback(null, true);
      },
      authorizePublish,
    });
    broker.on("unsubscribe", (topics) => self?.unsubscribed.push(...topics));
    const server = createServer((socket) => broker.handle(socket));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    self = new InProcessBroker(broker, server, (server.address() as { port: number }).port);
    return self;
  }

  on(topic: string): Received[] {
    return this.publishes.filter((p) => p.topic === topic);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await new Promise<void>((resolve) => this.broker.close(() => resolve()));
  }
}

describe("MqttOutput against an in-process broker", () => {
  let broker: InProcessBroker;
  const harnesses: Harness[] = [];

  before(async () => {
    broker = await InProcessBroker.start();
  });

  after(async () => {
    for (const harness of harnesses) await harness.output.stop(500);
    await broker?.stop();
  });

  async function connected(extra: Partial<MqttConfig>): Promise<Harness> {
    const harness = mqttHarness(mqttConfig(broker.port, extra), undefined, {
      publishDeadlineMs: DEADLINE_MS,
    });
    harnesses.push(harness);
    await harness.output.start();
    await harness.waitConnected(5000);
    return harness;
  }

  test("a reading, a status and an event: topics, payloads, QoS 1, retain where it is state", async () => {
    const bridge = await connected({
      clientId: "k2m-aedes",
      perValueTopics: true,
      payloadFormat: "both",
    });
    // The will, in the CONNECT that got in: the bridge's retained offline, QoS 1.
    const connect = broker.connects.find((c) => c.clientId === "k2m-aedes" && c.protocolVersion === 4);
    assert.ok(connect, "aedes speaks MQTT 3.1.1 only: the bridge falls back to it");
    assert.deepEqual(
      { topic: connect.will?.topic, payload: String(connect.will?.payload), qos: connect.will?.qos },
      { topic: "KOSTAL/bridge/state", payload: "offline", qos: 1 },
    );
    assert.equal(connect.will?.retain, true);
    await until(() => broker.on("KOSTAL/bridge/state")[0], 2000, "online");
    assert.deepEqual(broker.on("KOSTAL/bridge/state"), [
      { topic: "KOSTAL/bridge/state", payload: "online", qos: 1, retain: true },
    ]);

    bridge.output.publishReading(reading(T0));
    bridge.output.publishInverterStatus({
      inverter: "dach",
      state: "producing",
      since: new Date(T0).toISOString(),
      last_seen: new Date(T0).toISOString(),
      message: "producing 4120 W",
      failures: 0,
    });
    bridge.output.publishEvent({
      type: "inverter_state",
      subject: "dach",
      from: "starting",
      to: "producing",
      at: new Date(T0).toISOString(),
      message: "dach: starting -> producing",
    });
    await eventually(
      () => (broker.on("KOSTAL/bridge/event").length > 0 ? true : undefined),
      2000,
      () => `the event; got ${broker.publishes.map((p) => p.topic).join(", ")}`,
    );

    const only = (topic: string) => {
      const got = broker.on(topic);
      assert.equal(got.length, 1, `one message on ${topic}`);
      return got[0]!;
    };
    const state = only(STATE);
    assert.deepEqual([state.qos, state.retain], [1, true], "the reading: retained, QoS 1");
    const body = JSON.parse(state.payload) as Record<string, unknown>;
    assert.deepEqual([body.inverter, body.ts_ms, body.energy_total_kwh], ["dach", T0, 69424]);
    const legacy = only("KOSTAL");
    assert.deepEqual([legacy.qos, legacy.retain], [1, false], "the original's document: live, not retained");
    const power = only("KOSTAL/dach/ac_power_w");
    assert.deepEqual([power.payload, power.qos, power.retain], ["4120.0", 1, true]);
    const discovery = only(DISCOVERY);
    assert.deepEqual([discovery.qos, discovery.retain], [1, true]);
    assert.equal((JSON.parse(discovery.payload) as { state_topic: string }).state_topic, STATE);
    assert.ok(
      broker.publishes.findIndex((p) => p.topic === DISCOVERY) <
        broker.publishes.findIndex((p) => p.topic === STATE),
      "discovery before the first state, so Home Assistant knows the sensors it feeds",
    );

    const availability = only("KOSTAL/dach/availability");
    assert.deepEqual([availability.payload, availability.qos, availability.retain], ["online", 1, true]);
    const status = only("KOSTAL/dach/status");
    assert.deepEqual([status.qos, status.retain], [1, true]);
    assert.deepEqual(JSON.parse(status.payload), {
      state: "producing",
      since: new Date(T0).toISOString(),
      last_seen: new Date(T0).toISOString(),
      message: "producing 4120 W",
    });

    const event = only("KOSTAL/bridge/event");
    assert.deepEqual([event.qos, event.retain], [1, false], "an event is news: not retained");
    assert.deepEqual(JSON.parse(event.payload), {
      type: "inverter_state",
      subject: "dach",
      from: "starting",
      to: "producing",
      at: new Date(T0).toISOString(),
      message: "dach: starting -> producing",
      inverter: "dach",
    });

    assert.ok(
      broker.publishes.every((p) => !p.topic.includes("+") && !p.topic.includes("#")),
      "no wildcard in any topic",
    );
    // MQTT 3.1.1 acknowledges what it drops: the bridge reads each retained topic back (subscribes, and
    // unsubscribes once the broker hands back what it sent; a copy that does not come back is reported after 5 s).
    const readBack = [
      STATE,
      DISCOVERY,
      "KOSTAL/dach/availability",
      "KOSTAL/dach/status",
      "KOSTAL/bridge/state",
    ];
    await eventually(
      () => (readBack.every((topic) => broker.unsubscribed.includes(topic)) ? true : undefined),
      2000,
      () => `read back: ${broker.unsubscribed.join(", ")}; log:\n${bridge.lines.join("\n")}`,
    );
    assert.equal(bridge.output.health().queued, 0);
    assert.equal(bridge.output.health().rejected, 0, bridge.lines.join("\n"));
    assert.deepEqual(bridge.problems(), [], "nothing to warn about");
  });

  test("readings go out oldest first; a clean stop sends the retained offline", async () => {
    const bridge = await connected({ clientId: "k2m-aedes-order", topic: "ORDER", discovery: false });
    for (let i = 0; i < 5; i++) bridge.output.publishReading(reading(T0 + i * 1000));
    const states = await until(
      () => {
        const got = broker.on("ORDER/dach/state");
        return got.length === 5 ? got : undefined;
      },
      2000,
      "five readings",
    );
    assert.deepEqual(
      states.map((s) => (JSON.parse(s.payload) as { ts_ms: number }).ts_ms),
      [0, 1, 2, 3, 4].map((i) => T0 + i * 1000),
    );
    await bridge.output.stop(1000);
    assert.deepEqual(broker.on("ORDER/bridge/state").at(-1), {
      topic: "ORDER/bridge/state",
      payload: "offline",
      qos: 1,
      retain: true,
    });
  });

  test("a PUBLISH the broker never acknowledges: dropped after the injected deadline, the rest flows", async () => {
    const unanswered = "DEADLINE/dach/state";
    const ts = (p: Received) => (JSON.parse(p.payload) as { ts_ms: number }).ts_ms;
    broker.answer = (packet) => !(packet.topic === unanswered && packet.payload.toString().includes(`${T0}`));
    try {
      const bridge = await connected({ clientId: "k2m-aedes-deadline", topic: "DEADLINE", discovery: false });
      bridge.output.publishReading(reading(T0));
      bridge.output.publishReading(reading(T0 + 1000));
      bridge.output.publishEvent({ type: "output_state", at: new Date(T0).toISOString(), message: "later" });
      // Within 5 s: with the default deadline (10 s), twice unanswered would take 20 s.
      await eventually(
        () => (broker.on("DEADLINE/bridge/event").length > 0 ? true : undefined),
        5000,
        () => `the event after the unanswered reading; log:\n${bridge.lines.join("\n")}`,
      );
      // Sent, unanswered past the deadline, sent again alone on a new connection, unanswered again: dropped.
      assert.ok(
        broker.on(unanswered).filter((p) => ts(p) === T0).length >= 2,
        "sent twice before it is dropped",
      );
      assert.deepEqual(
        broker
          .on(unanswered)
          .map(ts)
          .filter((t) => t !== T0),
        [T0 + 1000],
        "the next reading, once",
      );
      const health = bridge.output.health();
      assert.equal(health.queued, 0);
      assert.equal(health.rejected, 1, bridge.lines.join("\n"));
      assert.match(health.lastRejection ?? "", /DEADLINE\/dach\/state/);
    } finally {
      broker.answer = () => true;
    }
  });
});
