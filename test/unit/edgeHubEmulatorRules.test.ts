/**
 * The pure rules inside the edgeHub emulator: topic matching and classification, the events property bag,
 * twin patch merging and SAS token verification.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  classifyModulePublish,
  decodePropertyBag,
  maySubscribe,
  topicMatches,
} from "../../modules/edgehub-emulator/src/iothubTopics.js";
import {
  assertTwinPatch,
  mergeTwinPatch,
  TwinPatchError,
} from "../../modules/edgehub-emulator/src/moduleTwin.js";
import {
  createSasToken,
  newSymmetricKey,
  verifySasToken,
} from "../../modules/edgehub-emulator/src/sharedAccessSignature.js";

describe("edgeHub emulator topics", () => {
  it("matches MQTT filters", () => {
    assert.equal(topicMatches("$iothub/twin/res/#", "$iothub/twin/res/200/?$rid=1"), true);
    assert.equal(
      topicMatches(
        "$iothub/twin/PATCH/properties/desired/#",
        "$iothub/twin/PATCH/properties/desired/?$version=3",
      ),
      true,
    );
    assert.equal(topicMatches("a/+/c", "a/b/c"), true);
    assert.equal(topicMatches("a/+/c", "a/b/d"), false);
    assert.equal(topicMatches("a/#", "a"), true);
    assert.equal(topicMatches("a/b", "a/b/c"), false);
    assert.equal(topicMatches("$iothub/methods/POST/#", "$iothub/twin/res/200/?$rid=1"), false);
  });

  it("classifies what a module publishes and refuses other modules' topics", () => {
    assert.deepEqual(classifyModulePublish("devices/d/modules/m/messages/events/%24.on=out&a=1/", "d", "m"), {
      kind: "event",
      propertyBag: "%24.on=out&a=1",
    });
    assert.deepEqual(classifyModulePublish("devices/d/modules/m/messages/events/", "d", "m"), {
      kind: "event",
      propertyBag: "",
    });
    assert.deepEqual(classifyModulePublish("$iothub/twin/GET/?$rid=7", "d", "m"), {
      kind: "twinGet",
      rid: "7",
    });
    assert.deepEqual(classifyModulePublish("$iothub/twin/PATCH/properties/reported/?$rid=8", "d", "m"), {
      kind: "twinReportedPatch",
      rid: "8",
    });
    assert.deepEqual(classifyModulePublish("$iothub/methods/res/200/?$rid=a1", "d", "m"), {
      kind: "methodResponse",
      rid: "a1",
      status: 200,
    });
    for (const topic of [
      "devices/d/modules/other/messages/events/",
      "devices/d/modules/m/messages/events/a=1/extra/",
      "$iothub/twin/PATCH/properties/desired/?$version=2",
      "$iothub/twin/GET/",
      "$iothub/methods/POST/x/?$rid=1",
    ]) {
      assert.deepEqual(classifyModulePublish(topic, "d", "m"), { kind: "forbidden" }, topic);
    }
  });

  it("lets a module subscribe to its own topics only", () => {
    assert.equal(maySubscribe("$iothub/methods/POST/#", "d", "m"), true);
    assert.equal(maySubscribe("devices/d/modules/m/inputs/#", "d", "m"), true);
    assert.equal(maySubscribe("devices/d/modules/other/inputs/#", "d", "m"), false);
    assert.equal(maySubscribe("$iothub/#", "d", "m"), false);
    assert.equal(maySubscribe("#", "d", "m"), false);
  });

  it("decodes the property bag as the SDK encodes it", () => {
    assert.deepEqual(
      decodePropertyBag("%24.on=telemetry&%24.ct=application%2Fjson&k%20y=a%26b%3Dc&bad=%E0%A4%A"),
      [
        ["$.on", "telemetry"],
        ["$.ct", "application/json"],
        ["k y", "a&b=c"],
        ["bad", "%E0%A4%A"],
      ],
    );
  });
});

describe("edgeHub emulator twin patches", () => {
  it("merges recursively, replaces arrays and deletes on null", () => {
    const twin = { a: { b: 1, c: 2 }, list: [1, 2], gone: "x" };
    mergeTwinPatch(twin, { a: { c: null, d: 3 }, list: [3], gone: null, fresh: { deep: true } });
    assert.deepEqual(twin, { a: { b: 1, d: 3 }, list: [3], fresh: { deep: true } });
  });

  it("refuses what IoT Hub refuses", () => {
    for (const patch of [[1], "x", null, { $version: 3 }, { "a.b": 1 }, { "a b": 1 }, { a: Number.NaN }]) {
      assert.throws(() => assertTwinPatch(patch), TwinPatchError, JSON.stringify(patch));
    }
    assert.doesNotThrow(() => assertTwinPatch({ a: { b: [1, { c: null }] } }));
  });
});

describe("edgeHub emulator SAS tokens", () => {
  const resource = "hub.azure-devices.net/devices/d/modules/m";
  const key = newSymmetricKey();
  const now = 1_800_000_000;

  it("accepts a valid token and refuses expired, foreign, re-signed and malformed ones", () => {
    const expectation = { resource, base64Key: key, nowSeconds: now };
    assert.deepEqual(verifySasToken(createSasToken(resource, key, now + 60), expectation), {
      ok: true,
      expiresAtSeconds: now + 60,
    });
    assert.deepEqual(verifySasToken(createSasToken(resource, key, now), expectation), {
      ok: false,
      reason: "expired",
    });
    assert.deepEqual(verifySasToken(createSasToken(`${resource}x`, key, now + 60), expectation), {
      ok: false,
      reason: "wrong resource",
    });
    assert.deepEqual(verifySasToken(createSasToken(resource, newSymmetricKey(), now + 60), expectation), {
      ok: false,
      reason: "bad signature",
    });
    const extended = createSasToken(resource, key, now + 60).replace(`se=${now + 60}`, `se=${now + 6000}`);
    assert.deepEqual(verifySasToken(extended, expectation), { ok: false, reason: "bad signature" });
    assert.deepEqual(verifySasToken("Bearer abc", expectation), { ok: false, reason: "malformed" });
  });
});
