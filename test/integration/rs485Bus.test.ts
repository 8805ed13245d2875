import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { createLogger } from "../../modules/kostal2mqtt/src/log/logger.js";
import { PageFormat } from "../../modules/kostal2mqtt/src/piko/errors.js";
import { statusPageUrl } from "../../modules/kostal2mqtt/src/piko/inverterAddress.js";
import { InverterClient } from "../../modules/kostal2mqtt/src/piko/inverterClient.js";
import { fetchStatusPage } from "../../modules/kostal2mqtt/src/piko/pageFetcher.js";
import { parseStatusPage } from "../../modules/kostal2mqtt/src/piko/statusPage.js";
import { Bridge } from "../../modules/kostal2mqtt/src/runtime/bridge.js";
import { ManualClock, PikoSimulator } from "../../modules/piko-simulator/src/index.js";
import { RecordingOutput } from "../support/runtimeHarness.js";
import { NOON } from "../support/simulatedTime.js";

/**
 * Issue 12, old PIKOs on one RS485 bus: one simulated web server (haus, address 255) with a neighbour on its bus
 * (garage, address 2), over real HTTP. The status page's form posts `edWrNr`; the client checks the header.
 */

const PASSWORD = "canary-bus-pw";
const credentials = { username: "pvserver", password: PASSWORD };
const clock = new ManualClock(NOON);
const haus = new PikoSimulator({ model: "8.3", name: "haus", password: PASSWORD, clock });
const garage = new PikoSimulator({ model: "3.6", name: "garage", rs485Address: 2, seed: 7, clock });
let url: URL;

before(async () => {
  haus.connectBus([garage]);
  url = statusPageUrl(new URL(await haus.start()).host);
});
after(() => haus.stop());

async function shown(form?: Record<string, string>) {
  const page = await fetchStatusPage(url, credentials, form === undefined ? {} : { form });
  const { name, rs485Address, values } = parseStatusPage(page.html);
  return { name, rs485Address, acPowerW: values.get("ac_power_w") };
}

test("the simulated web server shows the bus address posted as edWrNr, else its own inverter", async () => {
  assert.deepEqual(await shown({ edWrNr: "2" }), {
    name: "garage",
    rs485Address: 2,
    acPowerW: garage.valuesNow()?.acPowerW,
  });
  const own = { name: "haus", rs485Address: 255, acPowerW: haus.valuesNow()?.acPowerW };
  assert.notEqual(own.acPowerW, garage.valuesNow()?.acPowerW, "each inverter has its own values");
  assert.deepEqual(await shown(), own, "a GET shows the web server's own inverter");
  assert.deepEqual(await shown({ edWrNr: "255" }), own);
  assert.deepEqual(await shown({ edWrNr: "7" }), own, "nobody at 7: the web server shows its own page");
  assert.deepEqual(await shown({ other: "2" }), own, "a form without edWrNr");
  assert.deepEqual(await shown({ edWrNr: "300" }), own, "no bus address");
  assert.deepEqual(await shown({ edWrNr: "two" }), own, "not a number");
  assert.throws(() => haus.connectBus([garage, garage]), /RS485 address 2 is taken twice/);
});

test("a client with an rs485Address reads its inverter through the neighbour, checking the header", async () => {
  const client = new InverterClient({
    id: "garage",
    url,
    credentials,
    rs485Address: 2,
    now: clock.now.bind(clock),
  });
  try {
    const { reading } = await client.read();
    assert.equal(reading.inverter, "garage");
    assert.equal(reading.name, "garage");
    assert.equal(reading.rs485_address, 2);
  } finally {
    client.close();
  }
  const nobody = new InverterClient({ id: "shed", url, credentials, rs485Address: 7 });
  try {
    await assert.rejects(
      nobody.read(),
      (error: unknown) =>
        error instanceof PageFormat &&
        /for RS485 address 7, found the page of address 255 \('haus'\)/.test(error.message),
    );
  } finally {
    nobody.close();
  }
});

test("the bridge reads two inverters of one bus one request at a time through one web server", async () => {
  const output = new RecordingOutput("recording");
  const bridge = new Bridge({
    outputs: [output],
    log: createLogger({ level: "error", write: () => {} }),
    limits: { timeoutMs: 5000, maxBytes: 256 * 1024 },
  });
  const host = url.host;
  const entry = { host, username: "pvserver", password: PASSWORD, enabled: true };
  const overlappingBefore = haus.stats.overlapping;
  // Slow answers: a client that did not wait for its turn would be seen asking while the other is answered.
  haus.setFault({ kind: "slow", delayMs: 100 });
  bridge.apply({
    pollIntervalSeconds: 3600,
    inverters: new Map([
      ["haus", { ...entry, rs485Address: 255 }],
      ["garage", { ...entry, rs485Address: 2 }],
    ]),
  });
  try {
    for (let round = 0; round < 3; round++) {
      const outcomes = await bridge.readNow();
      assert.deepEqual(
        outcomes?.map((o) => [o.inverter, o.result?.reading.name, o.result?.reading.rs485_address]),
        [
          ["haus", "haus", 255],
          ["garage", "garage", 2],
        ],
      );
    }
    assert.equal(
      haus.stats.overlapping - overlappingBefore,
      0,
      "never two requests at once to the web server",
    );
  } finally {
    haus.setFault(null);
    await bridge.stop(1000);
  }
});
