import { MINUTE_MS, type CurvePoint } from "./dayCurve.js";
import { escapeHtml } from "./html.js";

const WIDTH = 480;
const HEIGHT = 200;
const LEFT = 46;
const RIGHT = 18;
const TOP = 8;
const BOTTOM = 22;
const DAY_MS = 24 * 60 * MINUTE_MS;
/** A pause longer than this (the inverter asleep or unreachable) breaks the line instead of bridging it. */
const GAP_MS = 10 * MINUTE_MS;

/**
 * Today's power curve as inline SVG, drawn on the server: no charting library, no script, so it shows with
 * JavaScript off too and costs a few KiB (a full day is 1,440 points of about 12 bytes each).  Nothing goes into
 * it but numbers and the escaped label. `data-points` carries the number of points for tests and scripts.
 */
export function powerChart(points: readonly CurvePoint[], dayStartMs: number, label: string): string {
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const top = niceCeiling(Math.max(100, ...points.map((point) => point.watts)));
  const x = (atMs: number) => LEFT + (Math.min(Math.max(atMs - dayStartMs, 0), DAY_MS) / DAY_MS) * plotWidth;
  const y = (watts: number) => TOP + plotHeight * (1 - Math.max(watts, 0) / top);
  const parts: string[] = [
    `<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escapeHtml(label)}" data-points="${points.length}">`,
  ];
  for (let step = 0; step <= 4; step++) {
    const watts = (top * step) / 4;
    const at = round(y(watts));
    parts.push(`<line class="grid" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${at}" y2="${at}"/>`);
    parts.push(`<text class="y" x="${LEFT - 4}" y="${at + 4}">${powerLabel(watts)}</text>`);
  }
  for (let hour = 0; hour <= 24; hour += 6) {
    const at = round(x(dayStartMs + hour * 60 * MINUTE_MS));
    parts.push(`<text class="x" x="${at}" y="${HEIGHT - 6}">${String(hour).padStart(2, "0")}:00</text>`);
  }
  if (points.length > 0) {
    let path = "";
    let previous = Number.NEGATIVE_INFINITY;
    for (const point of points) {
      const at = `${round(x(point.atMs))} ${round(y(point.watts))}`;
      // A zero-length line after each move, so that a lone point shows as a dot (round caps).
      path += point.atMs - previous > GAP_MS ? `M${at}h0` : `L${at}`;
      previous = point.atMs;
    }
    parts.push(`<path class="curve" d="${path}"/>`);
  } else {
    parts.push(
      `<text class="none" x="${LEFT + plotWidth / 2}" y="${TOP + plotHeight / 2}">no reading today yet</text>`,
    );
  }
  parts.push("</svg>");
  return parts.join("");
}

/** 1, 2 or 5 times a power of ten, at or above `value`. */
function niceCeiling(value: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 5, 10].find((factor) => factor * magnitude >= value) ?? 10;
  return step * magnitude;
}

function powerLabel(watts: number): string {
  return watts >= 1000 ? `${round(watts / 1000)} kW` : `${round(watts)} W`;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
