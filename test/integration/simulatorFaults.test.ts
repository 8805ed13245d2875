import assert from "node:assert/strict";
import { test } from "node:test";
import { PageFormat } from "../../modules/kostal2mqtt/src/piko/errors.js";
import { parseStatusPage } from "../../modules/kostal2mqtt/src/piko/statusPage.js";
import { fetchRaw, LIMIT, nextExchange, withSimulator } from "../support/simulatorHttp.js";

/**
 * Every fault of the simulator, observed from a client over real HTTP, and the one-exchange-at-a-time rule.
 * The few real delays (slow, drip) are measured, never waited for.
 */

test("fault slow: the answer starts only after the delay", LIMIT, () =>
  withSimulator({}, async (sim, url) => {
    sim.setFault({ kind: "slow", delayMs: 150, remaining: 1 });
    const slow = await fetchRaw(url);
    assert.equal(slow.status, 200);
    assert.ok(slow.headMs >= 145, `head after ${slow.headMs} ms`);
    parseStatusPage(slow.body.toString("latin1"));
    assert.equal(sim.fault, null, "remaining: 1 clears the fault after one request");
    assert.equal(sim.stats.faulted, 1);
  }),
);

test("fault drip: the whole page, in small pieces spread over time", LIMIT, () =>
  withSimulator({}, async (sim, url) => {
    sim.setFault({ kind: "drip", chunkBytes: 1024, intervalMs: 20 });
    const drip = await fetchRaw(url);
    assert.equal(drip.status, 200);
    assert.ok(drip.complete);
    assert.equal(drip.headers["content-length"], String(drip.body.length));
    const pieces = Math.ceil(drip.body.length / 1024);
    assert.ok(drip.endMs - drip.headMs >= (pieces - 1) * 20 - 5, `body took ${drip.endMs - drip.headMs} ms`);
    assert.ok(drip.pieces >= 2, `${drip.pieces} pieces`);
    assert.equal(parseStatusPage(drip.body.toString("latin1")).reader, "scanner");
  }),
);

test("fault status: the given HTTP status instead of the page, 401 with the challenge", LIMIT, () =>
  withSimulator({}, async (sim, url) => {
    sim.setFault({ kind: "status", status: 500, remaining: 1 });
    assert.equal((await fetchRaw(url)).status, 500);
    sim.setFault({ kind: "status", status: 401, remaining: 1 });
    const denied = await fetchRaw(url);
    assert.equal(denied.status, 401);
    assert.equal(denied.headers["www-authenticate"], 'Basic realm="PV Webserver"');
    assert.equal((await fetchRaw(url)).status, 200);
  }),
);

test("fault garbage: 200 with random bytes that are no PIKO page", LIMIT, () =>
  withSimulator({}, async (sim, url) => {
    sim.setFault({ kind: "garbage", bytes: 3000 });
    const garbage = await fetchRaw(url);
    assert.equal(garbage.status, 200);
    assert.equal(garbage.body.length, 3000);
    assert.throws(() => parseStatusPage(garbage.body.toString("latin1")), PageFormat);
  }),
);

test("fault total: a whole page showing the fault's lifetime total, a spike or a dip", LIMIT, () =>
  withSimulator({}, async (sim, url) => {
    const total = async () => {
      const answer = await fetchRaw(url);
      assert.equal(answer.status, 200);
      return parseStatusPage(answer.body.toString("latin1")).values.get("energy_total_kwh");
    };
    const real = sim.valuesNow()!.energyTotalKwh;
    assert.equal(await total(), real);
    sim.setFault({ kind: "total", kwh: 4294967295, remaining: 1 });
    assert.equal(await total(), 4294967295, "the spike seen in the field");
    sim.setFault({ kind: "total", kwh: real - 3, remaining: 2 });
    assert.deepEqual([await total(), await total()], [real - 3, real - 3], "a dip, for two requests");
    assert.equal(await total(), real, "then the real total again");
    assert.deepEqual([sim.stats.pages, sim.stats.faulted], [5, 3], "whole pages, each counted as faulted");
    assert.throws(() => sim.setFault({ kind: "total", kwh: -1 }), /total kwh must be a whole number/);
  }),
);

test("fault truncated: the full Content-Length promised, the connection closed halfway", LIMIT, () =>
  withSimulator({}, async (sim, url) => {
    const whole = sim.renderNow()!.length;
    sim.setFault({ kind: "truncated" });
    const cut = await fetchRaw(url);
    assert.equal(cut.status, 200);
    assert.equal(cut.headers["content-length"], String(whole));
    assert.equal(cut.complete, false);
    assert.equal(cut.body.length, Math.floor(whole / 2));
  }),
);

test("fault reset: the connection is reset without an answer", LIMIT, () =>
  withSimulator({}, async (sim, url) => {
    sim.setFault({ kind: "reset", remaining: 2 });
    for (let i = 0; i < 2; i++) await assert.rejects(fetchRaw(url), { code: "ECONNRESET" });
    assert.equal((await fetchRaw(url)).status, 200);
    assert.equal(sim.stats.faulted, 2);
  }),
);

test("fault silent: the request is taken and never answered, and it holds up the next one", LIMIT, () =>
  withSimulator({}, async (sim, url) => {
    sim.setFault({ kind: "silent", remaining: 1 });
    const gaveUp = new AbortController();
    let answered = false;
    const taken = nextExchange(sim);
    const hanging = fetchRaw(url, { signal: gaveUp.signal }).then(() => (answered = true));
    assert.equal((await taken)[0].fault, "silent");
    // The device serves one exchange at a time: a second client waits behind the silent one.
    const second = fetchRaw(url);
    const secondTaken = nextExchange(sim);
    gaveUp.abort();
    await assert.rejects(hanging, { name: "AbortError" });
    assert.equal(answered, false);
    assert.equal((await secondTaken)[0].fault, null, "taken up only once the first client gave up");
    assert.equal((await second).status, 200);
  }),
);

test("random faults: probability draws from the seed, so some requests fail and some do not", LIMIT, () =>
  withSimulator({ seed: 5 }, async (sim, url) => {
    sim.setFault({ kind: "status", status: 503, probability: 0.5 });
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await fetchRaw(url)).status);
    const failed = statuses.filter((status) => status === 503).length;
    assert.ok(failed > 5 && failed < 35, `${failed} of 40 failed`);
    assert.equal(failed + statuses.filter((status) => status === 200).length, 40);
    assert.equal(sim.stats.faulted, failed);
  }),
);

test("one exchange at a time: a second request waits for the first answer", LIMIT, () =>
  withSimulator({}, async (sim, url) => {
    sim.setFault({ kind: "slow", delayMs: 100, remaining: 1 });
    const finished: string[] = [];
    const first = fetchRaw(url).then((answer) => finished.push(`first ${answer.status}`));
    await nextExchange(sim);
    const second = fetchRaw(url).then((answer) => finished.push(`second ${answer.status}`));
    await Promise.all([first, second]);
    assert.deepEqual(finished, ["first 200", "second 200"]);
  }),
);
