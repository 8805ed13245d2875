/**
 * The SDK's IoT Edge path: `ModuleClient.fromEnvironment(Mqtt)` with only the `IOTEDGE_*` variables, as
 * edgeAgent starts a module. The SDK fetches the trust bundle and has every SAS token signed by the
 * emulator's workload API on a unix socket.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, afterEach, before, describe, it } from "node:test";
import { startEdgeHubEmulator, type EdgeHubEmulator } from "../../modules/edgehub-emulator/src/index.js";
import {
  Message,
  closeClient,
  moduleClientFromEnvironment,
  observe,
  type ModuleClient,
} from "../support/edgeHubSdk.js";

const MODULE = "kostal2mqtt";

function workloadRequest(
  socketPath: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; contentType: string | undefined; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath, method, path, headers: { "Content-Type": "application/json" } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: res.headers["content-type"],
            body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown,
          }),
        );
      },
    );
    req.on("error", reject);
    req.setTimeout(3000, () => req.destroy(new Error("workload API request timed out")));
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

describe("edgeHub emulator: the IOTEDGE_* path through the workload API", () => {
  let emulator: EdgeHubEmulator;
  let client: ModuleClient | undefined;

  before(async () => {
    emulator = await startEdgeHubEmulator({ modules: [MODULE], workloadApi: true });
  });

  after(async () => {
    await emulator.stop();
  });

  afterEach(async () => {
    await closeClient(client);
    client = undefined;
  });

  it("gives the variables edgeAgent sets", () => {
    const env = emulator.environmentFor(MODULE);
    assert.equal(env.IOTEDGE_MODULEID, MODULE);
    assert.equal(env.IOTEDGE_DEVICEID, emulator.deviceId);
    assert.equal(env.IOTEDGE_IOTHUBHOSTNAME, emulator.hubHostName);
    assert.equal(env.IOTEDGE_GATEWAYHOSTNAME, `127.0.0.1:${emulator.port}`);
    assert.equal(env.IOTEDGE_AUTHSCHEME, "sasToken");
    assert.equal(env.IOTEDGE_MODULEGENERATIONID, emulator.moduleIdentity(MODULE).generationId);
    assert.match(env.IOTEDGE_WORKLOADURI ?? "", /^unix:\/\/\/.+\.sock$/);
    assert.ok(
      !JSON.stringify(env).includes(emulator.moduleIdentity(MODULE).key),
      "no key in the environment",
    );
  });

  it("connects the SDK with IOTEDGE_* only: trust bundle and token signing come from the workload API", async () => {
    const countsBefore = emulator.workloadApiCounts;
    client = await moduleClientFromEnvironment(emulator.environmentFor(MODULE));
    observe(client);
    await client.open();
    await client.sendOutputEvent("telemetry", new Message(JSON.stringify({ ac_power_w: 1200 })));

    const counts = emulator.workloadApiCounts;
    assert.equal(counts.trustBundle, countsBefore.trustBundle + 1);
    assert.ok(counts.sign > countsBefore.sign, "the token was signed by the workload API");
    assert.equal(counts.refused, countsBefore.refused);
    assert.equal(emulator.moduleState(MODULE).connected, true);
    assert.equal(emulator.messages.at(-1)?.output, "telemetry");
  });

  it("answers like aziot-edged: JSON trust bundle, signatures only for the module's current generation", async () => {
    const socketPath = new URL(emulator.environmentFor(MODULE).IOTEDGE_WORKLOADURI ?? "").pathname;
    const bundle = await workloadRequest(socketPath, "GET", "/trust-bundle?api-version=2018-06-28");
    assert.equal(bundle.status, 200);
    assert.equal(bundle.contentType, "application/json");
    assert.deepEqual(bundle.body, { certificate: emulator.caCertificate });

    const generation = emulator.moduleIdentity(MODULE).generationId;
    const signRequest = {
      keyId: "primary",
      algo: "HMACSHA256",
      data: Buffer.from("x\n1").toString("base64"),
    };
    const signed = await workloadRequest(
      socketPath,
      "POST",
      `/modules/${MODULE}/genid/${generation}/sign?api-version=2018-06-28`,
      signRequest,
    );
    assert.equal(signed.status, 200);
    assert.match((signed.body as { digest: string }).digest, /^[A-Za-z0-9+/]{43}=$/);

    const stale = await workloadRequest(
      socketPath,
      "POST",
      `/modules/${MODULE}/genid/old-generation/sign?api-version=2018-06-28`,
      signRequest,
    );
    assert.equal(stale.status, 404);
    const badAlgo = await workloadRequest(
      socketPath,
      "POST",
      `/modules/${MODULE}/genid/${generation}/sign?api-version=2018-06-28`,
      { ...signRequest, algo: "SHA1" },
    );
    assert.equal(badAlgo.status, 400);
  });
});
