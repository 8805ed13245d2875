import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { detectFormat } from "../../modules/kostal2mqtt/src/piko/detectFormat.js";
import { childEnv } from "../support/childEnv.js";
import { capturesTestOptions, PIKO_HTML_DIR } from "../support/fixtures.js";
import { repoPath } from "../support/paths.js";
import { assertValidReading } from "../support/readingSchema.js";
import { captureDir, folderTestOptions, readFolder } from "../support/protocolCaptures.js";

/** `kostal2mqtt parse FILE` on a saved status page, a dxs.json answer and an MP plus XML document alike. */

function cli(args: string[]) {
  return new Promise<{ code: number | null; stdout: string[]; stderr: string[] }>((resolve) => {
    const child = execFile(
      process.execPath,
      [repoPath("bin/kostal2mqtt.js"), ...args],
      { env: childEnv({}), encoding: "utf8", timeout: 30_000 },
      (_error, stdout, stderr) =>
        resolve({
          code: child.exitCode,
          stdout: stdout.trim().split("\n").filter(Boolean),
          stderr: stderr.trim().split("\n").filter(Boolean),
        }),
    );
  });
}

/** The reading without its measurement time, which is the time of the parse. */
function withoutTime(line: string): Record<string, unknown> {
  assertValidReading(line, "parse output");
  const { ts, ts_ms, ...rest } = JSON.parse(line) as Record<string, unknown>;
  assert.equal(typeof ts, "string");
  assert.equal(typeof ts_ms, "number");
  return rest;
}

const HEADER = { schema_version: 1, rs485_address: 255 };

test("parse reads a dxs.json answer", folderTestOptions("piko-dxs"), async () => {
  const { code, stdout, stderr } = await cli([
    "parse",
    join(captureDir("piko-dxs"), "piko4.6-3phase-2string-running-8ids.json"),
  ]);
  assert.deepEqual([code, stderr], [0, []]);
  assert.equal(stdout.length, 1);
  assert.deepEqual(withoutTime(stdout[0]!), {
    ...HEADER,
    inverter: "piko",
    model: "PIKO",
    name: "",
    status: "unknown",
    status_code: -1,
    status_text: "",
    ac_power_w: 2222.075928,
    energy_today_kwh: null,
    energy_total_kwh: 41731.171875,
    l1_power_w: 744.989014,
    l2_power_w: 741.761047,
    l3_power_w: 735.325867,
    dc1_power_w: 1106.056152,
    dc2_power_w: 1284.143555,
    dc_power_w: 2390.199707,
  });
  assert.match(stdout[0]!, /"energy_total_kwh":41731\.171875,/);
});

test(
  "parse reads an MP plus document, with a warning line per typographic quote",
  folderTestOptions("piko-mpplus-xml"),
  async () => {
    const file = join(
      captureDir("piko-mpplus-xml"),
      "piko3.0-1-mpplus-measurements-redacted-malformed-quotes.xml",
    );
    const { code, stdout, stderr } = await cli(["parse", file, "--id", "garage"]);
    assert.equal(code, 0);
    assert.equal(stderr.length, 2);
    for (const line of stderr) assert.ok(line.startsWith(`${file}: warning: <Device `), line);
    assert.deepEqual(withoutTime(stdout[0]!), {
      ...HEADER,
      rs485_address: 1,
      inverter: "garage",
      model: "PIKO 3.0-1 MP plus",
      name: "INV007034470001",
      status: "unknown",
      status_code: -1,
      status_text: "",
      ac_power_w: 381.6,
      energy_today_kwh: null,
      energy_total_kwh: null,
      dc1_voltage_v: 344.9,
      dc1_current_a: 1.214,
      l1_voltage_v: 226.2,
      l1_power_w: 381.6,
      l1_current_a: 1.645,
      grid_frequency_hz: 50,
      power_limitation_pct: 100,
    });
    assert.match(stdout[0]!, /"grid_frequency_hz":50\.0,"power_limitation_pct":100\.0}$/);
  },
);

for (const folder of ["piko-dxs", "piko-mpplus-xml"] as const) {
  test(
    `parse reads every real answer in ${folder} into one reading line`,
    folderTestOptions(folder),
    async () => {
      for (const { name } of readFolder(folder)) {
        const { code, stdout } = await cli(["parse", join(captureDir(folder), name)]);
        assert.deepEqual([code, stdout.length], [0, 1], name);
        assert.equal(withoutTime(stdout[0]!)["schema_version"], 1, name);
      }
    },
  );
}

test("parse still reads a saved status page", capturesTestOptions(), async () => {
  const { code, stdout } = await cli([
    "parse",
    join(PIKO_HTML_DIR, "piko3.6-2string-1phase-en-running.html"),
  ]);
  assert.equal(code, 0);
  assert.equal(withoutTime(stdout[0]!)["status_text"], "supply MPP");
});

test("anything else is one line on stderr naming the file, exit 2", async () => {
  const dir = mkdtempSync(join(tmpdir(), "k2m-formats-"));
  for (const [name, text, message] of [
    [
      "notes.txt",
      "Wechselricher Logdaten\n",
      /not a PIKO status page, dxs.json answer or MP plus XML document$/,
    ],
    ["other.json", '{"result":[1,2]}', /not a PIKO status page, dxs.json answer or MP plus XML document$/],
    ["broken.json", '{"dxsEntries":[{"dxsId":67109120', /expected a dxs\.json answer \(JSON\)/],
    ["empty.json", '{"dxsEntries":[]}', /found 0 entries/],
    ["other.xml", "<root><Thing/></root>", /expected a PIKO MP plus document/],
  ] as const) {
    const file = join(dir, name);
    writeFileSync(file, text);
    const { code, stdout, stderr } = await cli(["parse", file]);
    assert.deepEqual([code, stdout, stderr.length], [2, [], 1], name);
    assert.ok(stderr[0]!.startsWith(`${file}: `), stderr[0]);
    assert.match(stderr[0]!, message, name);
  }
});

test("detectFormat tells the three formats apart by their start", () => {
  assert.equal(
    detectFormat('<!DOCtype HTML PUBLIC "-//W3C//Dtd HTML 4.0 Transitional//EN">\n<html>'),
    "html",
  );
  assert.equal(detectFormat("\uFEFF  <html><body>"), "html");
  assert.equal(detectFormat("<head><title>PV</title></head><body></body></html>\n"), "html");
  assert.equal(detectFormat('{"dxsEntries":[],"status":{"code":0}}'), "dxs");
  assert.equal(detectFormat(' {"status":{"code":0},"dxsEntries":[]}'), "dxs");
  assert.equal(detectFormat("<root>\n\t<Device/>"), "mpplus");
  assert.equal(detectFormat('<?xml version="1.0" encoding="UTF-8"?>\n<!-- x --><root>'), "mpplus");
  for (const other of [
    "",
    "{}",
    "[1]",
    "<rootless/>",
    "Wechselricher Logdaten",
    "<?xml version='1.0'?><svg/>",
  ]) {
    assert.equal(detectFormat(other), null, other);
  }
});
