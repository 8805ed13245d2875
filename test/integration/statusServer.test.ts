import assert from "node:assert/strict";
import { test } from "node:test";
import { createLogger } from "../../modules/kostal2mqtt/src/log/logger.js";
import { HealthServer } from "../../modules/kostal2mqtt/src/observability/healthServer.js";
import type { Bridge } from "../../modules/kostal2mqtt/src/runtime/bridge.js";
import { parseExposition, sampleValue } from "../support/promExposition.js";
import { pikoReading, RecordingOutput, runtimeHarness, settingsFor } from "../support/runtimeHarness.js";
import { SITE_CLOCK } from "../support/siteClock.js";
import { until } from "../support/until.js";

/** A hung stream fails its test instead of hanging the run. */
const LIMIT = { timeout: 20_000 };

/** One open `/events` stream: the `<main>` of each status event, in order. */
interface Stream {
  status: number;
  next(): Promise<string>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

async function openStream(port: number): Promise<Stream> {
  const abort = new AbortController();
  const response = await fetch(`http://127.0.0.1:${port}/events`, { signal: abort.signal });
  const events: string[] = [];
  let wake: () => void = () => undefined;
  const ended = (async () => {
    if (response.status !== 200) return;
    let text = "";
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body!) {
        text += decoder.decode(chunk as Uint8Array, { stream: true });
        let end: number;
        while ((end = text.indexOf("\n\n")) >= 0) {
          const block = text.slice(0, end);
          text = text.slice(end + 2);
          const data = /^event: status\ndata: (.*)$/m.exec(block);
          if (data) events.push(JSON.parse(data[1]!) as string);
          wake();
        }
      }
    } catch {
      // aborted by close()
    }
  })();
  return {
    status: response.status,
    ended,
    close: () => abort.abort(),
    next: async () => {
      while (events.length === 0) {
        const more = new Promise<void>((resolve) => (wake = resolve));
        await Promise.race([more, ended.then(() => Promise.reject(new Error("stream ended")))]);
      }
      return events.shift()!;
    },
  };
}

function serverOver(bridge: Bridge, now: () => number) {
  return new HealthServer({
    port: 0,
    bind: "127.0.0.1",
    control: bridge,
    now,
    log: createLogger({ level: "error", write: () => undefined }),
    redact: (text) => text,
    clock: SITE_CLOCK,
    pushGapMs: 0,
    memory: () => ({ rss: 1, heapUsed: 1 }),
  });
}

test(
  "an open status page gets the new state after each reading; /metrics counts the polls",
  LIMIT,
  async (t) => {
    let power = 4120;
    const { bridge, clock } = runtimeHarness([new RecordingOutput("mqtt")], {
      dach: (atMs) => pikoReading("dach", atMs, power),
    });
    const server = serverOver(bridge, clock.now);
    await server.start();
    t.after(() => server.stop());
    const stream = await openStream(server.port!);
    t.after(() => stream.close());
    assert.match(await stream.next(), /No inverter is configured yet/);
    bridge.apply(settingsFor(["dach"]));
    await clock.advance(0);
    const first = await stream.next();
    assert.match(first, /power now<\/th><td>4120 W/);
    assert.match(first, /data-points="1"/);
    power = 5000;
    await clock.advance(60_000);
    // Pushes follow the polls of the minute (12:00:10 ... 12:01:00); the one after 12:01:00 has the second point.
    let later = await stream.next();
    while (!later.includes('data-points="2"')) later = await stream.next();
    assert.match(later, /power now<\/th><td>5000 W/);

    const response = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    assert.equal(response.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    const parsed = parseExposition(await response.text());
    assert.equal(sampleValue(parsed, "kostal2mqtt_polls_total", { inverter: "dach", outcome: "ok" }), 7);
  },
);

test(
  "at most 16 pages follow at once, the 17th is told why; the stop ends every stream at once",
  LIMIT,
  async () => {
    const { bridge, clock } = runtimeHarness([new RecordingOutput("mqtt")]);
    const server = serverOver(bridge, clock.now);
    await server.start();
    const head = await fetch(`http://127.0.0.1:${server.port}/events`, { method: "HEAD" });
    assert.equal(head.headers.get("content-type"), "text/event-stream; charset=utf-8"); // and takes no place
    const streams = await Promise.all(Array.from({ length: 16 }, () => openStream(server.port!)));
    assert.deepEqual(new Set(streams.map((s) => s.status)), new Set([200]));
    await Promise.all(streams.map((s) => s.next()));
    const refused = await fetch(`http://127.0.0.1:${server.port}/events`);
    assert.equal(refused.status, 503);
    assert.match(await refused.text(), /at most 16 status pages/);
    const startedAt = performance.now();
    await server.stop();
    await Promise.all(streams.map((s) => s.ended));
    assert.ok(performance.now() - startedAt < 500, "streams closed at the stop");
  },
);

test(
  "the page's refresh timer runs only while a page follows: an idle bridge is not woken for nobody",
  LIMIT,
  async (t) => {
    const { bridge, clock } = runtimeHarness([new RecordingOutput("mqtt")]);
    const server = serverOver(bridge, clock.now);
    await server.start();
    t.after(() => server.stop());
    assert.equal(server.refreshing, false, "no page, no timer");
    const first = await openStream(server.port!);
    await first.next();
    const second = await openStream(server.port!);
    await second.next();
    assert.equal(server.refreshing, true);
    first.close();
    await first.ended;
    assert.equal(server.refreshing, true, "one page still follows");
    second.close();
    await until(() => (server.refreshing ? undefined : true), 5000, "the timer to stop with the last page");
    const third = await openStream(server.port!);
    await third.next();
    assert.equal(server.refreshing, true, "a new page starts it again");
    await server.stop();
    assert.equal(server.refreshing, false, "the stop ends it");
  },
);
