import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  InverterAuth,
  InverterBusy,
  InverterUnreachable,
  PageFormat,
} from "../../modules/kostal2mqtt/src/piko/errors.js";
import {
  downloadLogDaten,
  logDatenUrl,
} from "../../modules/kostal2mqtt/src/piko/logdaten/logDatenDownloader.js";
import { fullRow, logDatenFile } from "../support/logDatenFile.js";
import { startTestServer, type TestServer } from "../support/httpServer.js";

/** The LogDaten.dat downloader against a 127.0.0.1 server that is busy, slow, cuts the body off or refuses. */

const CREDENTIALS = { username: "pvserver", password: "canary-history-secret" };
const FILE = logDatenFile([fullRow(998200), fullRow(999100), "    999150\tPOR"]);
const FAST_RETRY = { attempts: 3, baseMs: 5, capMs: 20 };
const LIMITS = { timeoutMs: 2000, maxBytes: 64 * 1024 };
let server: TestServer;
let busyLeft = 0;

before(async () => {
  server = await startTestServer((req, res) => {
    const expected = `Basic ${Buffer.from("pvserver:canary-history-secret").toString("base64")}`;
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { "WWW-Authenticate": 'Basic realm="PV Webserver"' }).end();
      return;
    }
    const [, case_] = (req.url ?? "").split("/");
    const send = () => res.writeHead(200, { "Content-Type": "text/plain" }).end(FILE);
    switch (case_) {
      case "busy-then-ok":
        if (busyLeft-- > 0) res.writeHead(503).end("service busy");
        else send();
        return;
      case "slow":
        setTimeout(send, 300);
        return;
      case "cut": {
        // The header promises the whole file; the connection closes in the middle of the second row.
        const cut = FILE.indexOf(fullRow(999100)) + 40;
        res.writeHead(200, { "Content-Length": String(FILE.length) });
        res.write(FILE.slice(0, cut), () => req.socket.destroy());
        return;
      }
      case "no-final-eol":
        res.writeHead(200).end(FILE.trimEnd());
        return;
      case "html":
        res.writeHead(200).end("<html><body>not here</body></html>");
        return;
      default:
        res.writeHead(404).end();
    }
  });
});

after(() => server.close());

const at = (path: string) => new URL(`${server.url}/${path}/LogDaten.dat`);

test("logDatenUrl takes the address as KOSTAL_HOST does", () => {
  assert.equal(logDatenUrl("192.168.1.5").href, "http://192.168.1.5/LogDaten.dat");
  assert.equal(logDatenUrl("http://piko:8080/index.fhtml?x=1").href, "http://piko:8080/LogDaten.dat");
});

test("busy twice, then the file: the third try reads it", async () => {
  busyLeft = 2;
  const before = server.requests.length;
  const history = await downloadLogDaten(at("busy-then-ok"), CREDENTIALS, {
    retry: FAST_RETRY,
    limits: LIMITS,
  });
  assert.equal(server.requests.length - before, 3);
  assert.deepEqual(
    history.entries.map((e) => [e.kind, e.deviceSeconds]),
    [
      ["row", 998200],
      ["row", 999100],
      ["event", 999150],
    ],
  );
  assert.deepEqual(history.warnings, []);
});

test("busy every time: InverterBusy after the configured tries", async () => {
  busyLeft = 10;
  const error = await downloadLogDaten(at("busy-then-ok"), CREDENTIALS, {
    retry: FAST_RETRY,
    limits: LIMITS,
  }).then(
    () => assert.fail("resolved"),
    (e: unknown) => e,
  );
  assert.ok(error instanceof InverterBusy, String(error));
  assert.ok(error instanceof InverterUnreachable);
  assert.match(error.message, /busy \(HTTP 503.*gave up after 3 tries/);
  assert.equal(busyLeft, 7);
});

test("a slow answer within the longer timeout is read; the download time dates the rows", async () => {
  const answeredAt = Date.parse("2024-06-21T12:00:00.250Z");
  const history = await downloadLogDaten(at("slow"), CREDENTIALS, { limits: LIMITS, now: () => answeredAt });
  assert.equal(history.entries[1]!.time, "2024-06-21T11:45:00.250Z");
  const timedOut = await downloadLogDaten(at("slow"), CREDENTIALS, {
    limits: { ...LIMITS, timeoutMs: 100 },
  }).catch((e: unknown) => e);
  assert.ok(timedOut instanceof InverterUnreachable && !(timedOut instanceof InverterBusy));
  assert.match(timedOut.message, /did not answer within 0.1 s/);
});

test("a body cut off mid-row keeps the whole rows and says why the last one is gone", async () => {
  const history = await downloadLogDaten(at("cut"), CREDENTIALS, { limits: LIMITS });
  assert.deepEqual(
    history.entries.map((e) => e.deviceSeconds),
    [998200],
  );
  assert.equal(history.warnings.length, 2, history.warnings.join("\n"));
  assert.match(history.warnings[0]!, /closed the connection after \d+ bytes: partial download/);
  assert.match(history.warnings[1]!, /dropped, the file ends in the middle of this row/);
});

test("a whole answer without a final line break keeps its last row", async () => {
  const history = await downloadLogDaten(at("no-final-eol"), CREDENTIALS, { limits: LIMITS });
  assert.equal(history.entries.length, 3);
  assert.deepEqual(history.warnings, []);
});

test("wrong credentials, another document, too large: typed errors without the password", async () => {
  const auth = await downloadLogDaten(at("slow"), { ...CREDENTIALS, password: "wrong" }).catch(
    (e: unknown) => e,
  );
  assert.ok(auth instanceof InverterAuth);
  const html = await downloadLogDaten(at("html"), CREDENTIALS, { limits: LIMITS }).catch((e: unknown) => e);
  assert.ok(html instanceof PageFormat);
  assert.match(html.message, /expected a LogDaten.dat/);
  const big = await downloadLogDaten(at("slow"), CREDENTIALS, {
    limits: { timeoutMs: 2000, maxBytes: 100 },
  }).catch((e: unknown) => e);
  assert.ok(big instanceof PageFormat);
  assert.match(big.message, /LogDaten.dat of at most 100 bytes/);
  for (const error of [auth, html, big]) assert.doesNotMatch(String((error as Error).message), /canary/);
});
