import type { BridgeEvent, OutputHealth } from "../ports/output.js";
import { MEASUREMENT_FIELDS } from "../reading/fields.js";
import type { Reading } from "../reading/reading.js";
import type { SiteClock } from "./dayCurve.js";
import { escapeHtml } from "./html.js";
import type { InverterView, StatusView } from "./statusBoard.js";
import { powerChart } from "./statusChart.js";

/** How the page is written: the site's clock for times of day, and the redactor every text goes through. */
export interface PageStyle {
  clock: SiteClock;
  /** Removes secrets (an error message may quote a URL or a setting). */
  redact: (text: string) => string;
  title: string;
}

/**
 * The status page, rendered on the server as plain HTML tables (readable with JavaScript off) plus the day's
 * chart as inline SVG. status.js replaces `<main>` with `statusMain` from the event stream; the stylesheet and
 * the script are separate files, so the page's Content-Security-Policy allows no inline code.
 */
export function statusPage(view: StatusView, style: PageStyle): string {
  const title = escapeHtml(style.title);
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${title}</title><link rel="stylesheet" href="status.css"><script src="status.js" defer></script>`,
    `</head><body><header><h1>${title}</h1></header>`,
    `<main id="status">${statusMain(view, style)}</main>`,
    '<footer><a href="metrics">metrics</a> · <a href="readyz">readyz</a> · <a href="healthz">healthz</a></footer>',
    "</body></html>",
  ].join("\n");
}

/** The page's changing part: inverters, outputs, recent events. */
export function statusMain(view: StatusView, style: PageStyle): string {
  const text = (value: string) => escapeHtml(style.redact(value));
  const time = (atMs: number) => escapeHtml(timeText(atMs, view.now, style.clock));
  const inverters =
    view.inverters.length === 0
      ? "<p>No inverter is configured yet.</p>"
      : view.inverters
          .map((inverter, index) => inverterSection(inverter, text, time, index < MAX_CHARTS))
          .join("\n");
  return [
    `<p class="updated" data-updated="${view.now}">As of ${time(view.now)}</p>`,
    inverters,
    "<section><h2>Outputs</h2>",
    table(
      ["output", "state", "queued", "delivered", "dropped", "rejected", "message"],
      view.outputs.map(([name, health]) => outputRow(name, health, text)),
    ),
    "</section><section><h2>Recent changes</h2>",
    view.events.length === 0
      ? "<p>None since start.</p>"
      : table(
          ["at", "what", "change", "message"],
          view.events.map((event) => eventRow(event, text, time)),
        ),
    "</section>",
  ].join("\n");
}

type Text = (value: string) => string;

/**
 * Charts are drawn for this many inverters: the page is made for a site's few. A farm of hundreds on one bridge
 * (bench/farmBench.ts) would otherwise make every push megabytes; its inverters get their tables only.
 */
export const MAX_CHARTS = 12;

function inverterSection(
  view: InverterView,
  text: Text,
  time: (atMs: number) => string,
  withChart: boolean,
): string {
  const { status, reading } = view;
  const name = reading?.name ?? status.name ?? status.inverter;
  const lastReading = status.last_seen === null ? "none yet" : time(Date.parse(status.last_seen));
  const rows: Array<[string, string]> = [
    ["state", `<span class="state ${text(status.state)}">${text(status.state)}</span>`],
    ["since", time(Date.parse(status.since))],
    ["message", text(status.message)],
    ["last reading", lastReading],
    ["power now", reading ? valueText(reading.ac_power_w, "W") : "-"],
    ["energy today", valueText(view.energyTodayKwh, "kWh")],
  ];
  return [
    `<section class="inverter" data-inverter="${text(status.inverter)}">`,
    `<h2><span class="name">${text(name)}</span> <small>${text(status.inverter)}${reading ? ` · ${text(reading.model)}` : ""}</small></h2>`,
    `<table class="facts">${rows.map(([key, value]) => `<tr><th>${key}</th><td>${value}</td></tr>`).join("")}</table>`,
    withChart ? powerChart(view.curve, view.dayStartMs, `power today of ${name}`) : "",
    reading ? readingDetails(reading, text) : "",
    "</section>",
  ].join("\n");
}

/** Every measurement of the last reading, named and united by the field table. */
function readingDetails(reading: Reading, text: Text): string {
  const rows = MEASUREMENT_FIELDS.filter((field) => reading[field.key] !== undefined).map((field) => [
    text(field.description),
    valueText(reading[field.key], field.unit),
  ]);
  return `<details><summary>last reading: ${text(reading.status_text || reading.status)}</summary>${table(["field", "value"], rows)}</details>`;
}

function outputRow(name: string, health: OutputHealth, text: Text): string[] {
  const message =
    health.failing === true ? `${health.message}; failing: ${health.lastFault ?? ""}` : health.message;
  return [
    text(name),
    `<span class="state ${text(health.state)}">${text(health.state)}</span>`,
    String(health.queued),
    String(health.delivered),
    String(health.dropped),
    String(health.rejected ?? 0),
    text(message),
  ];
}

function eventRow(event: BridgeEvent, text: Text, time: (atMs: number) => string): string[] {
  const change =
    event.from !== undefined || event.to !== undefined ? `${event.from ?? ""} → ${event.to ?? ""}` : "";
  return [
    time(Date.parse(event.at)),
    text(`${event.type}${event.subject !== undefined ? ` ${event.subject}` : ""}`),
    text(change),
    text(event.message),
  ];
}

function table(head: string[], rows: string[][]): string {
  const header = head.map((cell) => `<th>${cell}</th>`).join("");
  const body = rows.map((row) => `<tr>${row.map((cell) => `<td>${cell}</td>`).join("")}</tr>`).join("");
  return `<table><thead><tr>${header}</tr></thead><tbody>${body}</tbody></table>`;
}

function valueText(value: number | null | undefined, unit: string): string {
  if (value === undefined) return "-";
  if (value === null) return "unreadable";
  return `${value}${unit === "" ? "" : ` ${unit}`}`;
}

/** Today's times as the wall clock's `HH:MM:SS`; older ones with their date. */
function timeText(atMs: number, now: number, clock: SiteClock): string {
  if (Number.isNaN(atMs)) return "-";
  const wall = clock.wallClock(atMs);
  return clock.dayStart(atMs) === clock.dayStart(now) ? wall.slice(11) : wall;
}
