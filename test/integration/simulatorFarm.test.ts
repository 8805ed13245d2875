import assert from "node:assert/strict";
import { test } from "node:test";
import { parseStatusPage } from "../../modules/kostal2mqtt/src/piko/statusPage.js";
import { ManualClock } from "../../modules/piko-simulator/src/clock.js";
import { startFarm } from "../../modules/piko-simulator/src/farm.js";
import { simulateCommand } from "../../modules/piko-simulator/src/simulateCommand.js";
import { NOON } from "../support/simulatedTime.js";

/** Many simulators in one process, and the `simulate` command, over real HTTP on 127.0.0.1. */

const LIMIT = { timeout: 20_000 };
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

async function getPage(url: string, authorization = basic("pvserver", "pvwr")): Promise<Response> {
  return fetch(`${url}/index.fhtml`, { headers: { authorization }, signal: AbortSignal.timeout(5000) });
}

/** Lets handles that are closing finish (their close callbacks run after the check phase). */
const settle = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));

function listeners(): number {
  return process.getActiveResourcesInfo().filter((kind) => kind === "TCPServerWrap").length;
}

test(
  "a farm: one simulator per port on one clock, each with its own name, model and clouds",
  LIMIT,
  async () => {
    await settle();
    const listenersBefore = listeners();
    const clock = new ManualClock(NOON);
    const farm = await startFarm({
      count: 40,
      models: ["10.1", "3.6", "5.5"],
      language: "en",
      clock,
      seed: 100,
    });
    try {
      assert.equal(farm.urls.length, 40);
      assert.equal(new Set(farm.urls).size, 40);
      for (const url of farm.urls) assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(listeners(), listenersBefore + 40);

      const pages = await Promise.all(
        farm.urls.map(async (url) => {
          const response = await getPage(url);
          assert.equal(response.status, 200);
          return parseStatusPage(Buffer.from(await response.arrayBuffer()).toString("latin1"));
        }),
      );
      pages.forEach((page, i) => {
        assert.equal(page.name, `piko${i + 1}`);
        assert.equal(page.model, `PIKO ${["10.1", "3.6", "5.5"][i % 3]}`);
        assert.equal(page.statusText, "supply MPP");
        assert.equal(page.reader, "scanner");
        assert.equal(page.values.get("ac_power_w"), farm.simulators[i]!.valuesNow()!.acPowerW);
      });
      const tenKilowattPowers = pages
        .filter((_, i) => i % 3 === 0)
        .map((page) => page.values.get("ac_power_w"));
      assert.ok(new Set(tenKilowattPowers).size > 5, "different seeds, different clouds");
    } finally {
      await farm.stop();
    }
    await settle();
    assert.equal(listeners(), listenersBefore);
  },
);

test("a farm refuses a count below 1", LIMIT, async () => {
  await assert.rejects(startFarm({ count: 0, clock: new ManualClock(NOON) }), RangeError);
});

test("simulate: starts from arguments, logs one line with the URL but not the password", LIMIT, async () => {
  const lines: string[] = [];
  const simulator = await simulateCommand(
    [
      "--model",
      "3.0",
      "--language",
      "en",
      "--name",
      "Garage",
      "--password",
      "canary-inverter-secret",
      "--start",
      "2024-06-21T12:00:00+01:00",
      "--speed",
      "60",
    ],
    (line) => lines.push(line),
  );
  try {
    assert.match(simulator.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(lines.length, 1);
    assert.ok(lines[0]!.includes(simulator.url), lines[0]);
    assert.ok(!lines[0]!.includes("canary-inverter-secret"), lines[0]);

    assert.equal((await getPage(simulator.url)).status, 401, "the factory password no longer works");
    const response = await getPage(simulator.url, basic("pvserver", "canary-inverter-secret"));
    assert.equal(response.status, 200);
    const page = parseStatusPage(Buffer.from(await response.arrayBuffer()).toString("latin1"));
    assert.equal(page.model, "PIKO 3.0");
    assert.equal(page.name, "Garage");
    assert.equal(page.statusText, "supply MPP");
    assert.deepEqual([...page.values.keys()].sort(), [
      "ac_power_w",
      "dc1_current_a",
      "dc1_voltage_v",
      "energy_today_kwh",
      "energy_total_kwh",
      "l1_power_w",
      "l1_voltage_v",
    ]);
  } finally {
    await simulator.stop();
  }
  await assert.rejects(getPage(simulator.url));
});

test("simulate: --fault applies from the first request", LIMIT, async () => {
  const simulator = await simulateCommand(
    ["--fault", "status:503", "--start", "2024-06-21T12:00:00+01:00"],
    () => {},
  );
  try {
    assert.equal((await getPage(simulator.url)).status, 503);
  } finally {
    await simulator.stop();
  }
});

test("simulate: bad arguments start nothing and log nothing", LIMIT, async () => {
  const lines: string[] = [];
  const listenersBefore = listeners();
  await assert.rejects(
    simulateCommand(["--model", "9.9", "--port", "x"], (line) => lines.push(line)),
    /--port must be a port number.*--model must be one of/,
  );
  assert.deepEqual(lines, []);
  assert.equal(listeners(), listenersBefore);
});
