import { DAY_MS } from "./dayCurve.js";
import {
  askedIds,
  DXS_API_PATH,
  dxsAnswerBody,
  dxsValues,
  type DeviceIdentity,
  type HomeMeter,
} from "./dxsApi.js";
import type { InverterModel } from "./models.js";
import { isMpplusPath, mpplusName, renderMpplusDocument } from "./mpplusDocument.js";
import type { PlannedResponse } from "./responseDelivery.js";
import type { InverterValues } from "./solarDay.js";

/**
 * Which PIKO generation the simulator stands in for (piko.md, "Which device speaks what"): the old status page
 * behind Basic auth (`html`, the default), the dxs.json API of web UI >= 6 (`dxs`) or the XML documents of an
 * MP plus (`mpplus`). The newer two are read without a login. This file answers their paths; the status page
 * stays with the server.
 */

export const PROTOCOLS = ["html", "dxs", "mpplus"] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export function isProtocol(text: string): text is Protocol {
  return (PROTOCOLS as readonly string[]).includes(text);
}

const HOUR_MS = 3_600_000;
/** Home consumption the simulated meter had counted when the simulation started, kWh. */
const HOME_START_TOTAL_KWH = 18_250;

export interface DeviceGenerationOptions {
  protocol: Exclude<Protocol, "html">;
  model: InverterModel;
  identity: DeviceIdentity;
  rs485Address: number;
  utcOffsetHours: number;
  /** Household load behind a consumption meter, W; 0: no meter fitted (its ids are unknown). */
  homeLoadW: number;
  /** When the simulation started (the meter's total counts from there). */
  epochMs: number;
}

/** The default identity of a simulated device: a serial made from the seed, the firmware of its generation. */
export function defaultIdentity(
  protocol: Protocol,
  model: InverterModel,
  name: string,
  seed: number,
): DeviceIdentity {
  const mpplus = protocol === "mpplus";
  return {
    serial: `7620SIM${String(Math.abs(seed)).padStart(5, "0")}`,
    name,
    firmware: mpplus ? "4.6.0" : "05.61",
    uiVersion: mpplus ? "3.17.0" : "06.41",
    type: mpplus ? mpplusName(model) : `PIKO ${model.id}`,
  };
}

export class DeviceGeneration {
  constructor(private readonly options: DeviceGenerationOptions) {}

  /** The answer to a GET of `path` with `query` at `nowMs`, or null when the device has no such path. */
  answer(
    path: string,
    query: URLSearchParams,
    values: InverterValues,
    nowMs: number,
  ): PlannedResponse | null {
    const { protocol, model, identity } = this.options;
    if (protocol === "dxs" && path === DXS_API_PATH) {
      const known = dxsValues(values, model, identity, this.meterAt(nowMs));
      const body = Buffer.from(dxsAnswerBody(askedIds(query), known), "utf8");
      const headers = { "Content-Type": "text/plain", Expires: "Sun, 02 Jan 2000 11:11:11 GMT" };
      return { status: 200, headers, body, http10: true };
    }
    if (protocol === "mpplus" && isMpplusPath(path)) {
      const { rs485Address, utcOffsetHours } = this.options;
      const body = renderMpplusDocument(path, values, model, identity, {
        atMs: nowMs,
        utcOffsetHours,
        rs485Address,
      });
      return { status: 200, headers: { "Content-Type": "text/xml" }, body };
    }
    return null;
  }

  private meterAt(nowMs: number): HomeMeter | null {
    const { homeLoadW, utcOffsetHours, epochMs } = this.options;
    if (homeLoadW <= 0) return null;
    const local = nowMs + utcOffsetHours * HOUR_MS;
    return {
      loadW: homeLoadW,
      sinceMidnightMs: ((local % DAY_MS) + DAY_MS) % DAY_MS,
      totalKwh: HOME_START_TOTAL_KWH + (homeLoadW * Math.max(0, nowMs - epochMs)) / HOUR_MS / 1000,
    };
  }
}
