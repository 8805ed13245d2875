import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, test } from "node:test";
import { createLogger } from "../../modules/kostal2mqtt/src/log/logger.js";
import { MirrorServer } from "../../modules/kostal2mqtt/src/mirror/mirrorServer.js";
import { readDxsAnswers } from "../../modules/kostal2mqtt/src/piko/dxs/dxsReader.js";
import { parseStatusPage } from "../../modules/kostal2mqtt/src/piko/statusPage.js";
import { writeStatusPage } from "../../modules/kostal2mqtt/src/piko/statusPageWriter.js";
import { toReading, type Reading } from "../../modules/kostal2mqtt/src/reading/reading.js";
import { Prng, testSeed } from "../support/prng.js";
import { sampleReading } from "../support/sampleReading.js";

/**
 * One inverter's mirror server on 127.0.0.1 (an ephemeral port) over a fake reading cache and clock: what it
 * serves, to whom, when it refuses, and that no request, however malformed, stops it answering the next.
 */

const POLL_MS = 10_000;
const AT = Date.UTC(2026, 5, 21, 10, 0, 0);
const AUTH = `Basic ${Buffer.from("pvserver:geheim").toString("base64")}`;
/** A reading whose values are in the page's formats (whole watts, 2-decimal amperes), as a PIKO page gives. */
const READING: Reading = toReading(parseStatusPage(writeStatusPage(sampleReading("dach"))), "dach", AT);

let cached: Reading | null = null;
let clock = AT;
let password = "geheim";
const lines: string[] = [];
const server = new MirrorServer({
  inverter: "dach",
  port: 0,
  bind: "127.0.0.1",
  credentials: () => ({ username: "pvserver", password }),
  cache: { pollIntervalMs: POLL_MS, lastReading: (id) => (id === "dach" ? cached : null) },
  now: () => clock,
  log: createLogger({ level: "debug", write: (line) => lines.push(line) }),
});

before(() => server.start());
after(() => server.stop());

function url(path: string): string {
  return `http://127.0.0.1:${server.port}${path}`;
}

async function get(path: string, init: RequestInit = {}) {
  const response = await fetch(url(path), init);
  const bytes = Buffer.from(await response.arrayBuffer());
  return { response, status: response.status, text: bytes.toString("latin1") };
}

/** Sends raw bytes and returns everything the server wrote before it closed the connection. */
function raw(request: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(server.port!, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", reject);
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
    socket.end(request);
  });
}

test("before the first reading, both formats answer 503 with Retry-After, and never poll", async () => {
  cached = null;
  const dxs = await get("/api/dxs.json?dxsEntries=67109120");
  assert.equal(dxs.status, 503);
  assert.equal(dxs.response.headers.get("retry-after"), "10");
  assert.match(dxs.text, /no reading of dach yet/);
  assert.equal((await get("/index.fhtml", { headers: { authorization: AUTH } })).status, 503);
});

test("dxs.json: the device's manner (text/plain, no Content-Length, closed), the reading read back", async () => {
  cached = READING;
  clock = AT + 2 * POLL_MS;
  const { response, status, text } = await get(
    "/api/dxs.json?dxsEntries=67109120&dxsEntries=251658754&dxsEntries=1",
  );
  assert.equal(status, 200);
  assert.equal(response.headers.get("content-type"), "text/plain");
  assert.equal(response.headers.get("content-length"), null);
  assert.equal(response.headers.get("transfer-encoding"), null);
  assert.equal(response.headers.get("connection"), "close");
  const back = readDxsAnswers([text], [67109120, 251658754, 1]);
  assert.deepEqual(
    [...back.values],
    [
      ["ac_power_w", READING.ac_power_w],
      ["energy_today_kwh", READING.energy_today_kwh],
    ],
  );
  assert.deepEqual(back.unanswered, [1]);
  const many = Array.from({ length: 40 }, (_, i) => `dxsEntries=${67109120 + i}`).join("&");
  assert.match((await get(`/api/dxs.json?${many}`)).text, /"status":\{"code":1\}\}$/);
});

test("index.fhtml: Basic auth with the configured credentials, live; the page reads back into the reading", async () => {
  cached = READING;
  clock = AT;
  const refused = await get("/index.fhtml");
  assert.equal(refused.status, 401);
  assert.equal(refused.response.headers.get("www-authenticate"), 'Basic realm="PIKO"');
  const wrong = `Basic ${Buffer.from("pvserver:pvwr").toString("base64")}`;
  assert.equal((await get("/index.fhtml", { headers: { authorization: wrong } })).status, 401);
  for (const path of ["/index.fhtml", "/"]) {
    const page = await get(path, { headers: { authorization: AUTH } });
    assert.equal(page.status, 200);
    assert.equal(page.response.headers.get("content-type"), "text/html");
    assert.deepEqual(toReading(parseStatusPage(page.text), "dach", AT), READING);
  }
  // Like the device, a path that does not exist asks for the login first.
  assert.equal((await get("/Info.fhtml")).status, 401);
  assert.equal((await get("/Info.fhtml", { headers: { authorization: AUTH } })).status, 404);
  password = "neu";
  assert.equal((await get("/index.fhtml", { headers: { authorization: AUTH } })).status, 401);
  password = "geheim";
});

test("read-only: the page's own POST form for its address; 405 for other methods; bounded body", async () => {
  cached = READING;
  clock = AT;
  const form = (body: string) =>
    get("/index.fhtml", {
      method: "POST",
      headers: { authorization: AUTH, "content-type": "application/x-www-form-urlencoded" },
      body,
    });
  assert.equal((await form("edWrNr=255")).status, 200);
  assert.equal((await form("edWrNr=3")).status, 404);
  assert.equal((await form(`edWrNr=255&x=${"a".repeat(2000)}`)).status, 413);
  for (const method of ["PUT", "DELETE", "PATCH", "HEAD"]) {
    const { status, response } = await get("/index.fhtml", { method, headers: { authorization: AUTH } });
    assert.equal(status, 405, method);
    assert.equal(response.headers.get("allow"), "GET, POST");
  }
  assert.equal((await get("/api/dxs.json", { method: "POST", body: "x" })).status, 405);
});

test("a reading older than 3 polls is not served as the present: 503 saying how old", async () => {
  cached = READING;
  clock = AT + 3 * POLL_MS + 1;
  const { status, text } = await get("/api/dxs.json?dxsEntries=67109120");
  assert.equal(status, 503);
  assert.match(text, /is 30 s old/);
});

test("malformed requests get a clear 4xx or a closed connection, never a crash; the next request is served", async () => {
  cached = READING;
  clock = AT;
  const seed = testSeed("mirror request fuzz", import.meta.url);
  const prng = new Prng(seed);
  const fixed = [
    "GARBAGE\r\n\r\n",
    "GET /%zz%%/../ HTTP/1.1\r\nHost: x\r\n\r\n",
    "GET //// HTTP/1.1\r\nHost: x\r\n\r\n",
    "GET http://[::1/api/dxs.json HTTP/1.1\r\nHost: x\r\n\r\n",
    `GET /index.fhtml HTTP/1.1\r\nHost: x\r\nAuthorization: Basic !!!\r\n\r\n`,
    `GET /index.fhtml HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${Buffer.from("nocolon").toString("base64")}\r\n\r\n`,
    `GET /api/dxs.json?${"dxsEntries=1&".repeat(2000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
    `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"b".repeat(20_000)}\r\n\r\n`,
    "POST /index.fhtml HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    "GET /api/dxs.json?dxsEntries=\u00ff\u0000 HTTP/1.0\r\n\r\n",
  ];
  const random = Array.from({ length: 20 }, () =>
    Buffer.from(Array.from({ length: prng.between(1, 300) }, () => prng.int(256))),
  );
  for (const request of [...fixed, ...random]) {
    const answer = await raw(request);
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1];
    assert.ok(status === undefined || /^[2-5]\d\d$/.test(status), `seed ${seed}: ${answer.slice(0, 80)}`);
    assert.notEqual(status, "500", `seed ${seed}: ${JSON.stringify(request.toString().slice(0, 60))}`);
  }
  assert.equal((await get("/api/dxs.json?dxsEntries=67109120")).status, 200);
  assert.deepEqual(
    lines.filter((line) => line.includes("[ERROR]")),
    [],
  );
});

test("stop closes the server and its idle connections at once", async () => {
  const other = new MirrorServer({
    inverter: "dach",
    port: 0,
    bind: "127.0.0.1",
    credentials: () => ({ username: "a", password: "b" }),
    cache: { pollIntervalMs: POLL_MS, lastReading: () => READING },
    now: () => AT,
    log: createLogger({ level: "error", write: () => undefined }),
  });
  await other.start();
  const idle = connect(other.port!, "127.0.0.1");
  await new Promise((resolve) => idle.once("connect", resolve));
  const closed = new Promise((resolve) => idle.once("close", resolve));
  const started = performance.now();
  await other.stop();
  await closed;
  assert.ok(performance.now() - started < 500);
  assert.equal(other.port, null);
});
