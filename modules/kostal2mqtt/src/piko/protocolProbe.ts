import type { PageContent } from "../reading/reading.js";
import { PIKO_FORMATS, type PikoFormat } from "./detectFormat.js";
import { InverterAuth, PageFormat } from "./errors.js";

/**
 * Which interface a PIKO speaks (piko.md, "Which device speaks what"), found out by asking. With the setting
 * `auto` the first read tries the interfaces in PROBE_ORDER and remembers the one that answered; a device that
 * then keeps answering that interface with format errors (a firmware update that changed it) is probed again, so
 * the change is picked up without a restart. A set protocol is used as it is, never probed.
 */

export const PROTOCOL_SETTINGS = ["auto", ...PIKO_FORMATS] as const;
export type ProtocolSetting = (typeof PROTOCOL_SETTINGS)[number];

export function isProtocolSetting(text: string): text is ProtocolSetting {
  return (PROTOCOL_SETTINGS as readonly string[]).includes(text);
}

/**
 * Cheapest first. A probe that hits the right interface is the poll itself, so the order only decides what the
 * wrong guesses cost: on another device each is one small refusal (404, or the old PIKO's 401, which it sends for
 * every path without credentials, read as PageFormat). dxs comes first: its answers are the smallest (~1 KiB in two requests) and
 * the devices that speak it are the ones still sold; the MP plus document (~2 KiB) next; the old status page
 * (~7 KiB, behind Basic auth) last, so no password is sent to a device before it has shown it wants one.
 */
export const PROBE_ORDER: readonly PikoFormat[] = ["dxs", "mpplus", "html"];

/** Format errors in a row from the remembered interface after which it is probed again. */
export const REPROBE_AFTER_FORMAT_ERRORS = 3;

export interface ProtocolPoll {
  content: PageContent;
  /** The id the device names itself by (dxs and MP plus: its serial), or null (the old page has none). */
  deviceId: string | null;
  answeredAtMs: number;
}

export type ProtocolFetch = (protocol: PikoFormat) => Promise<ProtocolPoll>;

export class ProtocolProbe {
  private detected: PikoFormat | null = null;
  private lastDetected: PikoFormat | null = null;
  private formatErrorsInARow = 0;

  constructor(
    private readonly setting: ProtocolSetting,
    private readonly fetchWith: ProtocolFetch,
    /** Told once per detection, and again when a re-probe finds another interface. */
    private readonly onDetected: (protocol: PikoFormat, previous: PikoFormat | null) => void = () => {},
  ) {}

  /** The interface in use: the set one, the detected one, or null before detection (or after a lost one). */
  get protocol(): PikoFormat | null {
    return this.setting === "auto" ? this.detected : this.setting;
  }

  /** One poll; rejects with the device's typed error (InverterUnreachable, InverterAuth, PageFormat). */
  async read(): Promise<ProtocolPoll & { protocol: PikoFormat }> {
    const protocol = this.protocol;
    if (protocol === null) return this.probe();
    try {
      const poll = await this.fetchWith(protocol);
      this.formatErrorsInARow = 0;
      return { ...poll, protocol };
    } catch (error) {
      if (this.setting === "auto" && error instanceof PageFormat) {
        this.formatErrorsInARow += 1;
        if (this.formatErrorsInARow >= REPROBE_AFTER_FORMAT_ERRORS) this.detected = null;
      }
      throw error;
    }
  }

  private async probe(): Promise<ProtocolPoll & { protocol: PikoFormat }> {
    const refusals: Array<{ protocol: PikoFormat; error: PageFormat | InverterAuth }> = [];
    for (const protocol of PROBE_ORDER) {
      try {
        const poll = await this.fetchWith(protocol);
        this.remember(protocol);
        return { ...poll, protocol };
      } catch (error) {
        // Not answering at all says nothing about the interface: the next poll probes again.
        if (!(error instanceof PageFormat || error instanceof InverterAuth)) throw error;
        refusals.push({ protocol, error });
      }
    }
    // Only the status page is asked with credentials: its refusal of them is the device's real answer.
    const refusedLogin = refusals.find((r) => r.protocol === "html" && r.error instanceof InverterAuth);
    if (refusedLogin) throw refusedLogin.error;
    const tried = refusals.map((r) => `${r.protocol}: ${r.error.message}`).join("; ");
    throw new PageFormat(`expected one of the PIKO interfaces, found none (${tried})`);
  }

  private remember(protocol: PikoFormat): void {
    this.detected = protocol;
    this.formatErrorsInARow = 0;
    if (protocol !== this.lastDetected) this.onDetected(protocol, this.lastDetected);
    this.lastDetected = protocol;
  }
}
