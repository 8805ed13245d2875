import type { IncomingMessage } from "node:http";

/**
 * Old PIKOs on one RS485 bus behind one web server: its status page is a form that posts `edWrNr`, the bus address
 * of the inverter to show. Here the web server's neighbours on the bus are other simulated inverters (PikoSimulator
 * instances that are never started: their day curves and pages, on the same clock).
 *
 * An address where no inverter answers (nobody there, or a neighbour asleep) shows the web server's own inverter,
 * its own address in the header. Inferred, no capture shows it: the point is that a client must check the header's
 * address before it files the page under an inverter.
 */

export interface BusMember {
  readonly rs485Address: number;
  /** The member's page now, or null while it is asleep. */
  renderNow(): Buffer | null;
}

/** A form body is a few bytes (`edWrNr=2`); anything longer is not the status page's form. */
const MAX_FORM_BYTES = 1024;

export class Rs485Neighbours {
  private readonly byAddress = new Map<number, BusMember>();

  /** Throws RangeError when two inverters on the bus share an address (the web server's own included). */
  constructor(ownAddress: number, members: readonly BusMember[]) {
    const taken = new Set([ownAddress]);
    for (const member of members) {
      if (taken.has(member.rs485Address))
        throw new RangeError(`RS485 address ${member.rs485Address} is taken twice on the bus`);
      taken.add(member.rs485Address);
      this.byAddress.set(member.rs485Address, member);
    }
  }

  /** The page of the neighbour at `address`, or null: the web server shows its own inverter then. */
  pageAt(address: number): Buffer | null {
    return this.byAddress.get(address)?.renderNow() ?? null;
  }
}

/** The bus address a posted form asks for, or null (none, not a number 1-255, or no form). Never rejects. */
export function postedBusAddress(req: IncomingMessage): Promise<number | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_FORM_BYTES) chunks.push(chunk);
    });
    req.once("error", () => resolve(null));
    req.once("close", () => resolve(null));
    req.once("end", () => {
      if (size > MAX_FORM_BYTES) return resolve(null);
      const value = new URLSearchParams(Buffer.concat(chunks).toString("latin1")).get("edWrNr")?.trim();
      const address = value !== undefined && /^\d{1,3}$/.test(value) ? Number(value) : Number.NaN;
      resolve(address >= 1 && address <= 255 ? address : null);
    });
  });
}
