import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { InverterClient } from "../../modules/kostal2mqtt/src/piko/inverterClient.js";
import { startTestServer, type TestServer } from "../support/httpServer.js";
import { repoPath } from "../support/paths.js";

let server: TestServer;
let inFlight = 0;
let maxInFlight = 0;

before(async () => {
  const page = readFileSync(
    repoPath("../shared/fixtures/piko-html/piko8.3-2string-3phase-de-running-lowpower.html"),
  );
  server = await startTestServer((_req, res) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    setTimeout(() => {
      inFlight--;
      res.writeHead(200, { "Content-Type": "text/html" }).end(page);
    }, 30);
  });
});

after(() => server.close());

test("reads a reading over HTTP, and never has more than one request in flight", async () => {
  const client = new InverterClient({
    id: "dach",
    url: new URL("/index.fhtml", server.url),
    credentials: { username: "pvserver", password: "pvwr" },
    now: () => 1_780_000_000_000,
  });
  try {
    // Reads asked for together are not shared here (the inverter's loop does that) but wait for the one socket.
    const results = await Promise.all([client.read(), client.read(), client.read()]);
    assert.equal(server.requests.length, 3, "one request per read");
    assert.equal(maxInFlight, 1, "one at a time: the PIKO serves one connection");
    for (const { reading } of results) {
      assert.equal(reading.inverter, "dach");
      assert.equal(reading.ac_power_w, 284);
      assert.equal(reading.ts_ms, 1_780_000_000_000);
    }
  } finally {
    client.close();
  }
});

test("close() cancels the read in flight", async () => {
  const client = new InverterClient({
    id: "dach",
    url: new URL("/index.fhtml", server.url),
    credentials: { username: "pvserver", password: "pvwr" },
  });
  const read = client.read();
  client.close();
  await assert.rejects(read, { name: "InverterUnreachable" });
});
