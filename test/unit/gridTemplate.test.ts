import assert from "node:assert/strict";
import { test } from "node:test";
import type { Grid } from "../../modules/kostal2mqtt/src/piko/grid.js";
import { scanGrid } from "../../modules/kostal2mqtt/src/piko/gridScanner.js";
import {
  GridTemplate,
  type TemplateSlot,
  type TextRun,
} from "../../modules/kostal2mqtt/src/piko/gridTemplate.js";
import { parseStatusPage } from "../../modules/kostal2mqtt/src/piko/statusPage.js";
import type { Language } from "../../modules/piko-simulator/src/languages.js";
import { MODEL_IDS } from "../../modules/piko-simulator/src/models.js";
import { renderStatusPage } from "../../modules/piko-simulator/src/pageRenderer.js";
import { SolarDay } from "../../modules/piko-simulator/src/solarDay.js";
import { capturesTestOptions, readAllCaptures } from "../support/fixtures.js";
import { Prng, testSeed } from "../support/prng.js";

/**
 * The template of an inverter's last page (gridTemplate.ts) must give exactly the grid the scanner gives, or
 * nothing: checked on a simulated day of every model and language, on hand-made cases, and by a differential fuzz
 * that rewrites the text runs and the markup of real captures.
 */

function templateOf(html: string): GridTemplate {
  const runs: TextRun[] = [];
  const grid = scanGrid(html, runs);
  assert.ok(grid !== null, "the scanner reads the first page");
  return GridTemplate.of(html, grid, runs);
}

/** The one table's cells' texts, row by row. */
const texts = (grid: Grid | null) => grid?.map((row) => row.map((cell) => cell.text));

test("a simulated day of every model and language: read with the last page's template as without", () => {
  const epochMs = Date.UTC(2026, 5, 21, 0, 0);
  for (const model of MODEL_IDS) {
    for (const language of ["de", "en", "nl"] as const satisfies readonly Language[]) {
      const day = new SolarDay({ model, epochMs, seed: 7 });
      const slot: TemplateSlot = { template: null };
      const readers = { scanner: 0, template: 0, dom: 0 };
      for (let minute = 0; minute < 24 * 60; minute += 7) {
        const values = day.valuesAt(epochMs + minute * 60_000);
        if (values === null) continue; // asleep: no page
        const html = renderStatusPage({ ...values, model, language, name: "Dach", rs485Address: 1 }).toString(
          "latin1",
        );
        const { reader, ...page } = parseStatusPage(html, slot);
        const { reader: alone, ...expected } = parseStatusPage(html);
        assert.equal(alone, "scanner");
        assert.deepEqual(page, expected, `PIKO ${model} ${language} at minute ${minute}`);
        readers[reader] += 1;
      }
      // A new template at each change of markup only (the off state's empty value cells and back).
      assert.ok(readers.template > 10 * readers.scanner, `${model} ${language}: ${JSON.stringify(readers)}`);
      assert.equal(readers.dom, 0);
    }
  }
});

const PAGE = (cells: string) => `<html><table><tr>${cells}</tr></table></html>`;

test("changed runs are read again, in their cell's order, across tags and nested tables", () => {
  const first = PAGE(
    '<td bgcolor="#FFFFFF">\r\n  112</td><td>&nbsp <b>W</b> x</td><td>a<table><tr><td>in</td></tr></table>b</td>',
  );
  const template = templateOf(first);
  const cases = [
    PAGE(
      '<td bgcolor="#FFFFFF">\r\n  7 8</td><td>&nbsp <b>W</b> x</td><td>a<table><tr><td>in</td></tr></table>b</td>',
    ),
    PAGE(
      '<td bgcolor="#FFFFFF">x x x&nbsp</td><td>&nbsp; <b> kW </b>&nbsp</td><td> <table><tr><td>out</td></tr></table>c d</td>',
    ),
    PAGE('<td bgcolor="#FFFFFF"></td><td><b></b></td><td>a<table><tr><td>in</td></tr></table>b</td>'),
  ];
  for (const html of cases) {
    const grid = template.read(html);
    assert.deepEqual(grid, scanGrid(html), html);
  }
  assert.deepEqual(texts(template.read(cases[1]!)), [["x x x", "kW", "c d"], ["out"]]);
  assert.deepEqual(texts(template.read(first)), [["112", "W x", "ab"], ["in"]]);
});

test("a page that is not the template's markup with other text is not read from it", () => {
  const first = PAGE("<td>1</td><td></td><td>3</td>");
  const template = templateOf(first);
  const notRead: Array<[string, string]> = [
    ["another attribute", PAGE("<td bgcolor=x>1</td><td></td><td>3</td>")],
    ["an empty cell with text", PAGE("<td>1</td><td>2</td><td>3</td>")],
    ["a tag in a run", PAGE("<td>1<b>2</b></td><td></td><td>3</td>")],
    ["an entity the scanner leaves to cheerio", PAGE("<td>&amp;</td><td></td><td>3</td>")],
    ["a NUL in a run", PAGE("<td>1\0</td><td></td><td>3</td>")],
    ["a longer page", PAGE("<td>1</td><td></td><td>3</td>") + " "],
    ["a shorter page", PAGE("<td>1</td><td></td><td>3</td>").slice(0, -1)],
    ["no tag after a run", "<html><table><tr><td>1"],
  ];
  for (const [what, html] of notRead) assert.equal(template.read(html), null, what);
  const other = PAGE("<td>9</td><td></td><td>3 4</td>");
  assert.deepEqual(template.read(other), scanGrid(other));
});

test("a page scanned whole replaces the slot's template; one that cheerio reads leaves it", () => {
  const page = (value: string, extra = "") =>
    "<table><tr><td>PIKO 8.3 x (1)</td></tr>" +
    `<tr><td>aktuell</td><td bgcolor=a>${value}</td><td>W</td>` +
    "<td>Gesamtenergie</td><td bgcolor=a>2</td><td>kWh</td></tr>" +
    "<tr><td>Tagesenergie</td><td bgcolor=a>3</td><td>kWh</td></tr>" +
    "<tr><td>Status</td><td colspan=4>Aus</td></tr><tr><td>String 1</td><td>L1</td></tr>" +
    "<tr><td>Spannung</td><td bgcolor=a>4</td><td>V</td><td>Spannung</td><td bgcolor=a>5</td><td>V</td></tr>" +
    `<tr><td>Strom</td><td bgcolor=a>6</td><td>A</td><td>Leistung</td><td bgcolor=a>7</td><td>W${extra}</td></tr>` +
    "<tr><td>RS485 Kommunikation</td></tr></table></html>";
  const slot: TemplateSlot = { template: null };
  const read = (html: string) => {
    const { reader, values } = parseStatusPage(html, slot);
    return [reader, values.get("ac_power_w")];
  };
  assert.deepEqual(read(page("1")), ["scanner", 1]);
  const first = slot.template;
  assert.deepEqual(read(page("22")), ["template", 22]);
  assert.equal(slot.template, first);
  assert.deepEqual(read(page("3", "&amp;")), ["dom", 3]);
  assert.equal(slot.template, first, "a page cheerio read leaves the template");
  assert.deepEqual(read(page("4")), ["template", 4]);
  assert.deepEqual(read(page("5", "<b></b>")), ["scanner", 5]);
  assert.notEqual(slot.template, first);
  assert.deepEqual(read(page("6", "<b></b>")), ["template", 6]);
});

/** Text for a run: what the scanner reads (white space, `&nbsp`, wide spaces), and now and then what it gives up on. */
const RUN_PIECES = [
  "1",
  "284",
  "0.38",
  "x x x",
  "Einspeisen MPP",
  " ",
  "  ",
  "\r\n",
  "\t",
  "&nbsp",
  "&nbsp;",
  "nbsp",
  ";",
  "\u00a0",
  "\u3000",
  "\u0085",
  ">",
  '"',
  "=",
  "é",
];
const UNREAD_PIECES = ["&", "&amp;", "&nbs", "\0"];

function randomRun(rng: Prng): string {
  let text = "";
  for (let n = rng.int(5); n > 0; n--) text += rng.pick(rng.chance(0.02) ? UNREAD_PIECES : RUN_PIECES);
  return text;
}

/** A capture with some runs rewritten and, now and then, one character of its markup replaced. */
function mutated(
  html: string,
  runs: readonly TextRun[],
  rng: Prng,
): { html: string; markupChanged: boolean } {
  let out = "";
  let at = 0;
  for (const run of runs) {
    out += html.slice(at, run.start) + (rng.chance(0.1) ? randomRun(rng) : html.slice(run.start, run.end));
    at = run.end;
  }
  const markupChanged = rng.chance(0.2);
  if (!markupChanged) return { html: out + html.slice(at), markupChanged };
  const rest = html.slice(at);
  const where = out.length + rng.int(rest.length); // in the markup after the last run
  out += rest;
  return {
    html: out.slice(0, where) + rng.pick(["<", ">", "x", "", '"', "<b>", "\n"]) + out.slice(where + 1),
    markupChanged,
  };
}

test(
  "fuzz: the template reads a rewritten capture exactly as the scanner does, or not at all",
  capturesTestOptions(),
  () => {
    const seed = testSeed("grid template fuzz", "dist/test/unit/gridTemplate.test.js");
    const captures = readAllCaptures();
    let read = 0;
    for (let index = 0; index < 2_000; index++) {
      const rng = new Prng(seed, index);
      const capture = rng.pick(captures);
      const runs: TextRun[] = [];
      const template = GridTemplate.of(capture.html, scanGrid(capture.html, runs)!, runs);
      const { html, markupChanged } = mutated(capture.html, runs, rng);
      const fromTemplate = template.read(html);
      const scanned = scanGrid(html);
      const context = `case ${index} of seed ${seed} (${capture.name}): ${JSON.stringify(html)}`;
      if (fromTemplate !== null) {
        read += 1;
        assert.deepEqual(fromTemplate, scanned, context);
      } else if (!markupChanged) {
        assert.equal(scanned, null, `only runs were rewritten, and the scanner read the page: ${context}`);
      }
    }
    assert.ok(read > 500, `the template read ${read} of 2,000 cases`);
  },
);
