import assert from "node:assert/strict";
import { test } from "node:test";
import type { PikoFormat } from "../../modules/kostal2mqtt/src/piko/detectFormat.js";
import { InverterAuth, InverterUnreachable, PageFormat } from "../../modules/kostal2mqtt/src/piko/errors.js";
import { InverterClient } from "../../modules/kostal2mqtt/src/piko/inverterClient.js";
import {
  PROBE_ORDER,
  ProtocolProbe,
  REPROBE_AFTER_FORMAT_ERRORS,
  type ProtocolPoll,
} from "../../modules/kostal2mqtt/src/piko/protocolProbe.js";
import { ManualClock, PikoSimulator } from "../../modules/piko-simulator/src/index.js";
import { NOON } from "../support/simulatedTime.js";

/** Protocol detection: a fake device per interface, a firmware change, and the real client against the simulator. */

const POLL: ProtocolPoll = {
  content: { model: "PIKO", name: "", rs485Address: 255, statusText: "", values: new Map(), warnings: [] },
  deviceId: null,
  answeredAtMs: 0,
};

/** A device that speaks `speaks` (changeable); every other interface is refused as the real devices refuse it. */
function fakeDevice(speaks: PikoFormat) {
  const device = {
    speaks,
    asked: [] as PikoFormat[],
    fetch: (protocol: PikoFormat): Promise<ProtocolPoll> => {
      device.asked.push(protocol);
      if (protocol === device.speaks) return Promise.resolve(POLL);
      // The old PIKO asks for a login on every path (a request without one reads that as PageFormat); the newer
      // ones answer 404.
      return Promise.reject(
        new PageFormat(device.speaks === "html" ? "found a login request (HTTP 401)" : "404"),
      );
    },
  };
  return device;
}

test("auto probes cheapest first, stops at the interface that answers, and remembers it", async () => {
  assert.deepEqual(PROBE_ORDER, ["dxs", "mpplus", "html"]);
  for (const speaks of ["html", "dxs", "mpplus"] as const) {
    const device = fakeDevice(speaks);
    const detected: Array<[PikoFormat, PikoFormat | null]> = [];
    const probe = new ProtocolProbe("auto", device.fetch, (p, previous) => detected.push([p, previous]));
    assert.equal(probe.protocol, null);
    assert.equal((await probe.read()).protocol, speaks);
    const probed: PikoFormat[] = PROBE_ORDER.slice(0, PROBE_ORDER.indexOf(speaks) + 1);
    assert.deepEqual(device.asked, probed);
    await probe.read();
    await probe.read();
    assert.deepEqual(device.asked, [...probed, speaks, speaks], `${speaks}: remembered, not probed again`);
    assert.deepEqual(detected, [[speaks, null]], "said once");
  }
});

test("a firmware update that changes the interface is picked up after persistent format errors", async () => {
  const device = fakeDevice("html");
  const detected: Array<[PikoFormat, PikoFormat | null]> = [];
  const probe = new ProtocolProbe("auto", device.fetch, (p, previous) => detected.push([p, previous]));
  await probe.read();
  device.speaks = "dxs";
  device.asked.length = 0;
  for (let i = 0; i < REPROBE_AFTER_FORMAT_ERRORS; i++) {
    await assert.rejects(probe.read(), PageFormat);
    assert.equal(probe.protocol, i + 1 < REPROBE_AFTER_FORMAT_ERRORS ? "html" : null);
  }
  assert.equal((await probe.read()).protocol, "dxs");
  assert.deepEqual(device.asked, ["html", "html", "html", "dxs"]);
  assert.deepEqual(detected, [
    ["html", null],
    ["dxs", "html"],
  ]);
});

test("format errors that are not in a row, and unreachable devices, keep the interface", async () => {
  let fail: Error | null = null;
  const probe = new ProtocolProbe("auto", () => (fail ? Promise.reject(fail) : Promise.resolve(POLL)));
  await probe.read();
  for (let i = 0; i < 5; i++) {
    fail = new PageFormat("one bad page");
    await assert.rejects(probe.read());
    fail = new InverterUnreachable("asleep");
    await assert.rejects(probe.read());
    await assert.rejects(probe.read());
    fail = null;
    await probe.read();
  }
  assert.equal(probe.protocol, "dxs");
});

test("a probe of a silent device fails as unreachable and decides nothing; refused everywhere is one PageFormat", async () => {
  const silent = new ProtocolProbe("auto", () => Promise.reject(new InverterUnreachable("timeout")));
  await assert.rejects(silent.read(), InverterUnreachable);
  assert.equal(silent.protocol, null);
  const nothing = new ProtocolProbe("auto", (p) => Promise.reject(new PageFormat(`no ${p}`)));
  await assert.rejects(nothing.read(), {
    name: "PageFormat",
    message: /dxs: no dxs; mpplus: no mpplus; html: no html/,
  });
  const wrongLogin = new ProtocolProbe("auto", (p) =>
    Promise.reject(p === "html" ? new InverterAuth("401") : new PageFormat("404")),
  );
  await assert.rejects(wrongLogin.read(), InverterAuth);
});

test("a set protocol is used as it is, never probed", async () => {
  const device = fakeDevice("dxs");
  const probe = new ProtocolProbe("mpplus", device.fetch);
  for (let i = 0; i < REPROBE_AFTER_FORMAT_ERRORS + 1; i++) await assert.rejects(probe.read(), PageFormat);
  assert.deepEqual(device.asked, ["mpplus", "mpplus", "mpplus", "mpplus"]);
  assert.equal(probe.protocol, "mpplus");
});

test("the client with auto reads every simulated generation", async () => {
  for (const protocol of ["html", "dxs", "mpplus"] as const) {
    const simulator = new PikoSimulator({
      clock: new ManualClock(NOON),
      model: "8.3",
      protocol,
      serial: "SIM42",
    });
    const base = await simulator.start();
    const detected: PikoFormat[] = [];
    const client = new InverterClient({
      id: "dach",
      idFromDevice: true,
      url: new URL("/index.fhtml", base),
      credentials: { username: "pvserver", password: "pvwr" },
      protocol: "auto",
      onProtocolDetected: (p) => detected.push(p),
    });
    try {
      const { reading } = await client.read();
      assert.deepEqual(detected, [protocol]);
      // MP plus documents say `Feeding` without the MPP detail.
      assert.equal(reading.status, protocol === "mpplus" ? "feeding" : "feeding_mpp", protocol);
      assert.equal(reading.ac_power_w, simulator.valuesNow()!.acPowerW, protocol);
      assert.equal(reading.inverter, protocol === "html" ? "dach" : "sim42", protocol);
    } finally {
      client.close();
      await simulator.stop();
    }
  }
});
