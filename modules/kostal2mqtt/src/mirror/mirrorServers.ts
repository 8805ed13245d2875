import type { InverterSettings } from "../config/bridgeSettings.js";
import type { Logger } from "../log/logger.js";
import type { ReadingCache } from "../runtime/bridgeControl.js";
import { MirrorServer } from "./mirrorServer.js";

export interface MirrorServersOptions {
  /** The address every mirror listens on (MIRROR_BIND). */
  bind: string;
  cache: ReadingCache;
  now: () => number;
  log: Logger;
}

interface RunningMirror {
  readonly server: MirrorServer;
  readonly port: number;
  /** The inverter's settings as last applied: its credentials guard the status page. */
  settings: InverterSettings;
}

/**
 * The mirror servers of every inverter that has a `mirrorPort`, kept in step with the settings as the bridge
 * applies them (environment at start, the module twin live): a new or moved port is opened, a removed or disabled
 * inverter's closed, changed credentials apply to the next request. Started and stopped by the composition root,
 * like the other controllers; changes are made one after another, never two at once.
 */
export class MirrorServers {
  private readonly running = new Map<string, RunningMirror>();
  private changes: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly options: MirrorServersOptions) {}

  /** Follows the settings from now on; call before the bridge's first `apply`. */
  start(): void {
    this.unsubscribe = this.options.cache.onSettingsApplied((settings) => {
      this.changes = this.changes.then(() => this.follow(settings.inverters));
    });
  }

  /** The port a mirror listens on, or null (for tests and the start-up log). */
  portOf(inverter: string): number | null {
    return this.running.get(inverter)?.server.port ?? null;
  }

  /** Waits for the changes under way; for callers that need the ports open. */
  async settled(): Promise<void> {
    await this.changes;
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    await this.changes;
    const servers = [...this.running.values()].map((mirror) => mirror.server.stop());
    this.running.clear();
    await Promise.all(servers);
  }

  private async follow(inverters: ReadonlyMap<string, InverterSettings>): Promise<void> {
    const wantedPort = (settings: InverterSettings | undefined) =>
      settings?.enabled ? (settings.mirrorPort ?? 0) : 0;
    for (const [id, mirror] of this.running) {
      const settings = inverters.get(id);
      if (wantedPort(settings) === mirror.port) {
        mirror.settings = settings!;
        continue;
      }
      this.running.delete(id);
      await mirror.server.stop();
    }
    for (const [id, settings] of inverters) {
      const port = wantedPort(settings);
      if (port === 0 || this.running.has(id)) continue;
      const mirror: RunningMirror = {
        port,
        settings,
        server: this.serverFor(id, port, () => mirror.settings),
      };
      this.running.set(id, mirror);
      await mirror.server.start();
    }
  }

  private serverFor(inverter: string, port: number, settings: () => InverterSettings): MirrorServer {
    const { bind, cache, now, log } = this.options;
    return new MirrorServer({
      inverter,
      port,
      bind,
      cache,
      now,
      log,
      credentials: () => ({ username: settings().username, password: settings().password }),
    });
  }
}
