import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { chromium, type Browser } from "playwright-core";
import { PikoSimulator } from "../../modules/piko-simulator/src/index.js";
import { ModuleProcess } from "../support/moduleProcess.js";
import { freePort } from "../support/mosquitto.js";
import { repoPath } from "../support/paths.js";
import { daytimeClock } from "../support/simulatedTime.js";

/**
 * The status page in a real headless Chromium (Debian's `chromium`, driven by playwright-core; no browser is ever
 * downloaded), served by the real `run` process polling the simulator: it loads without a console error, shows
 * the inverter's name and a chart with points, follows a new reading by itself, and reads as plain tables with
 * JavaScript off. The screenshot is kept as an artefact of the run (its path is printed).
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const SCREENSHOT = join(process.env.SCREENSHOT_DIR ?? repoPath("test-artifacts"), "status-page.png");
const missing = existsSync(CHROMIUM)
  ? null
  : `no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`;
// In CI a missing browser fails the test; elsewhere it is skipped with the reason.
const skip = missing !== null && process.env.CI !== "true" ? missing : undefined;

test(
  "the status page in Chromium: no console error, the inverter's name, a chart with points, live updates",
  {
    timeout: 90_000,
    skip,
  },
  async (t) => {
    assert.equal(missing, null, missing ?? "");
    const simulator = new PikoSimulator({ model: "8.3", name: "SolarDach", clock: daytimeClock() });
    const simulatorHost = new URL(await simulator.start()).host;
    t.after(() => simulator.stop());
    const healthPort = await freePort();
    const bridge = new ModuleProcess(["run"], {
      KOSTAL_HOST: simulatorHost,
      KOSTAL_ID: "dach",
      SCRAPE_INTERVAL: "2",
      HEALTH_PORT: String(healthPort),
    });
    t.after(() => bridge.stop());
    await bridge.waitForLine(/"inverter":"dach"/);
    const browser: Browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
      ],
      // The browser is the consumer on another machine, on the real clock: under libfaketime (CI's run at night)
      // only the bridge's wall clock is faked. Chromium with libfaketime preloaded never fires the page's load.
      env: browserEnvironment(),
    });
    t.after(() => browser.close());
    const url = `http://127.0.0.1:${healthPort}/`;

    const page = await browser.newPage({ viewport: { width: 412, height: 900 } }); // a phone
    const errors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(url);
    assert.equal(await page.locator("section.inverter .name").textContent(), "SolarDach");
    const points = Number(await page.locator("svg.chart").getAttribute("data-points"));
    assert.ok(points >= 1, `chart points: ${points}`);
    const lastReading = page.locator("section.inverter table.facts tr", { hasText: "last reading" });
    const before = await lastReading.textContent();
    // A new reading every 2 s: the row changes without a reload (a locator, as the page's CSP forbids eval).
    await lastReading.filter({ hasNotText: before ?? "" }).waitFor({ timeout: 20_000 });
    assert.ok(Number(await page.locator("body").getAttribute("data-updates")) >= 1, "updated by the stream");
    assert.ok(Number(await page.locator("svg.chart").getAttribute("data-points")) >= 1);
    assert.ok((await page.locator("svg.chart path.curve").count()) === 1, "the curve is drawn");
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    console.log(`status page screenshot: ${SCREENSHOT}`);
    assert.deepEqual(errors, []);

    const withoutScript = await browser.newContext({ javaScriptEnabled: false });
    const plain = await withoutScript.newPage();
    await plain.goto(url);
    assert.equal(await plain.locator("section.inverter .name").textContent(), "SolarDach");
    assert.ok((await plain.locator("table").count()) >= 2, "plain tables");
    assert.equal(await plain.locator("svg.chart").count(), 1, "the chart without a script");
    await withoutScript.close();

    // Open pages hold event streams: the stop must still end the process by itself, at once.
    assert.equal(await bridge.stop(), 0);
    assert.doesNotMatch(bridge.output(), /handles still open/);
  },
);

/** This process's environment without libfaketime (LD_PRELOAD and its FAKETIME settings). */
function browserEnvironment(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined && entry[0] !== "LD_PRELOAD" && !entry[0].startsWith("FAKETIME"),
    ),
  );
}
