import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { READING_IDS } from "../../modules/kostal2mqtt/src/piko/dxs/dxsIds.js";
import { MAX_IDS_PER_REQUEST } from "../../modules/kostal2mqtt/src/piko/dxs/dxsRequests.js";
import {
  InverterClient,
  type InverterClientOptions,
} from "../../modules/kostal2mqtt/src/piko/inverterClient.js";
import type { MeasurementKey } from "../../modules/kostal2mqtt/src/reading/fields.js";
import { startDeviceServer, type DeviceServer } from "../support/deviceServer.js";
import { folderTestOptions, readFolder } from "../support/protocolCaptures.js";

/**
 * The dxs.json and MP plus fetchers (through InverterClient) against a tiny server that answers like the device:
 * HTTP/1.0, no Content-Length, connection closed after the body. Every real capture is served back and read.
 */

let device: DeviceServer;

before(async () => {
  device = await startDeviceServer(() => ({ body: "{}" }));
});

after(() => device.close());

function client(options: Partial<InverterClientOptions> = {}): InverterClient {
  return new InverterClient({
    id: "dach",
    url: new URL("/index.fhtml", device.url),
    credentials: { username: "pvserver", password: "pvwr" },
    protocol: "dxs",
    limits: { timeoutMs: 2000, maxBytes: 64 * 1024 },
    now: () => 1_780_000_000_000,
    ...options,
  });
}

const dxsAnswer = (entries: Array<[number, number | string | null]>, code = 0) =>
  `{"dxsEntries":[${entries.map(([id, v]) => `{"dxsId":${id},"value":${JSON.stringify(v)}}`).join(",")}],` +
  `"session":{"sessionId":0,"roleId":0},"status":{"code":${code}}}`;

/** A device that knows `known` and answers each request for the ids it asks, as the PIKO does. */
function answering(known: ReadonlyMap<number, number | string | null>, delayMs?: number) {
  return (path: string) => {
    const asked = new URLSearchParams(path.split("?")[1] ?? "").getAll("dxsEntries").map(Number);
    const entries = asked
      .filter((id) => known.has(id))
      .map((id) => [id, known.get(id)!] as [number, number | string | null]);
    return {
      body: dxsAnswer(entries, entries.length === asked.length ? 0 : 1),
      ...(delayMs !== undefined && { delayMs }),
    };
  };
}

const RUNNING = new Map<number, number | string | null>([
  [16777728, "90812ABC00042"],
  [16777984, "Dach Sued"],
  [16780544, "PIKO 8.3"],
  [16780032, 3],
  [67109120, 2222.5],
  [251658753, 41731.171875],
  [251658754, 11710],
  [33555202, 412.5],
  [83887872, 480],
]);

test("a poll asks every reading id in requests of at most 25, reads close-delimited bodies, and names the device", async () => {
  device.setHandler(answering(RUNNING));
  device.paths.length = 0;
  const c = client({ idFromDevice: true });
  try {
    const { reading, warnings } = await c.read();
    assert.equal(device.paths.length, Math.ceil(READING_IDS.length / MAX_IDS_PER_REQUEST));
    const asked = device.paths.flatMap((p) =>
      new URLSearchParams(p.split("?")[1]).getAll("dxsEntries").map(Number),
    );
    assert.deepEqual(asked, [...READING_IDS]);
    for (const path of device.paths) assert.ok(path.startsWith("/api/dxs.json?"), path);
    assert.equal(reading.inverter, "90812abc00042", "the serial, sanitised, when no id is configured");
    assert.equal(reading.model, "PIKO 8.3");
    assert.equal(reading.name, "Dach Sued");
    assert.equal(reading.status, "feeding_mpp");
    assert.equal(reading.ac_power_w, 2222.5);
    assert.equal(reading.energy_today_kwh, 11.71);
    assert.equal(reading.home_consumption_w, 480);
    assert.ok(!("battery_soc_pct" in reading), "a field the device does not know is absent");
    assert.equal(reading.ts_ms, 1_780_000_000_000);
    assert.match(warnings.join("\n"), /does not know dxs id/);
  } finally {
    c.close();
  }
  const configured = client();
  try {
    assert.equal((await configured.read()).reading.inverter, "dach", "a configured id wins");
  } finally {
    configured.close();
  }
});

test("reads asked for together run one after another: never two exchanges at once", async () => {
  device.setHandler(answering(RUNNING, 20));
  device.paths.length = 0;
  device.maxOpen = 0;
  const c = client();
  try {
    const results = await Promise.all([c.read(), c.read(), c.read()]);
    assert.equal(results.length, 3);
    assert.equal(device.paths.length, 3 * Math.ceil(READING_IDS.length / MAX_IDS_PER_REQUEST));
    assert.equal(device.maxOpen, 1);
  } finally {
    c.close();
  }
});

test("a partial answer says what is missing: null with a warning, or PageFormat when nothing essential came", async () => {
  device.setHandler(
    answering(
      new Map([
        [16780032, 3],
        [67109120, 1500],
      ]),
    ),
  );
  const c = client();
  try {
    const { reading, warnings } = await c.read();
    assert.equal(reading.ac_power_w, 1500);
    assert.equal(reading.energy_total_kwh, null, "never a falsified 0");
    assert.equal(reading.energy_today_kwh, null);
    assert.ok(warnings.some((w) => /energy_total_kwh \(dxs id 251658753\): asked for, not answered/.test(w)));
    device.setHandler(
      answering(
        new Map<number, number | string>([
          [16777728, "X1"],
          [33555202, 400],
        ]),
      ),
    );
    await assert.rejects(c.read(), { name: "PageFormat", message: /status, AC power or total yield/ });
  } finally {
    c.close();
  }
});

test("limits apply to bodies without a length: too large is PageFormat, too slow is InverterUnreachable", async () => {
  const c = client({ limits: { timeoutMs: 300, maxBytes: 1024 } });
  try {
    device.setHandler(() => ({ body: `{"dxsEntries":[${"0,".repeat(2000)}0]}` }));
    await assert.rejects(c.read(), { name: "PageFormat", message: /at most 1024 bytes/ });
    device.setHandler(() => null);
    await assert.rejects(c.read(), { name: "InverterUnreachable", message: /did not answer within 0.3 s/ });
    device.setHandler(() => ({ status: 503, body: "busy" }));
    await assert.rejects(c.read(), {
      name: "InverterBusy",
      message: /is busy \(HTTP 503/,
    });
    device.setHandler(() => ({ status: 401, body: "" }));
    await assert.rejects(c.read(), { name: "PageFormat", message: /found a login request \(HTTP 401\)/ });
    device.setHandler(() => ({ body: "<html>not json</html>" }));
    await assert.rejects(c.read(), { name: "PageFormat", message: /expected a dxs.json answer/ });
  } finally {
    c.close();
  }
});

/** What each capture reads as when a device answers every request with it (required fields asked for). */
const DXS_SERVED: Record<string, { values: Partial<Record<MeasurementKey, number | null>> } | "PageFormat"> =
  {
    "piko3.0-ui6-day-stats-early-morning-zero.json": "PageFormat",
    "piko3.0-ui6-live1-evening-off-19entries-status1.json": {
      values: {
        ac_power_w: 0,
        energy_today_kwh: null,
        energy_total_kwh: null,
        dc_power_w: 0,
        home_consumption_w: 0,
      },
    },
    "piko3.0-ui6-live2-evening-off-grid-phases.json": "PageFormat",
    "piko3.0-ui6-live2-morning-1phase-null-L2L3-voltage.json": "PageFormat",
    "piko3.0-ui6-total-stats-garbage-floats-no-sensor.json": {
      values: {
        ac_power_w: null,
        energy_today_kwh: null,
        energy_total_kwh: 23183.013672,
        home_consumption_total_kwh: null,
      },
    },
    "piko4.6-3phase-2string-running-8ids.json": {
      values: {
        ac_power_w: 2222.075928,
        energy_today_kwh: null,
        energy_total_kwh: 41731.171875,
        l3_power_w: 735.325867,
      },
    },
  };

test(
  "every real dxs.json capture, served back through the fetcher",
  folderTestOptions("piko-dxs"),
  async () => {
    const files = readFolder("piko-dxs");
    assert.deepEqual(
      files.map((f) => f.name),
      Object.keys(DXS_SERVED).sort(),
    );
    const c = client();
    try {
      for (const { name, text } of files) {
        device.setHandler(() => ({ body: text }));
        const expected = DXS_SERVED[name]!;
        if (expected === "PageFormat") {
          await assert.rejects(c.read(), { name: "PageFormat" }, name);
          continue;
        }
        const { reading } = await c.read();
        for (const [key, value] of Object.entries(expected.values))
          assert.equal(reading[key as MeasurementKey], value, `${name}: ${key}`);
      }
    } finally {
      c.close();
    }
  },
);

const MPPLUS_SERVED: Record<string, Partial<Record<string, unknown>>> = {
  "piko1.5-1-mpplus-events-yields-versions-state-redacted.xml": {
    model: "PIKO 1.5-1 MP plus",
    status: "waiting",
    energy_total_kwh: 20,
  },
  "piko3.0-1-mpplus-measurements-redacted-malformed-quotes.xml": {
    model: "PIKO 3.0-1 MP plus",
    ac_power_w: 381.6,
    dc1_voltage_v: 344.9,
  },
  "piko3.0-2-mpplus-all-measurements-yields-versions-standby-redacted.xml": {
    model: "PIKO 3.0-2 MP plus",
    status: "waiting",
    inverter: "aaa",
    ac_power_w: null,
    energy_total_kwh: 10388.27,
  },
};

test(
  "every real MP plus capture, served back through the fetcher at /all.xml",
  folderTestOptions("piko-mpplus-xml"),
  async () => {
    const files = readFolder("piko-mpplus-xml");
    assert.deepEqual(
      files.map((f) => f.name),
      Object.keys(MPPLUS_SERVED).sort(),
    );
    const c = client({ protocol: "mpplus", idFromDevice: true });
    try {
      for (const { name, text } of files) {
        device.setHandler((path) =>
          path === "/all.xml" ? { body: text, contentType: "text/xml" } : { status: 404, body: "" },
        );
        const { reading } = await c.read();
        for (const [key, value] of Object.entries(MPPLUS_SERVED[name]!)) {
          assert.equal((reading as Record<string, unknown>)[key], value, `${name}: ${key}`);
        }
      }
    } finally {
      c.close();
    }
  },
);
