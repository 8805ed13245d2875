import type { InverterModel } from "./models.js";
import type { InverterValues } from "./solarDay.js";

/**
 * The dxs.json API of a PIKO with web UI >= 6 (piko.md, "dxs.json"), as the simulator answers it:
 * `GET /api/dxs.json?dxsEntries=ID&dxsEntries=ID...` -> `{"dxsEntries":[{"dxsId":N,"value":V}...],
 * "session":{"sessionId":0,"roleId":0},"status":{"code":0}}`, floats printed with 6 decimals like the captures.
 *
 * The values are those of the same simulated moment the status page shows (same power and totals; today's
 * yield in Wh). What the device does not have, it does not know: a DC input beyond the model's, battery ids
 * (no simulated model is a PIKO BA), home consumption without a consumption meter. Unknown ids are left out and
 * `status.code` is 1, as the captures show. A single-phase model answers `null` for the L2/L3 voltages and 0 for
 * their current and power (the real PIKO 3.0's answer, piko-dxs/...-1phase-null-L2L3-voltage.json). Grid
 * frequency and cos phi are `null` while the inverter does not feed (inferred: no grid measurement then).
 *
 * More than 25 ids in one request (the documented maximum): the first 25 are answered and the rest are left out
 * with `status.code` 1, as if unknown (inferred; no capture shows it, and the product never asks for more).
 */

export const DXS_API_PATH = "/api/dxs.json";
export const DXS_MAX_IDS = 25;

/** What the device says about itself. */
export interface DeviceIdentity {
  readonly serial: string;
  readonly name: string;
  readonly firmware: string;
  readonly uiVersion: string;
  /** The inverter type as the device names it, e.g. `PIKO 10.1`. */
  readonly type: string;
}

/** A household's consumption behind a meter the inverter reads (PIKO with an energy sensor fitted). */
export interface HomeMeter {
  /** Constant household load, W (a simple, exactly integrable load). */
  readonly loadW: number;
  /** Milliseconds since the site's midnight at the moment asked about. */
  readonly sinceMidnightMs: number;
  /** Home consumption over the meter's lifetime at that moment, kWh. */
  readonly totalKwh: number;
}

type DxsValue = number | string | null;

const STATUS_CODE = { feeding: 3, idle: 1, off: 0 } as const;
const HOUR_MS = 3_600_000;
/** DC input n (1-3): current, voltage, power at base + 256 (n - 1) + 0/1/2. */
const DC_BASE = 33555201;
/** Grid phase n (1-3): current, voltage, power at base + 256 (n - 1) + 0/1/2. */
const PHASE_BASE = 67109377;

const round = (value: number, decimals: number) => Number(value.toFixed(decimals));

/** Every id the device knows at this moment, with its value. */
export function dxsValues(
  values: InverterValues,
  model: InverterModel,
  identity: DeviceIdentity,
  meter: HomeMeter | null,
): Map<number, DxsValue> {
  const feeding = values.state === "feeding";
  const known = new Map<number, DxsValue>([
    [16777728, identity.serial],
    [16777984, identity.name],
    [16779265, identity.firmware],
    [16779267, identity.uiVersion],
    [16780544, identity.type],
    [16780032, STATUS_CODE[values.state]],
    [67109120, values.acPowerW],
    [67110144, 100],
    [67110400, feeding ? 50 : null],
    [67110656, feeding ? 1 : null],
    [251658753, values.energyTotalKwh],
    [251658754, round(values.energyTodayKwh * 1000, 0)],
  ]);
  let dcPowerW = 0;
  for (let n = 1; n <= model.strings; n += 1) {
    const string = values.strings[n - 1] ?? { voltageV: 0, currentA: 0 };
    const powerW = round(string.voltageV * string.currentA, 1);
    dcPowerW += powerW;
    const base = DC_BASE + 256 * (n - 1);
    known
      .set(base, string.currentA)
      .set(base + 1, string.voltageV)
      .set(base + 2, powerW);
  }
  known.set(33556736, round(dcPowerW, 1));
  for (let n = 1; n <= 3; n += 1) {
    const phase = n <= model.phases ? values.phases[n - 1] : undefined;
    const base = PHASE_BASE + 256 * (n - 1);
    const currentA = phase && phase.voltageV > 0 ? round(phase.powerW / phase.voltageV, 3) : 0;
    known
      .set(base, currentA)
      .set(base + 1, phase ? phase.voltageV : null)
      .set(base + 2, phase?.powerW ?? 0);
  }
  if (meter !== null) addHomeMeter(known, values.acPowerW, meter);
  return known;
}

function addHomeMeter(known: Map<number, DxsValue>, acPowerW: number, meter: HomeMeter): void {
  const fromPvW = Math.min(meter.loadW, acPowerW);
  known
    .set(83887872, meter.loadW)
    .set(83886336, fromPvW)
    .set(83886848, meter.loadW - fromPvW)
    .set(83888128, fromPvW)
    .set(251659009, round(meter.totalKwh, 3))
    .set(251659010, round((meter.loadW * meter.sinceMidnightMs) / HOUR_MS, 0));
}

/** The ids a query asks for (`dxsEntries=N`, repeated), in its order; what is not a whole number is skipped. */
export function askedIds(query: URLSearchParams): number[] {
  return query
    .getAll("dxsEntries")
    .filter((text) => /^\d{1,12}$/.test(text))
    .map(Number);
}

/** Ids the device writes as integers (the status); every other number is a float printed with %f. */
const INTEGER_IDS = new Set([16780032]);

function json(id: number, value: DxsValue): string {
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value);
  return INTEGER_IDS.has(id) ? String(Math.round(value)) : value.toFixed(6);
}

/** The body of the answer to `asked`, as the device writes it: one line, no trailing newline. */
export function dxsAnswerBody(asked: readonly number[], known: ReadonlyMap<number, DxsValue>): string {
  const answered = asked.slice(0, DXS_MAX_IDS).filter((id) => known.has(id));
  const entries = answered.map((id) => `{"dxsId":${id},"value":${json(id, known.get(id)!)}}`);
  const code = answered.length === asked.length ? 0 : 1;
  return `{"dxsEntries":[${entries.join(",")}],"session":{"sessionId":0,"roleId":0},"status":{"code":${code}}}`;
}
