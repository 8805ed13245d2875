import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";
import { createLogger } from "../../modules/kostal2mqtt/src/log/logger.js";
import {
  EdgeHubOutput,
  type EdgeHubLink,
} from "../../modules/kostal2mqtt/src/outputs/edgeHub/edgeHubOutput.js";
import {
  connectFailure,
  translateSendError,
} from "../../modules/kostal2mqtt/src/outputs/edgeHub/edgeHubErrors.js";
import { OutputUnavailable, PublishRejected } from "../../modules/kostal2mqtt/src/outputs/outputErrors.js";
import type { BridgeEvent } from "../../modules/kostal2mqtt/src/ports/output.js";

/**
 * The edgeHub adapter's boundary: the Azure SDK's errors (the SDK's own classes, as azure-iot-device loads them)
 * become PublishRejected or OutputUnavailable, and the output acts on the type through the shared send loop.
 */

const sdkErrors = (
  createRequire(createRequire(import.meta.url).resolve("azure-iot-device"))("azure-iot-common") as {
    errors: Record<string, new (message: string) => Error>;
  }
).errors;

function sdkError(name: string, message = `${name} from the SDK`): Error {
  const ErrorClass = sdkErrors[name];
  assert.ok(ErrorClass, `azure-iot-common has no ${name}`);
  return new ErrorClass(message);
}

test("errors about the message itself are final for it, with the SDK's error as cause", () => {
  for (const name of ["MessageTooLargeError", "FormatError", "ArgumentError", "ArgumentOutOfRangeError"]) {
    const cause = sdkError(name);
    const error = translateSendError(cause, "telemetry");
    assert.ok(error instanceof PublishRejected, name);
    assert.equal(error.topic, "telemetry");
    assert.equal(error.reasonCode, null);
    assert.match(error.reason, new RegExp(name));
    assert.equal(error.cause, cause);
  }
});

test("a disconnect, a refused (re)connect, a timeout or anything unknown is transient, and blames no message", () => {
  const transient = [
    sdkError("NotConnectedError"),
    sdkError("UnauthorizedError", "mqtt.js returned Not authorized error"),
    sdkError("TimeoutError"),
    sdkError("ServiceUnavailableError"),
    sdkError("ThrottlingError"),
    sdkError("IotHubQuotaExceededError"),
    Object.assign(new Error("sending to edgeHub did not complete within 30 s"), { name: "OperationTimeout" }),
    new Error("Failure on first connection (Not authorized): connect ECONNREFUSED"),
    "not even an Error",
  ];
  for (const cause of transient) {
    const error = translateSendError(cause, "events");
    assert.ok(error instanceof OutputUnavailable, String(cause));
    assert.equal(error.inFlight, false, "the SDK retries inside a send: a failure says nothing against it");
    assert.equal(error.cause, cause);
  }
  const typed = new OutputUnavailable("not connected to edgeHub", false);
  assert.equal(translateSendError(typed, "telemetry"), typed, "already typed: kept as it is");
});

/** A session that is connected and answers each send as the script says. */
function fakeSession(script: (body: string) => Promise<void>) {
  const failures: string[] = [];
  const bodies: string[] = [];
  const session: EdgeHubLink = {
    isConnected: true,
    start: () => undefined,
    stop: () => Promise.resolve(),
    sendOutputEvent: async (output, message) => {
      const body = String(message.data);
      bodies.push(body);
      try {
        await script(body);
      } catch (error) {
        throw translateSendError(error, output);
      }
    },
    reportSendFailure: (reason) => void failures.push(reason),
  };
  return { session, failures, bodies };
}

function event(message: string): BridgeEvent {
  return { type: "config_applied", at: "2026-06-01T10:00:00.000Z", message };
}

function output(session: EdgeHubLink) {
  const lines: string[] = [];
  const log = createLogger({ level: "debug", write: (line) => lines.push(line) });
  return { lines, edge: new EdgeHubOutput({ session, log, limits: { maxItems: 100, maxAgeMs: 3600_000 } }) };
}

test("the output drops a message the SDK refuses for good, says it once, and delivers the rest", async () => {
  const { session, failures } = fakeSession((body) =>
    body.includes("huge") ? Promise.reject(sdkError("MessageTooLargeError")) : Promise.resolve(),
  );
  const { edge, lines } = output(session);
  edge.publishEvent(event("a"));
  edge.publishEvent(event("huge"));
  edge.publishEvent(event("b"));
  await edge.stop(1000);
  const health = edge.health();
  assert.equal(health.delivered, 2);
  assert.equal(health.queued, 0);
  assert.equal(health.rejected, 1);
  assert.match(health.lastRejection ?? "", /^events: .*MessageTooLargeError/);
  assert.deepEqual(failures, [], "a refused message is no reason to replace the client");
  assert.equal(lines.filter((line) => line.includes("[ERR]") && line.includes("dropped")).length, 1);
});

test("the output keeps messages through a disconnect and has the session replace its client", async () => {
  let up = false;
  const { session, failures, bodies } = fakeSession(() =>
    up ? Promise.resolve() : Promise.reject(sdkError("NotConnectedError")),
  );
  const { edge } = output(session);
  edge.publishEvent(event("first"));
  edge.publishEvent(event("second"));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(edge.health().queued, 2);
  assert.equal(edge.health().rejected, 0);
  assert.equal(failures.length, 1, "one replacement per failed batch");
  up = true;
  bodies.length = 0;
  edge.kick();
  await edge.stop(1000);
  assert.equal(edge.health().delivered, 2);
  assert.deepEqual(
    bodies.map((body) => (JSON.parse(body) as { message: string }).message),
    ["first", "second"],
    "oldest first",
  );
});

test("a failed first connection says what failed: the SDK calls every one of them 'Not authorized'", () => {
  const firstConnection = (cause: string) =>
    Object.assign(
      sdkError(
        "UnauthorizedError",
        `mqtt.js returned Failure on first connection (Not authorized): ${cause} error`,
      ),
      {
        transportError: new Error(`Failure on first connection (Not authorized): ${cause}`),
      },
    );
  const cases: Array<[string, RegExp]> = [
    [
      "connect ECONNREFUSED 127.0.0.1:8883",
      /^edgeHub is unreachable \(connect ECONNREFUSED 127\.0\.0\.1:8883\)$/,
    ],
    ["getaddrinfo ENOTFOUND edgeHub", /^edgeHub is unreachable \(getaddrinfo ENOTFOUND edgeHub\)$/],
    [
      "self-signed certificate in certificate chain",
      /^the TLS connection to edgeHub failed .*EdgeModuleCACertificateFile/,
    ],
    ["Connection refused: Not authorized", /^edgeHub refused the module's connection .*identity and key/],
    ["Keepalive timeout", /^the connection to edgeHub failed \(Keepalive timeout\)$/],
  ];
  for (const [cause, expected] of cases) {
    const described = connectFailure(firstConnection(cause));
    assert.match(described, expected, cause);
    if (!/Not authorized/.test(cause)) assert.doesNotMatch(described, /authori/i, cause);
  }
  // Only the transport error's message (a copy of azure-iot-common without transportError): the same words.
  assert.match(
    connectFailure(
      new Error("Failure on first connection (Not authorized): connect ECONNREFUSED 127.0.0.1:1"),
    ),
    /^edgeHub is unreachable/,
  );
  assert.equal(
    connectFailure(new Error("getting the module twin took more than 10 s")),
    "getting the module twin took more than 10 s",
  );
  assert.equal(connectFailure("no Error at all"), "no Error at all");
});
