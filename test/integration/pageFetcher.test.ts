import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { InverterAuth, InverterUnreachable, PageFormat } from "../../modules/kostal2mqtt/src/piko/errors.js";
import { statusPageUrl } from "../../modules/kostal2mqtt/src/piko/inverterAddress.js";
import { fetchStatusPage } from "../../modules/kostal2mqtt/src/piko/pageFetcher.js";
import { startTestServer, type TestServer } from "../support/httpServer.js";

const CREDENTIALS = { username: "pvserver", password: "canary-inverter-secret" };
const LIMITS = { timeoutMs: 400, maxBytes: 4096 };
let server: TestServer;

before(async () => {
  server = await startTestServer((req, res) => {
    const path = req.url ?? "";
    const expected = `Basic ${Buffer.from("pvserver:canary-inverter-secret").toString("base64")}`;
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { "WWW-Authenticate": 'Basic realm="PV Webserver"' }).end();
      return;
    }
    switch (path) {
      case "/index.fhtml":
        // 0xE4 is "ä" in latin1; the page declares ISO-8859-1.
        res.writeHead(200, { "Content-Type": "text/html" }).end(Buffer.from([0x3c, 0x70, 0x3e, 0xe4, 0x3c]));
        return;
      case "/500":
        res.writeHead(500).end("Internal error");
        return;
      case "/302":
        res.writeHead(302, { Location: "/login.html" }).end();
        return;
      case "/404":
        res.writeHead(404).end();
        return;
      case "/big-declared":
        res.writeHead(200, { "Content-Length": "100000" }).end(Buffer.alloc(100000, 0x41));
        return;
      case "/big-chunked":
        res.writeHead(200);
        for (let i = 0; i < 10; i++) res.write(Buffer.alloc(1000, 0x41));
        res.end();
        return;
      case "/drip": {
        res.writeHead(200, { "Content-Length": "1000" });
        const timer = setInterval(() => res.write("x"), 50);
        res.on("close", () => clearInterval(timer));
        return;
      }
      case "/silent":
        return;
      case "/reset":
        req.socket.destroy();
        return;
      case "/truncated":
        res.writeHead(200, { "Content-Length": "2000" });
        res.write("<html>half a page");
        setImmediate(() => req.socket.destroy());
        return;
      default:
        res.writeHead(404).end();
    }
  });
});

after(() => server.close());

const url = (path: string) => new URL(path, server.url);

test("fetches the page with Basic auth and decodes it as latin1", async () => {
  const times = [1000, 2000];
  const page = await fetchStatusPage(url("/index.fhtml"), CREDENTIALS, {
    limits: LIMITS,
    now: () => times.shift()!,
  });
  assert.equal(page.html, "<p>ä<");
  assert.equal(page.answeredAtMs, 1000);
});

async function failure(path: string, credentials = CREDENTIALS): Promise<Error> {
  const error = await fetchStatusPage(url(path), credentials, { limits: LIMITS }).then(
    () => assert.fail(`${path} should fail`),
    (e: unknown) => e as Error,
  );
  assert.ok(!error.message.includes(CREDENTIALS.password), "no secret in the message");
  return error;
}

test("wrong credentials: InverterAuth that says what to check", async () => {
  const error = await failure("/index.fhtml", { username: "pvserver", password: "wrong" });
  assert.ok(error instanceof InverterAuth);
  assert.match(error.message, /refused the credentials \(HTTP 401\)/);
});

test("HTTP 500: InverterUnreachable; redirect and 404: PageFormat", async () => {
  assert.ok((await failure("/500")) instanceof InverterUnreachable);
  const redirect = await failure("/302");
  assert.ok(redirect instanceof PageFormat);
  assert.match(redirect.message, /redirect \(HTTP 302\) to \/login\.html/);
  assert.ok((await failure("/404")) instanceof PageFormat);
});

test("oversized bodies are refused, whether declared or streamed", async () => {
  for (const path of ["/big-declared", "/big-chunked"]) {
    const error = await failure(path);
    assert.ok(error instanceof PageFormat, path);
    assert.match(error.message, /at most 4096 bytes/);
  }
});

test("a silent or dripping inverter times out over the whole exchange", async () => {
  for (const path of ["/silent", "/drip"]) {
    const error = await failure(path);
    assert.ok(error instanceof InverterUnreachable, path);
    assert.match(error.message, /did not answer within 0.4 s/);
  }
});

test("reset, truncated and refused connections are InverterUnreachable with the cause kept", async () => {
  const reset = await failure("/reset");
  assert.ok(reset instanceof InverterUnreachable);
  assert.ok(reset.cause !== undefined);
  const truncated = await failure("/truncated");
  assert.ok(truncated instanceof InverterUnreachable, `${truncated.name}: ${truncated.message}`);
  assert.match(truncated.message, /before all of the status page arrived/);
  const refused = await fetchStatusPage(statusPageUrl("127.0.0.1:1"), CREDENTIALS, { limits: LIMITS }).catch(
    (e: unknown) => e as Error,
  );
  assert.ok(refused instanceof InverterUnreachable);
  assert.match(refused.message, /refused the connection/);
});

test("inverter addresses: host, host:port and URLs; credentials in the URL are refused", () => {
  assert.equal(statusPageUrl("192.168.0.40").href, "http://192.168.0.40/index.fhtml");
  assert.equal(statusPageUrl("piko:8080").href, "http://piko:8080/index.fhtml");
  assert.equal(statusPageUrl("http://piko:8080/").href, "http://piko:8080/index.fhtml");
  assert.equal(statusPageUrl(" http://piko/index.fhtml ").href, "http://piko/index.fhtml");
  assert.throws(() => statusPageUrl("http://user:pw@piko"), /KOSTAL_USERNAME/);
  assert.throws(() => statusPageUrl("ftp://piko"), /speaks http/);
  assert.throws(() => statusPageUrl(""), /empty/);
  assert.throws(() => statusPageUrl("http://[bad"), /not a host/);
});
