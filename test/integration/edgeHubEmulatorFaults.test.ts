/**
 * edgeHub failures, emulated, and what the unmodified SDK does about them (seen on the wire):
 * - connections cut, sessions kept: the SDK reconnects with `clean: false`, edgeHub resumes the session and
 *   every subscription works again, desired patches included;
 * - edgeHub restarted without its state: the SDK reconnects and re-subscribes direct methods only. Its twin
 *   topics stay unsubscribed, so desired patches are lost and `getTwin()` never gets its answer, until the
 *   module builds a new client;
 * - an outage: a client's first `open()` fails at once; an open client retries and comes back after it.
 */
import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import {
  startEdgeHubEmulator,
  type EdgeHubEmulator,
  type TwinActivity,
} from "../../modules/edgehub-emulator/src/index.js";
import {
  Message,
  closeClient,
  moduleClientFromEnvironment,
  observe,
  type ModuleClient,
} from "../support/edgeHubSdk.js";

const METHODS = "$iothub/methods/POST/#";
const DESIRED = "$iothub/twin/PATCH/properties/desired/#";
const TWIN_RESPONSES = "$iothub/twin/res/#";
/** Generous: the SDK's reconnection backoff has jitter. */
const RECONNECT_MS = 20_000;

interface RunningModule {
  moduleId: string;
  client: ModuleClient;
  desiredVersions: number[];
}

describe("edgeHub emulator faults with the Azure IoT device SDK", () => {
  let emulator: EdgeHubEmulator;
  const clients: ModuleClient[] = [];
  let modules = 0;

  /** A module id per test: a persistent session would carry one test's subscriptions into the next. */
  function newModuleId(): string {
    return `kostal2mqtt-${++modules}`;
  }

  before(async () => {
    emulator = await startEdgeHubEmulator();
  });

  after(async () => {
    await emulator.stop();
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) await closeClient(client);
  });

  async function newClient(moduleId: string): Promise<ModuleClient> {
    const client = await moduleClientFromEnvironment(emulator.connectionStringEnvironment(moduleId));
    clients.push(client);
    observe(client);
    return client;
  }

  /** A module as kostal2mqtt runs it: twin fetched, desired handler and a direct method registered. */
  async function startModule(): Promise<RunningModule> {
    const moduleId = newModuleId();
    const client = await newClient(moduleId);
    await client.open();
    const twin = await client.getTwin();
    const desiredVersions: number[] = [];
    twin.on("properties.desired", (patch: { $version: number }) => desiredVersions.push(patch.$version));
    client.onMethod("ping", (_request, response) => void response?.send(200, { pong: true }));
    await emulator.waitForSubscription(moduleId, DESIRED);
    await emulator.waitForSubscription(moduleId, METHODS);
    return { moduleId, client, desiredVersions };
  }

  function filters(moduleId: string): string[] {
    return emulator
      .moduleState(moduleId)
      .subscriptions.map((s) => s.filter)
      .sort();
  }

  it("dropConnections(): the SDK reconnects into its kept session and everything still works", async () => {
    const { moduleId, client, desiredVersions } = await startModule();
    const connects = emulator.moduleState(moduleId).connectCount;

    assert.equal(await emulator.dropConnections(), 1);
    const state = await emulator.waitForConnection(moduleId, connects, RECONNECT_MS);

    assert.deepEqual(
      filters(moduleId),
      [DESIRED, METHODS, TWIN_RESPONSES].sort(),
      "the session kept its subscriptions",
    );
    const patch = emulator.updateDesired(moduleId, { pollIntervalSeconds: 20 });
    assert.equal(patch.delivered, true);
    await emulator.waitUntil(() => (desiredVersions.includes(patch.version) ? true : undefined));
    assert.deepEqual(await emulator.invokeMethod(moduleId, "ping", {}), {
      status: 200,
      payload: { pong: true },
    });
    await client.sendOutputEvent("telemetry", new Message("after the drop"));
    assert.equal(emulator.messages.at(-1)?.body.toString(), "after the drop");
    assert.equal(state.connectCount, connects + 1);
  });

  it("restart({ loseSessions: true }): the SDK re-subscribes methods only; desired patches are lost until a new client", async () => {
    const { moduleId, client, desiredVersions } = await startModule();
    const connects = emulator.moduleState(moduleId).connectCount;
    const activity: TwinActivity[] = [];
    emulator.on("twin", (event) => activity.push(event));
    const restartsBefore = emulator.stats.restarts;
    const port = emulator.port;

    await emulator.restart({ loseSessions: true });
    assert.equal(emulator.port, port, "same port, like a restarted container");
    assert.equal(emulator.stats.restarts, restartsBefore + 1);
    await emulator.waitForConnection(moduleId, connects, RECONNECT_MS);
    await emulator.waitForSubscription(moduleId, METHODS, RECONNECT_MS);

    // What the SDK (azure-iot-device-mqtt 1.16.4) re-subscribed: direct methods. Its twin client still believes
    // it is subscribed (its topic state machine never resets on a disconnect), so it sends no SUBSCRIBE for
    // the twin topics and the new session has none.
    assert.deepEqual(filters(moduleId), [METHODS]);
    assert.deepEqual(await emulator.invokeMethod(moduleId, "ping", {}), {
      status: 200,
      payload: { pong: true },
    });
    const lost = emulator.updateDesired(moduleId, { pollIntervalSeconds: 45 });
    assert.equal(lost.delivered, false, "edgeHub has nowhere to send the patch");

    // getTwin() publishes its GET, but the answer has no subscription to go to: the promise never settles
    void client.getTwin().then(
      () => assert.fail("getTwin() must not get an answer without a twin subscription"),
      () => undefined,
    );
    const unanswered = await emulator.waitUntil(() => activity.find((a) => a.kind === "get"));
    assert.equal(unanswered.kind === "get" && unanswered.delivered, false);

    // The way out: a new client subscribes again and reads the whole twin, missed patch included.
    await closeClient(client);
    const fresh = await newClient(moduleId);
    await fresh.open();
    const twin = await fresh.getTwin();
    assert.equal((twin.properties.desired as { $version: number }).$version, lost.version);
    assert.equal((twin.properties.desired as { pollIntervalSeconds: number }).pollIntervalSeconds, 45);
    const versions: number[] = [];
    twin.on("properties.desired", (patch: { $version: number }) => versions.push(patch.$version));
    await emulator.waitForSubscription(moduleId, DESIRED);
    const next = emulator.updateDesired(moduleId, { pollIntervalSeconds: 60 });
    assert.equal(next.delivered, true);
    await emulator.waitUntil(() => (versions.includes(next.version) ? true : undefined));
    assert.ok(!desiredVersions.includes(lost.version), "the old client never saw the lost patch");
  });

  it("restart({ loseSessions: false }): the session survives and desired patches still arrive", async () => {
    const { moduleId, desiredVersions } = await startModule();
    const connects = emulator.moduleState(moduleId).connectCount;

    await emulator.restart({ loseSessions: false });
    await emulator.waitForConnection(moduleId, connects, RECONNECT_MS);

    assert.deepEqual(filters(moduleId), [DESIRED, METHODS, TWIN_RESPONSES].sort());
    const patch = emulator.updateDesired(moduleId, { pollIntervalSeconds: 90 });
    assert.equal(patch.delivered, true);
    await emulator.waitUntil(() => (desiredVersions.includes(patch.version) ? true : undefined));
  });

  it("pause()/resume(): a first open() fails at once; open clients come back on the same port", async () => {
    const withMethods = await startModule();
    const plainId = newModuleId();
    const plain = await newClient(plainId);
    await plain.open();
    const plainConnects = emulator.moduleState(plainId).connectCount;
    const methodConnects = emulator.moduleState(withMethods.moduleId).connectCount;
    const port = emulator.port;

    await emulator.pause();
    assert.equal(emulator.moduleState(plainId).connected, false);
    assert.equal(emulator.moduleState(withMethods.moduleId).connected, false);
    const late = await newClient(newModuleId());
    await assert.rejects(late.open(), /Failure on first connection/, "the SDK does not retry a first open");

    await emulator.resume();
    assert.equal(emulator.port, port);
    // a client with a method (or desired) listener reconnects by itself, retrying through the outage ...
    await emulator.waitForConnection(withMethods.moduleId, methodConnects, RECONNECT_MS);
    assert.deepEqual(await emulator.invokeMethod(withMethods.moduleId, "ping", {}), {
      status: 200,
      payload: { pong: true },
    });
    // ... one without stays disconnected, silently, until its next send connects it again
    assert.equal(emulator.moduleState(plainId).connected, false);
    await plain.sendOutputEvent("telemetry", new Message("after the outage"));
    assert.equal(emulator.messages.at(-1)?.body.toString(), "after the outage");
    assert.equal(emulator.moduleState(plainId).connectCount, plainConnects + 1);
  });
});
