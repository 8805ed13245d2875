/**
 * Inverter operating status, in the dxs numbering of the newer PIKO API (piko.md), which the normalised reading
 * uses for every device. The old HTML page only shows a localised text, so the text is classified here.
 */

export const STATUS_CODES = {
  off: 0,
  idle: 1,
  starting: 2,
  feeding_mpp: 3,
  feeding_limited: 4,
  feeding: 5,
  dc_voltage_low: 6,
  insulation_measurement: 7,
  waiting: 8,
  unknown: -1,
} as const;

export type InverterStatus = keyof typeof STATUS_CODES;

export const INVERTER_STATUSES = Object.keys(STATUS_CODES) as InverterStatus[];

/**
 * Seen on real pages: `Aus`, `Leerlauf`, `Einspeisen MPP`, `supply MPP`, `toevoer MPP`. The other words are the
 * same states in the three UI languages as far as they are known; a text matching none is `unknown`, never guessed.
 * Order matters: "Einspeisen MPP" must be classified before plain "Einspeisen".
 */
const STATUS_PATTERNS: ReadonlyArray<readonly [RegExp, InverterStatus]> = [
  [/^(aus|off|uit)$/, "off"],
  [/^(leerlauf|idle|stationair|nullast)$/, "idle"],
  [/^(anfahren|starting|start ?up|opstarten)$/, "starting"],
  [/\bmpp\b/, "feeding_mpp"],
  [/(abgeregelt|limited|begrensd)/, "feeding_limited"],
  [/^(einspeisen|supply|feed[- ]?in|toevoer|teruglevering)$/, "feeding"],
  [/(dc.?spannung.*niedrig|dc.?voltage.*low|dc.?spanning.*laag)/, "dc_voltage_low"],
  [/(isolationsmessung|insulation|isolatie)/, "insulation_measurement"],
  [/^(warten|waiting|wachten)$/, "waiting"],
];

export function classifyStatus(statusText: string): InverterStatus {
  const text = statusText.trim().replace(/\s+/g, " ").toLowerCase();
  for (const [pattern, status] of STATUS_PATTERNS) {
    if (pattern.test(text)) return status;
  }
  return "unknown";
}
