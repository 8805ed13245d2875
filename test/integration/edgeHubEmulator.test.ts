/**
 * The edgeHub emulator against the unmodified Azure IoT device SDK (ModuleClient + Mqtt over TLS):
 * connecting, authentication, output messages, the module twin and direct methods.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import {
  MethodInvocationError,
  parseJsonBody,
  startEdgeHubEmulator,
  type EdgeHubEmulator,
  type TwinActivity,
} from "../../modules/edgehub-emulator/src/index.js";
import {
  Message,
  ModuleClient,
  Mqtt,
  closeClient,
  moduleClientFromEnvironment,
  observe,
  updateReported,
} from "../support/edgeHubSdk.js";

const MODULE = "kostal2mqtt";
const INITIAL_DESIRED = { pollIntervalSeconds: 10, inverters: { roof: { host: "10.0.0.5" } } };
const METHODS = "$iothub/methods/POST/#";
const DESIRED = "$iothub/twin/PATCH/properties/desired/#";

describe("edgeHub emulator with the Azure IoT device SDK", () => {
  let emulator: EdgeHubEmulator;
  const clients: ModuleClient[] = [];
  const logLines: string[] = [];
  let modules = 0;

  /** A fresh module per test that subscribes: a persistent session carries subscriptions between tests. */
  function freshModule(): string {
    const moduleId = `${MODULE}-${++modules}`;
    emulator.addModule(moduleId, { desired: INITIAL_DESIRED });
    return moduleId;
  }

  before(async () => {
    emulator = await startEdgeHubEmulator({
      modules: [{ moduleId: MODULE, desired: INITIAL_DESIRED }],
      log: (level, message) => logLines.push(`${level} ${message}`),
    });
  });

  after(async () => {
    await emulator.stop();
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) await closeClient(client);
  });

  async function openModule(moduleId = MODULE): Promise<ModuleClient> {
    const client = await moduleClientFromEnvironment(emulator.connectionStringEnvironment(moduleId));
    clients.push(client);
    observe(client);
    await client.open();
    return client;
  }

  it("accepts a module that connects with fromEnvironment(Mqtt), verifying TLS with the emulator's CA", async () => {
    const before = emulator.moduleState(MODULE).connectCount;
    await openModule();
    const state = emulator.moduleState(MODULE);
    assert.equal(state.connected, true);
    assert.equal(state.connectCount, before + 1);
    assert.equal(state.lastConnection?.clientId, `${emulator.deviceId}/${MODULE}`);
    assert.equal(state.lastConnection?.clean, false, "the SDK asks for a persistent session");
    assert.equal(state.lastConnection?.apiVersion, "2021-04-12");
    assert.match(state.lastConnection?.clientType ?? "", /azure-iot-device/);
  });

  it("records the model id a module announces with setOptions({ modelId }) before open()", async () => {
    const client = ModuleClient.fromConnectionString(emulator.connectionString(MODULE), Mqtt);
    clients.push(client);
    observe(client);
    await client.setOptions({ ca: emulator.caCertificate, modelId: "dtmi:kostal2mqtt:PikoInverter;1" });
    await client.open();
    assert.equal(emulator.moduleState(MODULE).lastConnection?.modelId, "dtmi:kostal2mqtt:PikoInverter;1");
  });

  it("refuses a module whose SAS token is signed with the wrong key (CONNACK: not authorized)", async () => {
    const identity = emulator.moduleIdentity(MODULE);
    const wrongKey = Buffer.from(identity.key, "base64").reverse().toString("base64");
    const connectionString = emulator.connectionString(MODULE).replace(identity.key, wrongKey);
    const refusedBefore = emulator.stats.connectsRefused;
    const acceptedBefore = emulator.moduleState(MODULE).connectCount;
    const client = ModuleClient.fromConnectionString(connectionString, Mqtt);
    clients.push(client);
    observe(client);
    await client.setOptions({ ca: emulator.caCertificate });
    const refusal = new Promise<string>((resolve) =>
      emulator.once("refused", ({ reason }) => resolve(reason)),
    );
    await assert.rejects(client.open(), /Not authorized/i);
    assert.equal(await refusal, "SAS token refused: bad signature");
    assert.equal(emulator.stats.connectsRefused, refusedBefore + 1);
    assert.equal(emulator.moduleState(MODULE).connectCount, acceptedBefore, "no session was opened");
  });

  it("records sendOutputEvent with output, messageId, contentType, contentEncoding, creation time and properties", async () => {
    const client = await openModule();
    const body = { inverter: "roof", ac_power_w: 2345.5, state: "feed-in" };
    const message = new Message(JSON.stringify(body));
    message.messageId = "roof-2026-11-24T10:15:00Z";
    message.contentType = "application/json";
    message.contentEncoding = "utf-8";
    message.properties.add("iothub-creation-time-utc", "2026-11-24T10:15:00.123Z");
    message.properties.add("inverter", "roof");
    message.properties.add("odd key/with=chars", "a&b=c/d %");
    const countBefore = emulator.stats.outputMessages;

    await client.sendOutputEvent("telemetry", message);

    // recorded before the PUBACK, so already there when the SDK's send resolves
    const recorded = emulator.messages.at(-1);
    assert.ok(recorded !== undefined);
    assert.equal(emulator.stats.outputMessages, countBefore + 1);
    assert.equal(recorded.moduleId, MODULE);
    assert.equal(recorded.output, "telemetry");
    assert.equal(recorded.messageId, "roof-2026-11-24T10:15:00Z");
    assert.equal(recorded.contentType, "application/json");
    assert.equal(recorded.contentEncoding, "utf-8");
    assert.equal(recorded.creationTimeUtc, "2026-11-24T10:15:00.123Z");
    assert.deepEqual(recorded.properties, {
      "iothub-creation-time-utc": "2026-11-24T10:15:00.123Z",
      inverter: "roof",
      "odd key/with=chars": "a&b=c/d %",
    });
    assert.equal(recorded.qos, 1);
    assert.deepEqual(parseJsonBody(recorded), body);
    assert.ok(recorded.receivedAt instanceof Date);
  });

  it("waitForMessages resolves with matching messages, including ones sent before the wait", async () => {
    const client = await openModule();
    emulator.clearMessages();
    await client.sendEvent(new Message("no output"));
    const waiting = emulator.waitForMessages(2, (m) => m.output === "status", 3000);
    await client.sendOutputEvent("status", new Message("first"));
    await client.sendOutputEvent("status", new Message("second"));
    const [first, second] = await waiting;
    assert.equal(first?.body.toString(), "first");
    assert.equal(second?.body.toString(), "second");
    assert.equal(emulator.messages[0]?.output, undefined, "sendEvent has no output name");
    await assert.rejects(
      emulator.waitForMessages(3, (m) => m.output === "status", 50),
      /timed out/,
    );
  });

  it("serves getTwin() with the desired properties and their $version", async () => {
    const client = await openModule();
    const twin = await client.getTwin();
    const desired = twin.properties.desired as Record<string, unknown>;
    assert.equal(desired.pollIntervalSeconds, emulator.twin(MODULE).desired.pollIntervalSeconds);
    assert.deepEqual(desired.inverters, { roof: { host: "10.0.0.5" } });
    assert.equal(desired.$version, emulator.twin(MODULE).desired.$version);
  });

  it("delivers updateDesired to the module's properties.desired handler; null deletes a key", async () => {
    const moduleId = freshModule();
    const client = await openModule(moduleId);
    const twin = await client.getTwin();
    const patches: Array<Record<string, unknown>> = [];
    // copied: the call made on registration passes the SDK's live properties.desired, which patches mutate
    twin.on("properties.desired", (patch: Record<string, unknown>) => patches.push(structuredClone(patch)));
    await emulator.waitForSubscription(moduleId, DESIRED);

    const first = emulator.updateDesired(moduleId, {
      pollIntervalSeconds: 30,
      inverters: { cellar: { host: "10.0.0.6" } },
    });
    assert.equal(first.delivered, true);
    const received = await emulator.waitUntil(() => patches.find((p) => p.$version === first.version));
    assert.deepEqual(received, {
      pollIntervalSeconds: 30,
      inverters: { cellar: { host: "10.0.0.6" } },
      $version: first.version,
    });

    const second = emulator.updateDesired(moduleId, { inverters: { roof: null } });
    await emulator.waitUntil(() => patches.find((p) => p.$version === second.version));
    assert.deepEqual(emulator.twin(moduleId).desired.inverters, { cellar: { host: "10.0.0.6" } });
    assert.equal(emulator.twin(moduleId).desired.$version, second.version);
    assert.equal(second.version, first.version + 1);
  });

  it("stores a reported patch, acknowledges it with the new $version and refuses an invalid one", async () => {
    const client = await openModule();
    const twin = await client.getTwin();
    const versionBefore = emulator.twin(MODULE).reported.$version;
    const activity: TwinActivity[] = [];
    emulator.on("twin", (event) => activity.push(event));

    await updateReported(twin, { firmware: "5.2", inverters: { roof: { online: true, errors: 0 } } });
    await updateReported(twin, { inverters: { roof: { errors: null } } });
    const reported = emulator.twin(MODULE).reported;
    assert.deepEqual(reported.inverters, { roof: { online: true } });
    assert.equal(reported.firmware, "5.2");
    assert.equal(reported.$version, versionBefore + 2);
    const acks = activity.filter((a) => a.kind === "reported");
    assert.deepEqual(
      acks.map((a) => a.kind === "reported" && [a.status, a.version, a.delivered]),
      [
        [204, versionBefore + 1, true],
        [204, versionBefore + 2, true],
      ],
    );

    await assert.rejects(updateReported(twin, { "bad.key": 1 }), /not allowed/);
    assert.equal(
      emulator.twin(MODULE).reported.$version,
      versionBefore + 2,
      "a refused patch changes nothing",
    );
  });

  it("carries a direct method to onMethod and returns the module's response", async () => {
    const moduleId = freshModule();
    const client = await openModule(moduleId);
    client.onMethod("setPollInterval", (request, response) => {
      if (request === undefined || response === undefined) return; // the SDK always passes both
      const payload = request.payload as { seconds: number };
      void response.send(200, { accepted: payload.seconds });
    });
    await emulator.waitForSubscription(moduleId, METHODS);
    const result = await emulator.invokeMethod(moduleId, "setPollInterval", { seconds: 15 }, 3000);
    assert.deepEqual(result, { status: 200, payload: { accepted: 15 } });

    // the SDK itself answers 400 to an empty payload (iot-edge.md)
    const empty = await emulator.invokeMethod(moduleId, "setPollInterval", undefined, 3000);
    assert.equal(empty.status, 400);
  });

  it("rejects invokeMethod for a module that is offline, not subscribed, or too slow", async () => {
    const offline = freshModule();
    await assert.rejects(
      emulator.invokeMethod(offline, "ping", {}, 1000),
      (error: unknown) => error instanceof MethodInvocationError && error.reason === "not-connected",
    );

    const quiet = freshModule();
    const client = await openModule(quiet);
    await assert.rejects(
      emulator.invokeMethod(quiet, "ping", {}, 1000),
      (error: unknown) => error instanceof MethodInvocationError && error.reason === "not-subscribed",
    );

    client.onMethod("ping", () => undefined); // never answers
    await emulator.waitForSubscription(quiet, METHODS);
    await assert.rejects(
      emulator.invokeMethod(quiet, "ping", {}, 200),
      (error: unknown) => error instanceof MethodInvocationError && error.reason === "timeout",
    );
  });

  it("logs what happened (runs last) without ever logging a key or a token", () => {
    assert.ok(logLines.some((line) => line.startsWith("warn refused CONNECT")));
    assert.ok(logLines.some((line) => line.startsWith(`info ${MODULE} connected`)));
    const keys = [MODULE, ...Array.from({ length: modules }, (_, i) => `${MODULE}-${i + 1}`)].map(
      (moduleId) => emulator.moduleIdentity(moduleId).key,
    );
    for (const line of logLines) {
      assert.ok(!keys.some((key) => line.includes(key)), line);
      assert.doesNotMatch(line, /SharedAccessSignature|sig=/, line);
    }
  });
});
