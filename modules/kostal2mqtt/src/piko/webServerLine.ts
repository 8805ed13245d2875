import { deviceAgent } from "./inverterAgent.js";

/**
 * One PIKO web server as every inverter read through it shares it: one kept-alive connection, and one request at a
 * time. The web server serves one connection at a time and falls over when hammered (piko.md); old PIKOs on one
 * RS485 bus are all read through one web server (the status page shows the bus address posted as `edWrNr`), so
 * their clients take turns here. The wait for a turn is outside a request's timeout, which starts with its turn.
 */
export class WebServerLine {
  /** The one connection: requests never open a second one, even if a turn were skipped. */
  readonly agent = deviceAgent();
  private last: Promise<unknown> = Promise.resolve();

  /** `host:port` of the web server. */
  constructor(readonly host: string) {}

  /** Runs `exchange` once every exchange given before it has settled; its outcome is the caller's. */
  take<T>(exchange: () => Promise<T>): Promise<T> {
    const turn = this.last.then(exchange);
    this.last = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * The open lines by `host:port`: inverters whose entries name the same web server get the same line. A line is
 * closed when the last inverter that holds it lets it go (an inverter removed or changed by the module twin).
 */
export class WebServerLines {
  private readonly open = new Map<string, { line: WebServerLine; holders: number }>();

  acquire(host: string): WebServerLine {
    const key = host.toLowerCase();
    const entry = this.open.get(key) ?? { line: new WebServerLine(key), holders: 0 };
    entry.holders += 1;
    this.open.set(key, entry);
    return entry.line;
  }

  release(line: WebServerLine): void {
    const entry = this.open.get(line.host);
    if (entry?.line !== line) return;
    entry.holders -= 1;
    if (entry.holders > 0) return;
    this.open.delete(line.host);
    line.close();
  }
}
