/**
 * The status page's two files, served by the health server from memory: no build step, no external asset (a
 * gateway may be offline), a few KiB in all. The script only swaps in the server-rendered `<main>` that the event
 * stream (`/events`) sends, so every value is escaped in one place, on the server (statusPage.ts); the page works
 * without it, just without live updates.
 */

export const STATUS_SCRIPT = `"use strict";
(function () {
  var main = document.getElementById("status");
  if (main === null || typeof EventSource !== "function") return;
  var updates = 0;
  var source = new EventSource("events");
  source.addEventListener("status", function (event) {
    main.innerHTML = JSON.parse(event.data);
    updates += 1;
    document.body.setAttribute("data-updates", String(updates));
  });
  source.addEventListener("open", function () {
    document.body.classList.remove("offline");
  });
  source.addEventListener("error", function () {
    document.body.classList.add("offline");
  });
})();
`;

export const STATUS_CSS = `:root { color-scheme: light dark; --line: #8884; --accent: #e08a00; }
* { box-sizing: border-box; }
body { font: 15px/1.4 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 0.5rem 1rem 2rem; }
body.offline .updated::after { content: " (connection lost, retrying)"; color: #c33; }
h1 { font-size: 1.3rem; margin: 0.5rem 0; }
h2 { font-size: 1.1rem; margin: 1.2rem 0 0.4rem; }
h2 small { font-weight: normal; opacity: 0.7; }
table { border-collapse: collapse; width: 100%; margin: 0.3rem 0; }
th, td { border-bottom: 1px solid var(--line); padding: 0.25rem 0.4rem; text-align: left; vertical-align: top; }
table.facts th { width: 9rem; font-weight: normal; opacity: 0.75; }
section { overflow-x: auto; }
.state { font-weight: 600; }
.producing, .connected { color: #2a8a2a; }
.unreachable, .auth_error, .format_error, .disconnected { color: #c33; }
.chart { width: 100%; height: auto; display: block; margin: 0.5rem 0; }
.chart .grid { stroke: var(--line); }
.chart .curve { fill: none; stroke: var(--accent); stroke-width: 2.5; stroke-linecap: round; stroke-linejoin: round; }
.chart text { font-size: 12px; fill: currentColor; opacity: 0.7; }
.chart .y { text-anchor: end; }
.chart .x, .chart .none { text-anchor: middle; }
.updated, footer { opacity: 0.7; font-size: 0.9rem; }
@media (max-width: 30rem) { body { padding: 0.25rem 0.5rem; font-size: 14px; } th, td { padding: 0.2rem; } }
`;
