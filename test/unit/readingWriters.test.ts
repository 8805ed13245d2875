import assert from "node:assert/strict";
import { test } from "node:test";
import { parseDxsAnswer } from "../../modules/kostal2mqtt/src/piko/dxs/dxsAnswer.js";
import {
  DXS_IDENTITY_IDS,
  DXS_STATUS_ID,
  READING_IDS,
} from "../../modules/kostal2mqtt/src/piko/dxs/dxsIds.js";
import { readDxsAnswers } from "../../modules/kostal2mqtt/src/piko/dxs/dxsReader.js";
import { planDxsRequests } from "../../modules/kostal2mqtt/src/piko/dxs/dxsRequests.js";
import { parseDxsQuery, writeDxsAnswer } from "../../modules/kostal2mqtt/src/piko/dxs/dxsWriter.js";
import { parseStatusPage } from "../../modules/kostal2mqtt/src/piko/statusPage.js";
import { writeStatusPage, type PageLanguage } from "../../modules/kostal2mqtt/src/piko/statusPageWriter.js";
import { MEASUREMENT_FIELDS } from "../../modules/kostal2mqtt/src/reading/fields.js";
import { toReading, type Reading } from "../../modules/kostal2mqtt/src/reading/reading.js";
import { capturesTestOptions, readAllCaptures } from "../support/fixtures.js";
import { folderTestOptions, readFolder } from "../support/protocolCaptures.js";

/**
 * The writers that serve the last reading in the inverter's own formats, checked by reading their output back with
 * the product's own readers over every real capture: capture -> reader -> reading -> writer -> reader -> the same
 * reading. Where a capture is pristine (the device's bytes, every id known), the writer's text is the capture.
 */

const AT = 1_795_506_281_192;

function pageReading(html: string): Reading {
  return toReading(parseStatusPage(html), "piko", AT);
}

function dxsReading(texts: string[], asked: number[] = []): Reading {
  return toReading(readDxsAnswers(texts, asked), "piko", AT);
}

function query(ids: readonly (number | string)[]) {
  return parseDxsQuery(new URLSearchParams(ids.map((id): [string, string] => ["dxsEntries", String(id)])));
}

function measurements(reading: Reading): Record<string, number | null | undefined> {
  return Object.fromEntries(MEASUREMENT_FIELDS.map((f) => [f.key, reading[f.key]]));
}

function idsOf(text: string): number[] {
  return [...parseDxsAnswer(text).entries.keys()];
}

const LANGUAGE = /-(de|en|nl)-/;
/** The captures that are the device's bytes (SOURCES.md): not hand-edited, not pasted from a browser. */
const PRISTINE = /^(?!.*(handedited|clipboard))/;

test(
  "status page: every capture reads back from our page into the same reading",
  capturesTestOptions(),
  () => {
    for (const { name, html } of readAllCaptures()) {
      const language = (LANGUAGE.exec(name)?.[1] ?? "de") as PageLanguage;
      const reading = pageReading(html);
      const written = writeStatusPage(reading, language);
      assert.deepEqual(pageReading(written), reading, name);
      if (PRISTINE.test(name)) {
        // The device's markup byte for byte; some captures lost their CRs or the last line's end when saved.
        const lineEnds = html.includes("\r\n") ? written : written.replace(/\r\n/g, "\n");
        assert.equal(lineEnds.replace(/\r?\n$/, ""), html.replace(/\r?\n+$/, ""), name);
      }
    }
  },
);

test("status page: off shows x x x for every instantaneous value, counters as numbers, bare 0 daily", () => {
  const reading = pageReading(readAllCaptures().find((c) => c.name.includes("de-off.html"))!.html);
  const page = writeStatusPage({ ...reading, energy_today_kwh: 0 });
  assert.equal(page.match(/x x x&nbsp/g)?.length, 11);
  assert.match(page, /bgcolor="#FFFFFF">\r\n {2}0<\/td>\r\n<td width="50">&nbsp kWh/);
  assert.match(page, /bgcolor="#FFFFFF">\r\n {2}69425<\/td>/);
});

test("status page: slots follow the reading, nulls are blank cells that read back as null", () => {
  const reading: Reading = {
    ...pageReading(readAllCaptures()[0]!.html),
    name: "A<b>&",
    status_text: "Einspeisen MPP",
    status: "feeding_mpp",
    status_code: 3,
    dc1_current_a: null,
  };
  delete reading.dc2_voltage_v;
  delete reading.dc2_current_a;
  const page = writeStatusPage(reading);
  assert.match(page, /A&lt;b&gt;&amp; \(255\)/);
  assert.doesNotMatch(page, /String 2/);
  const back = parseStatusPage(page);
  assert.equal(back.values.get("dc1_current_a"), null);
  assert.equal(back.values.has("dc2_voltage_v"), false);
});

test(
  "dxs: every capture reads back from our answer into the same reading",
  folderTestOptions("piko-dxs"),
  () => {
    let verbatim = 0;
    for (const { name, text } of readFolder("piko-dxs")) {
      const asked = idsOf(text);
      const reading = dxsReading([text], asked);
      const written = writeDxsAnswer(reading, query(asked));
      assert.deepEqual(dxsReading([written], asked), reading, name);
      const known = asked.every((id) => parseDxsAnswer(written).entries.has(id));
      // Where the reader knows every id the device answered, our answer is the device's, byte for byte.
      if (known) {
        assert.equal(written, text, name);
        verbatim++;
      }
    }
    // The 8-id PIKO 4.6 answer. (The PIKO 3.0's 1-phase answer is no longer one: its reading leaves out the L2/L3
    // slots the device answers with a null voltage, so our answer leaves their ids out with status code 1.)
    assert.equal(verbatim, 1);
  },
);

test("dxs: a page reading answers the ids asked, in order, nulls kept, absent fields left out with code 1", () => {
  const reading = pageReading(readAllCaptures().find((c) => c.name.includes("3.6-2string-1phase-en"))!.html);
  const all = JSON.parse(writeDxsAnswer(reading, query([DXS_STATUS_ID, 251658754, 67109120]))) as unknown;
  assert.deepEqual(all, {
    dxsEntries: [
      { dxsId: DXS_STATUS_ID, value: 3 },
      { dxsId: 251658754, value: 11710 },
      { dxsId: 67109120, value: 2336 },
    ],
    session: { sessionId: 0, roleId: 0 },
    status: { code: 0 },
  });
  // L2 voltage: the 1-phase model lacks the slot, so the id is left out; 99 is known to nobody.
  const partial = parseDxsAnswer(
    writeDxsAnswer({ ...reading, l1_voltage_v: null }, query([67109378, 67109634, 99])),
  );
  assert.deepEqual([...partial.entries], [[67109378, null]]);
  assert.equal(partial.statusCode, 1);
  const identity = parseDxsAnswer(
    writeDxsAnswer(reading, query([DXS_IDENTITY_IDS.name, DXS_IDENTITY_IDS.type, DXS_IDENTITY_IDS.serial])),
  );
  assert.deepEqual([...identity.entries.values()], ["VS7", "PIKO 3.6"]);
  assert.equal(identity.statusCode, 1);
  // A consumer polling every id (two requests of at most 25) reads back the reading's measurements and header.
  const texts = planDxsRequests(READING_IDS).map((path) =>
    writeDxsAnswer(reading, parseDxsQuery(new URL(path, "http://piko").searchParams)),
  );
  const back = dxsReading(texts, [...READING_IDS]);
  assert.deepEqual(measurements(back), measurements(reading));
  assert.deepEqual(
    [back.status_code, back.model, back.name, back.rs485_address],
    [reading.status_code, reading.model, reading.name, reading.rs485_address],
  );
});

test("dxs: the query is bounded like the device: 25 ids, duplicates once, junk is an unknown id", () => {
  const many = Array.from({ length: 30 }, (_, i) => 67109120 + i);
  assert.deepEqual(query(many).ids, many.slice(0, 25));
  assert.equal(query(many).incomplete, true);
  assert.deepEqual(query([67109120, 67109120, "x", "-1", "1e3", "99999999999"]), {
    ids: [67109120],
    incomplete: true,
  });
  assert.deepEqual(query([]), { ids: [], incomplete: false });
  const reading = pageReading(readAllCaptures()[0]!.html);
  assert.equal(parseDxsAnswer(writeDxsAnswer(reading, query([]))).statusCode, 0);
  assert.equal(parseDxsAnswer(writeDxsAnswer(reading, query(many))).statusCode, 1);
});
