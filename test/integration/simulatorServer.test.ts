import assert from "node:assert/strict";
import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { test } from "node:test";
import { parseStatusPage } from "../../modules/kostal2mqtt/src/piko/statusPage.js";
import { ManualClock } from "../../modules/piko-simulator/src/clock.js";
import { PikoSimulator } from "../../modules/piko-simulator/src/server.js";
import {
  basic,
  fetchRaw,
  GOOD,
  LIMIT,
  nextExchange,
  NIGHT,
  NOON,
  withSimulator,
} from "../support/simulatorHttp.js";

/**
 * The simulator over real HTTP on 127.0.0.1 and an ephemeral port, seen from a client: auth, pages, the clock,
 * the night and a clean stop (faults: simulatorFaults.test.ts). Time only moves through the manual clock.
 */

test("binds to 127.0.0.1 on an ephemeral port and serves the page with the right credentials", LIMIT, () =>
  withSimulator({ model: "8.3", language: "en", name: "Roof", rs485Address: 12 }, async (sim, url) => {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(new URL(url).port, "0");
    for (const path of ["/index.fhtml", "/", "/index.fhtml?edWrNr=12"]) {
      const answer = await fetchRaw(url, { path });
      assert.equal(answer.status, 200);
      assert.equal(answer.headers["content-type"], "text/html");
      assert.equal(answer.headers["content-length"], String(answer.body.length));
      const page = parseStatusPage(answer.body.toString("latin1"));
      assert.equal(page.model, "PIKO 8.3");
      assert.equal(page.name, "Roof");
      assert.equal(page.rs485Address, 12);
      assert.equal(page.statusText, "supply MPP");
      assert.equal(page.values.get("ac_power_w"), sim.valuesNow()!.acPowerW);
      assert.deepEqual(page.warnings, []);
    }
    const head = await fetchRaw(url, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal(sim.stats.pages, 4);
  }),
);

test("asks for credentials on every path, known or not, like the device", LIMIT, () =>
  withSimulator({ username: "admin", password: "s3cret" }, async (sim, url) => {
    const cases: Array<[string, string | null]> = [
      ["/index.fhtml", null],
      ["/index.fhtml", basic("admin", "wrong")],
      ["/index.fhtml", basic("pvserver", "pvwr")],
      ["/index.fhtml", "Bearer abc"],
      ["/nothing-here.html", null],
      ["/LogDaten.dat", basic("admin", "nope")],
    ];
    for (const [path, authorization] of cases) {
      const answer = await fetchRaw(url, { path, authorization });
      assert.equal(answer.status, 401, `${path} with ${authorization}`);
      assert.equal(answer.headers["www-authenticate"], 'Basic realm="PV Webserver"');
    }
    assert.equal(
      (await fetchRaw(url, { path: "/nothing-here.html", authorization: basic("admin", "s3cret") })).status,
      404,
    );
    assert.equal((await fetchRaw(url, { authorization: basic("admin", "s3cret") })).status, 200);
    assert.deepEqual(
      { ...sim.stats },
      { requests: 8, pages: 1, unauthorized: 6, notFound: 1, faulted: 0, asleep: 0, overlapping: 0 },
    );
  }),
);

test("the page follows the injected clock: feeding at noon, idle at dawn, off at dusk", LIMIT, () =>
  withSimulator({ model: "3.6", language: "nl" }, async (sim, url, clock) => {
    const schedule = sim.day.scheduleAt(NOON);
    const expectations: Array<[number, string]> = [
      [schedule.wakeMs + 60_000, "stationair"],
      [NOON, "toevoer MPP"],
      [schedule.feedEndMs + 60_000, "uit"],
    ];
    for (const [ms, statusText] of expectations) {
      clock.set(ms);
      const page = parseStatusPage((await fetchRaw(url)).body.toString("latin1"));
      assert.equal(page.statusText, statusText);
      const shown = sim.day.valuesAt(ms)!;
      assert.equal(page.values.get("energy_today_kwh"), shown.energyTodayKwh);
      assert.equal(page.values.get("energy_total_kwh"), shown.energyTotalKwh);
      assert.equal(page.values.get("ac_power_w"), shown.acPowerW);
    }
  }),
);

test("night, silent: connections are accepted and never answered; the morning page comes again", LIMIT, () =>
  withSimulator({ nightBehaviour: "silent" }, async (sim, url, clock) => {
    clock.set(NIGHT);
    assert.equal(sim.valuesNow(), null);
    const gaveUp = new AbortController();
    const taken = nextExchange(sim);
    const hanging = fetchRaw(url, { signal: gaveUp.signal });
    assert.equal((await taken)[0].outcome, "asleep");
    gaveUp.abort();
    await assert.rejects(hanging, { name: "AbortError" });
    clock.set(sim.day.scheduleAt(NIGHT).wakeMs);
    const morning = await fetchRaw(url);
    assert.equal(morning.status, 200);
    assert.equal(parseStatusPage(morning.body.toString("latin1")).statusText, "Leerlauf");
  }),
);

test("night, refuse: connections are reset, even without credentials", LIMIT, () =>
  withSimulator({ nightBehaviour: "refuse" }, async (sim, url, clock) => {
    clock.set(NIGHT);
    await assert.rejects(fetchRaw(url), { code: "ECONNRESET" });
    await assert.rejects(fetchRaw(url, { authorization: null }), { code: "ECONNRESET" });
    assert.ok(sim.stats.asleep >= 2);
    clock.set(NOON);
    assert.equal((await fetchRaw(url)).status, 200);
  }),
);

/** Runs `work`, failing if it has not finished after `ms` (a deadline for a failure, not a wait for success). */
async function within(ms: number, what: string, work: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done after ${ms} ms`)), ms);
  });
  try {
    await Promise.race([work(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Lets handles that are closing finish (their close callbacks run after the check phase). */
const settle = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));

/** Sockets, servers and timers alive in this process, by kind. */
function liveHandles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) {
    if (kind === "TCPServerWrap" || kind === "TCPSocketWrap" || kind === "Timeout")
      counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

test(
  "stop() closes the listener, hanging connections and pending answers, leaving no handles",
  LIMIT,
  async () => {
    await settle();
    const before = liveHandles();
    const clock = new ManualClock(NOON);
    const sim = new PikoSimulator({ clock });
    const url = await sim.start();
    const { port } = new URL(url);

    // A pending slow answer (a timer), a request queued behind it, and an idle keep-alive connection.
    sim.setFault({ kind: "slow", delayMs: 600_000, remaining: 1 });
    const clients: Socket[] = [];
    const raw = (text: string) => {
      const socket = connect(Number(port), "127.0.0.1");
      clients.push(socket);
      const received: Buffer[] = [];
      socket.on("data", (chunk: Buffer) => received.push(chunk));
      socket.on("error", () => {}); // whatever ends it, the test looks at what arrived before the close
      socket.write(text);
      const closed = new Promise((resolve) => socket.on("close", resolve));
      return { connected: once(socket, "connect"), closed, received };
    };
    const request = `GET /index.fhtml HTTP/1.1\r\nHost: x\r\nAuthorization: ${GOOD}\r\n\r\n`;
    const taken = nextExchange(sim);
    const slow = raw(request);
    await taken;
    const queued = raw(request);
    const idle = raw("");
    await Promise.all([queued.connected, idle.connected]);

    // If stop() left a connection open it would never resolve: give up after a while, and close the clients so
    // that the failure is reported instead of the open connections keeping the test process alive.
    try {
      await within(5000, "stop() and the clients seeing their connections closed", async () => {
        await sim.stop();
        await Promise.all([slow.closed, queued.closed, idle.closed]);
      });
    } finally {
      for (const socket of clients) socket.destroy();
    }
    assert.equal(Buffer.concat(slow.received).length, 0, "the slow answer was never sent");
    assert.equal(Buffer.concat(queued.received).length, 0);
    assert.equal(sim.url, null);
    await assert.rejects(fetchRaw(url), { code: "ECONNREFUSED" });
    await settle();
    assert.deepEqual(liveHandles(), before);
  },
);

test("rejects bad options and bad faults with every reason", LIMIT, () => {
  assert.throws(
    () =>
      new PikoSimulator({ name: "my piko", rs485Address: 0, username: "a:b", clock: new ManualClock(NOON) }),
    /name must be 1-32 letters or digits; rs485Address must be a whole number 1-255; username must be/,
  );
  const sim = new PikoSimulator({ clock: new ManualClock(NOON) });
  assert.throws(() => sim.setFault({ kind: "slow", delayMs: -1 }), RangeError);
  assert.throws(() => sim.setFault({ kind: "status", status: 42 }), RangeError);
  assert.throws(() => sim.setFault({ kind: "reset", probability: 2 }), RangeError);
});
