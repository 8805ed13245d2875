/**
 * The settings the bridge runs with and that apply live: where config (environment, module twin) ends and the
 * runtime begins. Config owns these types, so the runtime imports them downward and config never imports the
 * runtime.
 */

import type { ProtocolSetting } from "../piko/protocolProbe.js";

export interface InverterSettings {
  host: string;
  username: string;
  password: string;
  enabled: boolean;
  /** The interface the inverter speaks, or `auto` to find out (also when absent). */
  protocol?: ProtocolSetting;
  /** Port on which the inverter's last reading is served in its own formats (mirror/); 0 or absent: off. */
  mirrorPort?: number;
  /** Read through the host's web server, which shows this RS485 bus address (old PIKOs on one bus). */
  rs485Address?: number;
}

export interface BridgeSettings {
  pollIntervalSeconds: number;
  inverters: ReadonlyMap<string, InverterSettings>;
}
