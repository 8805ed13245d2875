import { domGrid } from "../modules/kostal2mqtt/src/piko/gridDom.js";
import { scanGrid } from "../modules/kostal2mqtt/src/piko/gridScanner.js";
import { interpretGrid } from "../modules/kostal2mqtt/src/piko/pageInterpreter.js";
import type { TemplateSlot } from "../modules/kostal2mqtt/src/piko/gridTemplate.js";
import { parseStatusPage } from "../modules/kostal2mqtt/src/piko/statusPage.js";
import { readAllCaptures } from "../test/support/fixtures.js";
import {
  formatTable,
  measure,
  memoryAfterGcMiB,
  spread,
  type BenchSection,
  type SummaryRow,
} from "./harness.js";

/**
 * Parse time per page of every real capture: the fast path (parseStatusPage, the scanner; "(scan)" is the
 * scanner's share, the rest is the interpreter and the end check), the next page as an inverter's client reads it
 * ("next": against the template of the last page, gridTemplate.ts, the capture alternating with a copy whose
 * numbers are one higher, so that every read finds its value cells changed), the cheerio path
 * (interpretGrid(domGrid)), and a floor measured in the same run: one pass over the page's char codes. The fast
 * path should stay under 50 us a page and within 10x of the floor. RSS is taken after the fast path alone (a
 * process whose pages the scanner reads never loads cheerio) and again after the cheerio path.
 */

const TARGET_US = 50;
const TARGET_FLOOR_RATIO = 10;
const WARMUP_MS = 120;
const MEASURE_MS = 300;

/** Results go here, so that the JIT cannot drop the work being timed. */
let sink = 0;

/** The floor: the least any reader must do, look at every character once. */
function checksum(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) | 0;
  return hash;
}

interface CaptureResult {
  capture: string;
  bytes: number;
  reader: string;
  fastUs: number;
  /** The scanner's share of the fast path (the rest is the interpreter). */
  scanUs: number;
  /** The next page of the same markup, read against the last page's template. */
  nextUs: number;
  cheerioUs: number;
  floorUs: number;
  fastOverFloor: number;
  cheerioOverFast: number;
  under50Us: boolean;
  within10xFloor: boolean;
}

/** The capture with every whole number in a cell one higher: the same markup, other values. */
function nextPage(html: string): string {
  return html.replace(
    />(\s*)(\d+)(?=<\/td>)/g,
    (_, space: string, digits: string) => `>${space}${Number(digits) + 1}`,
  );
}

const TEMPLATE_SLOTS = 200;

/**
 * The heap one inverter's template keeps (KiB), its page included: templates of `TEMPLATE_SLOTS` copies of the
 * capture, against the heap before; null without --expose-gc. A farm of 2,000 inverters keeps 2,000 of them.
 */
function templateKiB(html: string): number | null {
  const before = memoryAfterGcMiB();
  const slots: TemplateSlot[] = [];
  for (let i = 0; i < TEMPLATE_SLOTS; i++) {
    const slot: TemplateSlot = { template: null };
    parseStatusPage(Buffer.from(html, "latin1").toString("latin1"), slot); // a page of its own, as each inverter's
    slots.push(slot);
  }
  const after = memoryAfterGcMiB();
  sink += slots.length;
  return before === null || after === null
    ? null
    : ((after.heapUsed - before.heapUsed) * 1024) / TEMPLATE_SLOTS;
}

function fixed(value: number, digits: number): string {
  return value.toFixed(digits);
}

export const parseBench: BenchSection = {
  name: "parse",
  run({ log }) {
    const rssStart = memoryAfterGcMiB();
    const captures = readAllCaptures();
    const timing = { warmupMs: WARMUP_MS, measureMs: MEASURE_MS };

    // The fast path and the floor first, before anything loads cheerio.
    const partial = captures.map(({ name, html }) => {
      const reader = parseStatusPage(html).reader;
      const fast = measure(() => {
        sink += parseStatusPage(html).values.size;
      }, timing);
      const scan = measure(() => {
        sink += scanGrid(html)?.length ?? 0;
      }, timing);
      const pages = [html, nextPage(html)];
      const slot: TemplateSlot = { template: null };
      parseStatusPage(pages[1]!, slot);
      if (parseStatusPage(html, slot).reader !== "template") throw new Error(`${name}: no template read`);
      let turn = 0;
      const next = measure(() => {
        sink += parseStatusPage(pages[(turn ^= 1)]!, slot).values.size;
      }, timing);
      const floor = measure(() => {
        sink ^= checksum(html);
      }, timing);
      return { name, html, reader, fast, scan, next, floor };
    });
    const rssFast = memoryAfterGcMiB();
    const templateHeap = captures.length > 0 ? templateKiB(captures[0]!.html) : null;

    const results: CaptureResult[] = partial.map(({ name, html, reader, fast, scan, next, floor }) => {
      const cheerio = measure(() => {
        sink += interpretGrid(domGrid(html)).values.size;
      }, timing);
      return {
        capture: name.replace(/\.html$/, ""),
        bytes: html.length,
        reader,
        fastUs: fast.medianUs,
        scanUs: scan.medianUs,
        nextUs: next.medianUs,
        cheerioUs: cheerio.medianUs,
        floorUs: floor.medianUs,
        fastOverFloor: fast.medianUs / floor.medianUs,
        cheerioOverFast: cheerio.medianUs / fast.medianUs,
        under50Us: fast.medianUs <= TARGET_US,
        within10xFloor: fast.medianUs / floor.medianUs <= TARGET_FLOOR_RATIO,
      };
    });
    const rssCheerio = memoryAfterGcMiB();

    const pass = (ok: boolean) => (ok ? "PASS" : "FAIL");
    log(`Parse time per page, median (us); warm-up ${WARMUP_MS} ms, ${MEASURE_MS} ms timed per column`);
    log("");
    const table = formatTable(
      [
        "capture",
        "bytes",
        "reader",
        "fast us",
        "(scan)",
        "next us",
        "cheerio us",
        "floor us",
        "fast/floor",
        "cheerio/fast",
        `fast<=${TARGET_US}us`,
        `fast<=${TARGET_FLOOR_RATIO}x floor`,
      ],
      results.map((result) => [
        result.capture,
        String(result.bytes),
        result.reader,
        fixed(result.fastUs, 1),
        fixed(result.scanUs, 1),
        fixed(result.nextUs, 1),
        fixed(result.cheerioUs, 0),
        fixed(result.floorUs, 2),
        fixed(result.fastOverFloor, 1),
        fixed(result.cheerioOverFast, 0),
        pass(result.under50Us),
        pass(result.within10xFloor),
      ]),
    );
    for (const line of table) log(line);
    log("");
    const mib = (memory: { rss: number; heapUsed: number } | null) =>
      memory === null
        ? "n/a (run with node --expose-gc)"
        : `RSS ${fixed(memory.rss, 1)} MiB (heap ${fixed(memory.heapUsed, 1)})`;
    log(`After gc: at start ${mib(rssStart)}`);
    log(`          after the fast path ${mib(rssFast)}`);
    log(`          after the cheerio path ${mib(rssCheerio)}`);
    log("          (RSS keeps the young generation the timing loops grew; heap is what is live)");
    log(
      `One inverter's template of its last page (the "next" column) keeps ${
        templateHeap === null ? "n/a" : fixed(templateHeap, 1)
      } KiB of heap, its page included (${TEMPLATE_SLOTS} templates of ${captures[0]?.name ?? "-"})`,
    );
    const allPass = results.every((result) => result.under50Us && result.within10xFloor);
    log(
      `Targets (fast <= ${TARGET_US} us and <= ${TARGET_FLOOR_RATIO}x floor on every capture): ${pass(allPass)}`,
    );

    const worst = results.reduce<CaptureResult | null>(
      (a, b) => (a === null || b.fastUs > a.fastUs ? b : a),
      null,
    );
    const summary: SummaryRow[] =
      worst === null
        ? []
        : [
            {
              figure: `parse per page, fast path (us, median; the slowest of ${results.length} captures)`,
              value: `${fixed(worst.fastUs, 1)} (${spread(
                results.map((r) => r.fastUs),
                1,
              )} over captures)`,
              target: `<= ${TARGET_US} us`,
              floor: `${fixed(worst.floorUs, 2)} (single pass)`,
              ratio: `${fixed(worst.fastOverFloor, 1)}x`,
              verdict: pass(results.every((r) => r.under50Us)),
            },
          ];
    return {
      summary,
      targets: { fastUs: TARGET_US, fastOverFloor: TARGET_FLOOR_RATIO },
      allPass,
      captures: results,
      memoryMiB: { start: rssStart, afterFastPath: rssFast, afterCheerio: rssCheerio },
      templateKiB: templateHeap,
      sink,
    };
  },
};
