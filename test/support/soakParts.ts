import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  PikoSimulator,
  type InverterValues,
  type PikoSimulatorOptions,
} from "../../modules/piko-simulator/src/index.js";
import type { BrokerLimits } from "./mosquitto.js";

/**
 * The soak's parts that are not the soak itself: a simulated PIKO whose energy counters are physically possible in
 * real time, the broker configurations it rotates through, and the corruptions of the data folder between restarts.
 */

/**
 * A PIKO whose day runs fast (the clock it is given) but whose energy counters grow only by what its power feeds in
 * real time.
 *
 * Why: the bridge accepts a lifetime total only if it is no higher than the last good one plus what the rated power
 * could have produced since, measured on the bridge's own (real) clock (issue 9, readingGuard.ts). A simulator whose
 * day runs 480 times faster than real time also counts energy 480 times faster: a PIKO 8.3 feeding 6 kW gains
 * 1.25 kWh per real second, a poll every 2 s sees +2 or +3 kWh where 8.3 kW allow 0.007 kWh (plus 1 kWh for the
 * display's rounding), and from the first such step on every total is a spike, published as null, for the rest of
 * the simulated day (the allowance grows in real time, the total 480 times faster). The soak's "no total ever
 * decreases" then held for a handful of totals. Here power is integrated over real time, so every total the page
 * shows is one the bridge must accept, and every spike or dip in it is one the soak put there on purpose.
 */
export class RealTimeEnergySimulator extends PikoSimulator {
  private totalKwh: number;
  private todayKwh = 0;
  private lastAt: number | null = null;
  private lastSimulatedToday = 0;

  constructor(options: PikoSimulatorOptions & { startTotalKwh: number }) {
    super(options);
    this.totalKwh = options.startTotalKwh;
  }

  /** The lifetime total the page shows now (whole kWh, as the device shows it). */
  get shownTotalKwh(): number {
    return Math.floor(this.totalKwh);
  }

  override valuesNow(): InverterValues | null {
    const values = super.valuesNow();
    const at = performance.now();
    if (values === null) {
      this.lastAt = null;
      return null;
    }
    // The simulated day's own energy falls back to 0 in its morning: a new day.
    if (values.energyTodayKwh < this.lastSimulatedToday) this.todayKwh = 0;
    this.lastSimulatedToday = values.energyTodayKwh;
    if (this.lastAt !== null) {
      const kwh = (values.acPowerW * (at - this.lastAt)) / 3_600_000_000;
      this.totalKwh += kwh;
      this.todayKwh += kwh;
    }
    this.lastAt = at;
    return {
      ...values,
      energyTotalKwh: Math.floor(this.totalKwh),
      energyTodayKwh: Math.floor(this.todayKwh * 100) / 100,
    };
  }
}

/** A message size limit below the Home Assistant discovery document (about 5.6 KB for a PIKO 8.3). */
const SIZE_LIMIT = ["message_size_limit 4096"];
/** The bridge may write its state, status and discovery, not the original's legacy document (`KOSTAL`). */
const DENY_LEGACY = [
  "user bridge",
  "topic readwrite KOSTAL/bridge/#",
  "topic readwrite KOSTAL/+/state",
  "topic readwrite KOSTAL/+/status",
  "topic readwrite KOSTAL/+/availability",
  "topic readwrite homeassistant/#",
  "",
  "user tester",
  "topic read #",
  "",
].join("\n");

/** The brokers a restart may bring: as configured at some sites (issue 9), and one without limits. */
export const BROKER_CONFIGS: ReadonlyArray<{ name: string; limits: BrokerLimits }> = [
  { name: "size-limited and denying", limits: { conf: SIZE_LIMIT, acl: DENY_LEGACY } },
  { name: "size-limited", limits: { conf: SIZE_LIMIT } },
  { name: "denying", limits: { acl: DENY_LEGACY } },
  { name: "without limits", limits: {} },
];

/**
 * Corrupts the data folder of a stopped bridge, as a crash, a full disk or a hand edit leaves it (issue 9): the
 * persisted MQTT queue gets an entry without a message and one with a wildcard topic (the valid entries stay, so
 * nothing is lost), and totals.json is either cut off mid-write (`cut`) or of the wrong shape (`shape`). Returns
 * what it did, for the log.
 */
export function corruptDataDir(dataDir: string, totals: "cut" | "shape", now: number): string {
  const queuePath = join(dataDir, "queue-mqtt.json");
  let entries: unknown[] = [];
  try {
    const parsed = JSON.parse(readFileSync(queuePath, "utf8")) as unknown;
    if (Array.isArray(parsed)) entries = parsed;
  } catch {
    // No queue file (nothing was waiting): the corrupt entries are all there is.
  }
  const bad = [
    { enqueuedAt: now },
    { item: { topic: "KOSTAL/#", payload: "x", retain: false, expires: false }, enqueuedAt: now },
  ];
  writeFileSync(queuePath, JSON.stringify([...bad, ...entries]));
  const totalsPath = join(dataDir, "totals.json");
  writeFileSync(
    totalsPath,
    totals === "cut" ? '{"dach": {"total": 391' : '{"dach": {"total": "many"}, "garage": [1]}',
  );
  return `queue-mqtt.json: 2 bad entries before ${entries.length} good; totals.json: ${totals}`;
}
