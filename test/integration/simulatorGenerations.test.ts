import assert from "node:assert/strict";
import { connect } from "node:net";
import { test } from "node:test";
import { readDxsAnswers } from "../../modules/kostal2mqtt/src/piko/dxs/dxsReader.js";
import { READING_IDS } from "../../modules/kostal2mqtt/src/piko/dxs/dxsIds.js";
import { planDxsRequests } from "../../modules/kostal2mqtt/src/piko/dxs/dxsRequests.js";
import { readMpplusDocument } from "../../modules/kostal2mqtt/src/piko/mpplus/mpplusReader.js";
import { parseStatusPage } from "../../modules/kostal2mqtt/src/piko/statusPage.js";
import { fetchRaw, LIMIT, withSimulator } from "../support/simulatorHttp.js";

/** The simulator as a newer PIKO: the dxs.json API as the device speaks it, and MP plus documents. */

/** One raw exchange: the bytes exactly as the simulator sends them, until it closes the connection. */
function rawGet(base: string, path: string): Promise<string> {
  const { port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), "127.0.0.1", () =>
      socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`),
    );
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    socket.on("error", reject);
  });
}

const ids = (...list: number[]) => `/api/dxs.json?${list.map((id) => `dxsEntries=${id}`).join("&")}`;

test("dxs.json: HTTP/1.0, text/plain, no Content-Length, closed after the body, no login", LIMIT, () =>
  withSimulator({ protocol: "dxs" }, async (_sim, url) => {
    const raw = await rawGet(url, ids(67109120, 16780032));
    const [head, body] = raw.split("\r\n\r\n");
    assert.match(head!, /^HTTP\/1\.0 200 OK\r\n/);
    assert.match(head!, /\r\nContent-Type: text\/plain/);
    assert.doesNotMatch(head!, /content-length|keep-alive/i);
    assert.match(
      body!,
      /^\{"dxsEntries":\[\{"dxsId":67109120,"value":\d+\.000000\},\{"dxsId":16780032,"value":3\}\],/,
    );
    assert.ok(body!.endsWith(`"status":{"code":0}}`), "one line, no trailing newline");
    assert.equal((await fetchRaw(url, { path: "/index.fhtml", authorization: null })).status, 404);
  }),
);

test(
  "dxs.json: the values of the same moment the status page shows; what the model lacks is unknown",
  LIMIT,
  async () => {
    let page: ReturnType<typeof parseStatusPage> | undefined;
    await withSimulator({ model: "8.3" }, async (_sim, url) => {
      page = parseStatusPage((await fetchRaw(url)).body.toString("latin1"));
    });
    await withSimulator({ model: "8.3", protocol: "dxs", serial: "ABC123" }, async (sim, url) => {
      const texts = [];
      for (const path of planDxsRequests(READING_IDS))
        texts.push((await fetchRaw(url, { path })).body.toString("utf8"));
      const content = readDxsAnswers(texts, READING_IDS);
      for (const key of [
        "ac_power_w",
        "energy_total_kwh",
        "energy_today_kwh",
        "dc1_voltage_v",
        "l2_power_w",
      ] as const) {
        assert.equal(content.values.get(key), page!.values.get(key), key);
      }
      assert.equal(content.identity.serial, "ABC123");
      assert.equal(content.model, "PIKO 8.3");
      // A 2-string model does not know DC3; no simulated model has a battery or, by default, a meter.
      for (const id of [33555713, 33555714, 33555715, 33556229, 83887872])
        assert.ok(content.unanswered.includes(id), String(id));
      const today = JSON.parse((await fetchRaw(url, { path: ids(251658754) })).body.toString("utf8")) as {
        dxsEntries: Array<{ value: number }>;
      };
      assert.equal(
        today.dxsEntries[0]!.value,
        Math.round(sim.valuesNow()!.energyTodayKwh * 1000),
        "today's yield in Wh",
      );
    });
  },
);

test("dxs.json: unknown ids are left out with status 1; more than 25 ids: the first 25 answered", LIMIT, () =>
  withSimulator({ model: "3.6", protocol: "dxs", homeLoadW: 500 }, async (_sim, url) => {
    const answer = async (path: string) =>
      JSON.parse((await fetchRaw(url, { path })).body.toString("utf8")) as {
        dxsEntries: Array<{ dxsId: number; value: unknown }>;
        status: { code: number };
      };
    const partial = await answer(ids(67109120, 33556229, 67109634, 83887872));
    assert.deepEqual(
      partial.dxsEntries.map((e) => [e.dxsId, e.value === null ? null : typeof e.value]),
      [
        [67109120, "number"],
        [67109634, null], // a single-phase model: L2 voltage null, as the real PIKO 3.0 answers
        [83887872, "number"], // the home meter is fitted
      ],
    );
    assert.equal(partial.status.code, 1);
    const many = Array.from({ length: 30 }, () => 67109120).map((id, i) => (i < 25 ? id : 16780032));
    const capped = await answer(ids(...many));
    assert.equal(capped.dxsEntries.length, 25);
    assert.ok(capped.dxsEntries.every((e) => e.dxsId === 67109120));
    assert.equal(capped.status.code, 1);
  }),
);

test("dxs.json: faults apply (503, a body cut short, dripped, garbage, silence)", LIMIT, () =>
  withSimulator({ protocol: "dxs" }, async (sim, url) => {
    sim.setFault({ kind: "status", status: 503, remaining: 1 });
    assert.equal((await fetchRaw(url, { path: ids(67109120) })).status, 503);
    sim.setFault({ kind: "truncated", remaining: 1 });
    const cut = await rawGet(url, ids(67109120, 16780032, 251658753));
    assert.match(cut, /^HTTP\/1\.0 200/);
    assert.throws(() => readDxsAnswers([cut.split("\r\n\r\n")[1]!]), { name: "PageFormat" });
    sim.setFault({ kind: "drip", chunkBytes: 16, intervalMs: 2, remaining: 1 });
    const dripped = await rawGet(url, ids(67109120, 16780032));
    assert.doesNotMatch(dripped, /content-length/i);
    assert.equal(
      readDxsAnswers([dripped.split("\r\n\r\n")[1]!]).statusText,
      "feeding MPP",
      "the whole body, to the close",
    );
    sim.setFault({ kind: "garbage", bytes: 64, remaining: 1 });
    const garbage = await rawGet(url, ids(67109120));
    assert.match(garbage, /^HTTP\/1\.0 200/);
    sim.setFault({ kind: "silent", remaining: 1 });
    const silent = new AbortController();
    const hanging = fetchRaw(url, { path: ids(67109120), signal: silent.signal });
    setTimeout(() => silent.abort(), 100);
    await assert.rejects(hanging);
    assert.equal(sim.stats.faulted, 5);
  }),
);

test("MP plus: /all.xml and its parts read as the documents of the captures", LIMIT, () =>
  withSimulator({ model: "3.6", protocol: "mpplus", serial: "MP42" }, async (sim, url) => {
    const all = readMpplusDocument(
      (await fetchRaw(url, { path: "/all.xml", authorization: null })).body.toString("utf8"),
    );
    assert.equal(all.model, "PIKO 3.6-2 MP plus");
    assert.equal(all.identity.serial, "MP42");
    assert.equal(all.statusText, "Feeding");
    assert.equal(all.values.get("ac_power_w"), sim.valuesNow()!.acPowerW);
    assert.equal(all.values.get("energy_total_kwh"), sim.valuesNow()!.energyTotalKwh);
    const yields = readMpplusDocument((await fetchRaw(url, { path: "/yields.xml" })).body.toString("utf8"));
    assert.deepEqual([...yields.values.keys()], ["energy_total_kwh"]);
    assert.equal((await fetchRaw(url, { path: "/api/dxs.json" })).status, 404);
  }),
);
