/**
 * The settings the bridge runs with and that apply live: where config (environment, module twin) ends and the
 * runtime begins. Config owns these types, so the runtime imports them downward and config never imports the
 * runtime.
 */

export interface InverterSettings {
  host: string;
  username: string;
  password: string;
  enabled: boolean;
  /** Read through the host's web server, which shows this RS485 bus address (old PIKOs on one bus). */
  rs485Address?: number;
}

export interface BridgeSettings {
  pollIntervalSeconds: number;
  inverters: ReadonlyMap<string, InverterSettings>;
}
