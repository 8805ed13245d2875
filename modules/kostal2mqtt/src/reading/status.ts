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
 * The original script's `STATE.flag` (1 off, 2 idle, 3 feeding, 0 other) and `STATE.binary` (feeding or not) for
 * each status (consumers.md). The script matched the German words (Aus, Leerlauf, Einspeisen) in the status text,
 * so English and Dutch pages got 0; taken from the classified status, every UI language gets the same flag. Its
 * -1 (no data) never occurs: without a page there is no reading, hence no document.
 */
export const LEGACY_STATE: Readonly<Record<InverterStatus, { flag: 0 | 1 | 2 | 3; binary: 0 | 1 | null }>> = {
  off: { flag: 1, binary: 0 },
  idle: { flag: 2, binary: 0 },
  starting: { flag: 0, binary: null },
  feeding_mpp: { flag: 3, binary: 1 },
  feeding_limited: { flag: 3, binary: 1 },
  feeding: { flag: 3, binary: 1 },
  dc_voltage_low: { flag: 0, binary: null },
  insulation_measurement: { flag: 0, binary: null },
  waiting: { flag: 0, binary: null },
  unknown: { flag: 0, binary: null },
};

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
  // MP plus documents write their state in English: `Feeding` (inferred), `Standby` (seen, not feeding).
  [/^(einspeisen|supply|feed[- ]?in|feeding|toevoer|teruglevering)$/, "feeding"],
  [/(dc.?spannung.*niedrig|dc.?voltage.*low|dc.?spanning.*laag)/, "dc_voltage_low"],
  [/(isolationsmessung|insulation|isolatie)/, "insulation_measurement"],
  [/^(warten|waiting|wachten|standby)$/, "waiting"],
];

export function classifyStatus(statusText: string): InverterStatus {
  const text = statusText.trim().replace(/\s+/g, " ").toLowerCase();
  for (const [pattern, status] of STATUS_PATTERNS) {
    if (pattern.test(text)) return status;
  }
  return "unknown";
}
