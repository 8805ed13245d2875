/**
 * The emulator's authentication and authorisation on the wire, with a plain MQTT client (MQTT.js), for the
 * cases the SDK never produces: expired or foreign tokens, bad usernames, topics of other modules.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import { ErrorWithSubackPacket, connectAsync, type MqttClient } from "mqtt";
import {
  createSasToken,
  moduleResource,
  startEdgeHubEmulator,
  type EdgeHubEmulator,
} from "../../modules/edgehub-emulator/src/index.js";

const MODULE = "kostal2mqtt";
const OTHER = "other-module";

describe("edgeHub emulator on the wire", () => {
  let emulator: EdgeHubEmulator;
  const clients: MqttClient[] = [];

  before(async () => {
    emulator = await startEdgeHubEmulator({ modules: [MODULE, OTHER] });
  });

  after(async () => {
    await emulator.stop();
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) await client.endAsync(true);
  });

  function nowSeconds(): number {
    return Math.floor(Date.now() / 1000);
  }

  function credentials(moduleId: string, expiresAt = nowSeconds() + 600, signAs = moduleId) {
    const identity = emulator.moduleIdentity(signAs);
    return {
      clientId: `${emulator.deviceId}/${moduleId}`,
      username: `${emulator.hubHostName}/${emulator.deviceId}/${moduleId}/?api-version=2021-04-12`,
      password: createSasToken(
        moduleResource(emulator.hubHostName, emulator.deviceId, moduleId),
        identity.key,
        expiresAt,
      ),
    };
  }

  async function connect(options: {
    clientId: string;
    username: string;
    password: string;
  }): Promise<MqttClient> {
    const client = await connectAsync({
      host: "127.0.0.1",
      port: emulator.port,
      protocol: "mqtts",
      protocolVersion: 4,
      ca: emulator.caCertificate,
      clean: false,
      reconnectPeriod: 0,
      connectTimeout: 3000,
      ...options,
    });
    clients.push(client);
    return client;
  }

  async function assertRefused(
    options: { clientId: string; username: string; password: string },
    reason: RegExp,
  ) {
    const refusal = new Promise<string>((resolve) =>
      emulator.once("refused", (event) => resolve(event.reason)),
    );
    await assert.rejects(connect(options), /Not authorized/);
    assert.match(await refusal, reason);
  }

  it("accepts a hand-made token for the right module", async () => {
    const client = await connect(credentials(MODULE));
    assert.equal(client.connected, true);
  });

  it("refuses an expired token", async () => {
    await assertRefused(credentials(MODULE, nowSeconds() - 1), /expired/);
  });

  it("refuses a token of another module, even one signed with that module's own key", async () => {
    const foreign = credentials(OTHER);
    await assertRefused({ ...credentials(MODULE), password: foreign.password }, /wrong resource/);
  });

  it("refuses a token signed with another module's key", async () => {
    await assertRefused(credentials(MODULE, nowSeconds() + 600, OTHER), /bad signature/);
  });

  it("refuses an unknown client id and a username for another hub", async () => {
    await assertRefused(
      { ...credentials(MODULE), clientId: `${emulator.deviceId}/ghost` },
      /unknown client id/,
    );
    const good = credentials(MODULE);
    await assertRefused(
      { ...good, username: good.username.replace(emulator.hubHostName, "other.azure-devices.net") },
      /username/,
    );
    await assertRefused(
      { ...good, username: `${emulator.hubHostName}/${emulator.deviceId}/${MODULE}/` },
      /username/,
    );
  });

  it("grants the module's own subscriptions and refuses another module's and a wildcard", async () => {
    const client = await connect(credentials(MODULE));
    const granted = await client.subscribeAsync({
      "$iothub/methods/POST/#": { qos: 0 },
      "$iothub/twin/res/#": { qos: 1 },
      [`devices/${emulator.deviceId}/modules/${MODULE}/inputs/#`]: { qos: 1 },
    });
    assert.deepEqual(
      granted.map((g) => [g.topic, g.qos]),
      [
        ["$iothub/methods/POST/#", 0],
        ["$iothub/twin/res/#", 1],
        [`devices/${emulator.deviceId}/modules/${MODULE}/inputs/#`, 1],
      ],
    );
    await assert.rejects(
      client.subscribeAsync({
        [`devices/${emulator.deviceId}/modules/${OTHER}/inputs/#`]: { qos: 1 },
        "#": { qos: 0 },
      }),
      (error: unknown) =>
        error instanceof ErrorWithSubackPacket && JSON.stringify(error.packet.granted) === "[128,128]",
    );
    assert.deepEqual(
      emulator
        .moduleState(MODULE)
        .subscriptions.map((s) => s.filter)
        .sort(),
      [
        "$iothub/methods/POST/#",
        "$iothub/twin/res/#",
        `devices/${emulator.deviceId}/modules/${MODULE}/inputs/#`,
      ].sort(),
    );
  });

  it("closes the connection of a module that publishes as another module", async () => {
    const client = await connect(credentials(MODULE));
    const closed = new Promise<void>((resolve) => client.once("close", () => resolve()));
    const before = emulator.stats.forbiddenPublishes;
    client.publish(`devices/${emulator.deviceId}/modules/${OTHER}/messages/events/`, "spoofed", { qos: 1 });
    await closed;
    assert.equal(emulator.stats.forbiddenPublishes, before + 1);
    assert.equal(emulator.messages.filter((m) => m.body.toString() === "spoofed").length, 0);
  });

  it("answers a twin GET only to the module that asked", async () => {
    const asker = await connect(credentials(MODULE));
    const bystander = await connect(credentials(OTHER));
    await asker.subscribeAsync("$iothub/twin/res/#", { qos: 0 });
    await bystander.subscribeAsync("$iothub/twin/res/#", { qos: 0 });
    const seenByBystander: string[] = [];
    bystander.on("message", (topic) => seenByBystander.push(topic));
    const response = new Promise<{ topic: string; body: string }>((resolve) =>
      asker.once("message", (topic, payload) => resolve({ topic, body: payload.toString() })),
    );
    await asker.publishAsync("$iothub/twin/GET/?$rid=42", "");
    const { topic, body } = await response;
    assert.equal(topic, "$iothub/twin/res/200/?$rid=42");
    assert.deepEqual(JSON.parse(body), { desired: { $version: 1 }, reported: { $version: 1 } });
    // a second request by the bystander is answered to it: everything before it would have arrived first
    const own = new Promise<string>((resolve) => bystander.once("message", (t) => resolve(t)));
    await bystander.publishAsync("$iothub/twin/GET/?$rid=43", "");
    assert.equal(await own, "$iothub/twin/res/200/?$rid=43");
    assert.deepEqual(seenByBystander, ["$iothub/twin/res/200/?$rid=43"]);
  });
});
