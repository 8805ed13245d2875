import type { InverterSettings } from "../config/bridgeSettings.js";
import type { Logger } from "../log/logger.js";
import { InverterUnreachable } from "../piko/errors.js";
import { statusPageUrl } from "../piko/inverterAddress.js";
import { InverterClient } from "../piko/inverterClient.js";
import type { FetchLimits } from "../piko/pageFetcher.js";
import { WebServerLines } from "../piko/webServerLine.js";
import type { PageSource } from "./inverterLoop.js";

export interface InverterSourcesOptions {
  log: Logger;
  limits: FetchLimits;
  now: () => number;
  /** Where an inverter's pages come from instead of HTTP (tests pass fake inverters); they take turns all the same. */
  sourceFor?: (inverter: string, settings: InverterSettings) => PageSource;
}

/**
 * Where each inverter's readings come from: its client over whichever interface it speaks, through its web
 * server's line. One request at a time goes to one host:port across inverters (old PIKOs on one RS485 bus share a
 * web server), so a neighbour's poll waits for its turn rather than knocking the web server over; inverters on other
 * hosts never wait for it.
 */
export class InverterSources {
  private readonly lines = new WebServerLines();

  constructor(private readonly options: InverterSourcesOptions) {}

  /** The inverter's source; closing it lets go of its line. */
  open(id: string, settings: InverterSettings): PageSource {
    const { options } = this;
    const url = statusPageUrl(settings.host);
    const line = this.lines.acquire(url.host);
    const source =
      options.sourceFor?.(id, settings) ??
      new InverterClient({
        id,
        url,
        credentials: { username: settings.username, password: settings.password },
        protocol: settings.protocol ?? "auto",
        onProtocolDetected: (protocol, previous) =>
          options.log.info(
            `inverter ${id}: speaks ${protocol}${previous === null ? "" : ` (it spoke ${previous} before)`}`,
          ),
        limits: options.limits,
        now: options.now,
        agent: line.agent,
        ...(settings.rs485Address !== undefined && { rs485Address: settings.rs485Address }),
      });
    let released = false;
    // A read still waiting for its turn when the inverter is stopped never reaches the web server.
    const stopped = () => new InverterUnreachable(`inverter ${id}: polling stopped`);
    const inTurn = <T>(exchange: () => Promise<T>) =>
      line.take(() => (released ? Promise.reject(stopped()) : exchange()));
    // LogDaten.dat is the web server's own inverter's: a bus neighbour read through it has none of its own.
    const history = settings.rs485Address === undefined ? source.history?.bind(source) : undefined;
    return {
      read: () => inTurn(() => source.read()),
      ...(history && { history: (keep) => inTurn(() => history(keep)) }),
      close: () => {
        source.close();
        if (!released) this.lines.release(line);
        released = true;
      },
    };
  }
}

/** Whether a running inverter's loop can keep going under new settings (anything else restarts it). */
export function sameInverterSettings(a: InverterSettings, b: InverterSettings): boolean {
  return (
    a.host === b.host &&
    a.username === b.username &&
    a.password === b.password &&
    a.enabled === b.enabled &&
    (a.protocol ?? "auto") === (b.protocol ?? "auto") &&
    a.rs485Address === b.rs485Address
  );
}
