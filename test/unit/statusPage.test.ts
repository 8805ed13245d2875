import assert from "node:assert/strict";
import { test } from "node:test";
import { DayCurve, MAX_POINTS } from "../../modules/kostal2mqtt/src/observability/dayCurve.js";
import { HealthServer } from "../../modules/kostal2mqtt/src/observability/healthServer.js";
import { StatusBoard, type BoardSource } from "../../modules/kostal2mqtt/src/observability/statusBoard.js";
import {
  MAX_CHARTS,
  statusPage,
  type PageStyle,
} from "../../modules/kostal2mqtt/src/observability/statusPage.js";
import { createLogger } from "../../modules/kostal2mqtt/src/log/logger.js";
import type { InverterStatusReport } from "../../modules/kostal2mqtt/src/ports/output.js";
import type { BridgeObserver } from "../../modules/kostal2mqtt/src/runtime/bridgeControl.js";
import { pikoReading } from "../support/runtimeHarness.js";
import { NOON } from "../support/simulatedTime.js";
import { SITE_CLOCK, siteMidnight } from "../support/siteClock.js";

const MIDNIGHT = siteMidnight(NOON);
const DAY_MS = 86_400_000;
const redact = (text: string) => text.split("s3cret").join("[redacted]");
const style: PageStyle = { clock: SITE_CLOCK, redact, title: "kostal2mqtt" };

function status(id: string, over: Partial<InverterStatusReport> = {}): InverterStatusReport {
  return {
    inverter: id,
    state: "producing",
    since: new Date(MIDNIGHT + 8 * 3600_000).toISOString(),
    last_seen: new Date(NOON).toISOString(),
    message: "producing 4120 W",
    failures: 0,
    ...over,
  };
}

function source(statuses: InverterStatusReport[]): BoardSource {
  return {
    inverterStatuses: () => statuses,
    outputHealth: () => ({
      mqtt: { state: "connected", queued: 3, dropped: 1, delivered: 40, message: "connected" },
      edgehub: {
        state: "connected",
        queued: 0,
        dropped: 0,
        delivered: 0,
        message: "connected",
        failing: true,
        lastFault: "publishReading: client <gone>",
      },
    }),
  };
}

test("the day's curve: one point a minute (the minute's mean), a day at most, emptied at the site's midnight", () => {
  const curve = new DayCurve(SITE_CLOCK);
  curve.add(MIDNIGHT, 1000);
  curve.add(MIDNIGHT + 30_000, 2000);
  curve.add(MIDNIGHT + 59_999, 3000);
  assert.deepEqual(curve.points(), [{ atMs: MIDNIGHT, watts: 2000 }]);
  for (let at = MIDNIGHT + 60_000; at < MIDNIGHT + DAY_MS; at += 2000) curve.add(at, 500);
  assert.equal(curve.length, 1440);
  assert.ok(curve.length <= MAX_POINTS);
  const times = curve.points().map((point) => point.atMs);
  assert.ok(
    times.every((at, i) => i === 0 || at - times[i - 1]! === 60_000),
    "one point per minute, in order",
  );
  curve.add(MIDNIGHT + 3600_000, 9999); // a clock that went back: ignored
  assert.equal(curve.points().at(-1)!.watts, 500);
  curve.add(MIDNIGHT + DAY_MS + 5000, 42); // the next day at the site
  assert.equal(curve.dayStartMs, MIDNIGHT + DAY_MS);
  assert.deepEqual(curve.points(), [{ atMs: MIDNIGHT + DAY_MS, watts: 42 }]);
  curve.add(MIDNIGHT + 1000, 7); // yesterday's: ignored
  assert.equal(curve.length, 1);
});

test("the page escapes what the device says and redacts secrets; tables without any script", () => {
  const board = new StatusBoard(SITE_CLOCK);
  const hostile = '<img src=x onerror="alert(1)">';
  board.readingPublished({ ...pikoReading("dach", NOON), name: hostile, status_text: "Einspeisen & 'MPP'" });
  board.eventAnnounced({
    type: "inverter_state",
    subject: "dach",
    from: "starting",
    to: "producing",
    at: new Date(NOON).toISOString(),
    message: "answer from http://pvserver:s3cret@dach",
  });
  board.eventAnnounced({
    type: "config_applied",
    at: new Date(NOON).toISOString(),
    message: "interval 10 s",
  });
  const page = statusPage(
    board.view(source([status("dach", { message: "password s3cret </td>" })]), NOON),
    style,
  );
  assert.ok(!page.includes("<img"), "no markup from the device");
  assert.ok(page.includes("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;"));
  assert.ok(page.includes("Einspeisen &amp; &#39;MPP&#39;"));
  assert.ok(!page.includes("s3cret"));
  assert.ok(page.includes("password [redacted] &lt;/td&gt;"));
  assert.ok(!/<script(?![^>]*\bsrc=)/.test(page), "no inline script");
  assert.ok(!/\sstyle=/.test(page), "no inline style");
  assert.match(page, /<td>12:00:00<\/td>/, "times on the site's wall clock");
  assert.match(page, /energy today<\/th><td>21.3 kWh/);
  assert.match(page, /data-points="1"/);
  assert.match(page, /<td>connected; failing: publishReading: client &lt;gone&gt;<\/td>/);
  assert.match(page, /<td>config_applied<\/td><td><\/td><td>interval 10 s<\/td>/);
  assert.match(page, /<td>inverter_state dach<\/td><td>starting → producing<\/td>/);
  assert.match(page, /<td>mqtt<\/td><td><span class="state connected">connected<\/span><\/td><td>3<\/td>/);
});

test("after the site's midnight yesterday's energy and curve are not shown as today's", () => {
  const board = new StatusBoard(SITE_CLOCK);
  board.readingPublished(pikoReading("dach", NOON));
  const tomorrow = MIDNIGHT + DAY_MS + 60_000;
  const page = statusPage(board.view(source([status("dach")]), tomorrow), style);
  assert.match(page, /energy today<\/th><td>-/);
  assert.match(page, /data-points="0"/);
  assert.match(page, /no reading today yet/);
});

test("a bridge with many inverters draws the first few charts only: the page stays light", () => {
  const board = new StatusBoard(SITE_CLOCK);
  const ids = Array.from({ length: MAX_CHARTS + 3 }, (_, i) => `piko${i}`);
  for (const id of ids) board.readingPublished(pikoReading(id, NOON));
  const page = statusPage(board.view(source(ids.map((id) => status(id))), NOON), style);
  assert.equal(page.match(/<section class="inverter"/g)?.length, MAX_CHARTS + 3);
  assert.equal(page.match(/<svg class="chart"/g)?.length, MAX_CHARTS);
});

test("the page, its script and its stylesheet stay under 100 KiB with a full day of points", async (t) => {
  const observers: BridgeObserver[] = [];
  const server = new HealthServer({
    port: 0,
    bind: "127.0.0.1",
    control: {
      ...source([status("dach")]),
      pollIntervalMs: 10_000,
      observe: (observer) => {
        observers.push(observer);
        return () => undefined;
      },
    },
    now: () => MIDNIGHT + DAY_MS - 1,
    log: createLogger({ level: "error", write: () => undefined }),
    redact,
    clock: SITE_CLOCK,
  });
  await server.start();
  t.after(() => server.stop());
  for (let minute = 0; minute < 1440; minute++) {
    const reading = pikoReading("dach", MIDNIGHT + minute * 60_000, 1000 + ((minute * 7919) % 9000) + 0.123);
    for (const observer of observers) observer.readingPublished?.(reading);
  }
  let total = 0;
  for (const path of ["/", "/status.js", "/status.css"]) {
    const response = await fetch(`http://127.0.0.1:${server.port}${path}`);
    assert.equal(response.status, 200, path);
    total += (await response.arrayBuffer()).byteLength;
    if (path === "/") {
      assert.match(response.headers.get("content-security-policy") ?? "", /script-src 'self'/);
      assert.match(response.headers.get("content-type") ?? "", /^text\/html/);
    }
  }
  const page = await (await fetch(`http://127.0.0.1:${server.port}/`)).text();
  assert.match(page, /data-points="1440"/);
  assert.ok(total < 100 * 1024, `${total} bytes`);
});
