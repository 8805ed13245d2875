import { seededRandom } from "./seededNoise.js";

/**
 * Faults a test or demo can switch on, modelled on what PIKO web servers do in the field (piko.md): answering
 * late, dripping the page out, errors, garbage, pages cut off, connections reset, or no answer at all; and a page
 * that is intact but shows a lifetime total the inverter never had (a spike such as 4294967295, a dip below the
 * last one), as meters do now and then (issue 9: the bridge must never publish either).
 */

interface FaultLimits {
  /** Applies to this many requests, then clears itself; default: until changed. */
  remaining?: number;
  /** Chance (0-1) that a request is hit; default 1. Drawn from the simulator's seeded generator. */
  probability?: number;
}

export type Fault = FaultLimits &
  (
    | { kind: "slow"; /** Delay before the answer starts, ms. */ delayMs: number }
    | {
        kind: "drip";
        /** Bytes per chunk; default 64. */ chunkBytes?: number;
        /** Pause between chunks, ms; default 100. */ intervalMs?: number;
      }
    | {
        kind: "status";
        /** The HTTP status sent instead of the real answer, e.g. 500 or 401. */ status: number;
      }
    | { kind: "garbage"; /** Random bytes sent with 200; default 2048. */ bytes?: number }
    | { kind: "truncated" }
    | { kind: "reset" }
    | { kind: "silent" }
    | {
        kind: "total";
        /** The lifetime total the page shows instead of the real one, whole kWh. */ kwh: number;
      }
  );

export type FaultKind = Fault["kind"];

export const FAULT_KINDS: readonly FaultKind[] = [
  "slow",
  "drip",
  "status",
  "garbage",
  "truncated",
  "reset",
  "silent",
  "total",
];

export function isFaultKind(text: string): text is FaultKind {
  return (FAULT_KINDS as readonly string[]).includes(text);
}

function wholeNumber(value: number | undefined, what: string, min: number, max: number): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${what} must be a whole number from ${min} to ${max}, got ${value}`);
  }
}

/** Throws RangeError when a fault's settings make no sense. */
export function checkFault(fault: Fault): void {
  if (!isFaultKind(fault.kind)) throw new RangeError(`unknown fault kind '${String(fault.kind)}'`);
  wholeNumber(fault.remaining, "fault remaining", 1, Number.MAX_SAFE_INTEGER);
  const p = fault.probability;
  if (p !== undefined && !(p >= 0 && p <= 1)) throw new RangeError(`fault probability must be 0-1, got ${p}`);
  switch (fault.kind) {
    case "slow":
      return wholeNumber(fault.delayMs, "slow delayMs", 0, 3_600_000);
    case "drip":
      wholeNumber(fault.chunkBytes, "drip chunkBytes", 1, 1_000_000);
      return wholeNumber(fault.intervalMs, "drip intervalMs", 0, 3_600_000);
    case "status":
      return wholeNumber(fault.status, "status", 100, 599);
    case "garbage":
      return wholeNumber(fault.bytes, "garbage bytes", 0, 10_000_000);
    case "total":
      if (fault.kwh === undefined) throw new RangeError("total kwh must be given");
      return wholeNumber(fault.kwh, "total kwh", 0, 1e12);
    default:
      return;
  }
}

/**
 * A fault from the command line: `kind` or `kind:number`, the number being the delay of `slow`, the chunk
 * interval of `drip`, the code of `status`, the size of `garbage` or the kWh of `total` (default 4294967295, the
 * spike seen in the field). Throws RangeError with the reason.
 */
export function parseFaultSpec(spec: string): Fault {
  const [kind = "", parameter, ...rest] = spec.split(":");
  if (!isFaultKind(kind) || rest.length > 0) {
    throw new RangeError(
      `--fault must be one of ${FAULT_KINDS.join(", ")} (optionally kind:number), got '${spec}'`,
    );
  }
  const number = parameter === undefined ? undefined : Number(parameter);
  if (parameter !== undefined && (parameter.trim() === "" || !Number.isFinite(number))) {
    throw new RangeError(`--fault ${kind}: '${parameter}' is not a number`);
  }
  const fault = ((): Fault => {
    switch (kind) {
      case "slow":
        return { kind, delayMs: number ?? 10_000 };
      case "drip":
        return number === undefined ? { kind } : { kind, intervalMs: number };
      case "status":
        return { kind, status: number ?? 500 };
      case "garbage":
        return number === undefined ? { kind } : { kind, bytes: number };
      case "total":
        return { kind, kwh: number ?? 4294967295 };
      default:
        if (number !== undefined) throw new RangeError(`--fault ${kind} takes no number, got '${spec}'`);
        return { kind };
    }
  })();
  checkFault(fault);
  return fault;
}

/** The fault switched on now, with its countdown and its dice. */
export class FaultSwitch {
  private fault: Fault | null = null;
  private remaining = Infinity;
  private readonly random: () => number;

  constructor(seed: number) {
    this.random = seededRandom(seed ^ 0x5eed);
  }

  get current(): Fault | null {
    return this.fault;
  }

  set(fault: Fault | null): void {
    if (fault !== null) checkFault(fault);
    this.fault = fault === null ? null : { ...fault };
    this.remaining = fault?.remaining ?? Infinity;
  }

  /** The fault that hits the request arriving now, or null; counts it down. */
  draw(): Fault | null {
    const fault = this.fault;
    if (fault === null) return null;
    if (fault.probability !== undefined && this.random() >= fault.probability) return null;
    this.remaining -= 1;
    if (this.remaining <= 0) this.fault = null;
    return fault;
  }

  /** Random bytes for a garbage answer; never a PIKO page (no `</html>` end, not even by chance). */
  garbage(length: number): Buffer {
    const bytes = Buffer.allocUnsafe(length);
    for (let i = 0; i < length; i++) bytes[i] = Math.floor(this.random() * 256);
    if (length > 0) bytes[length - 1] = 0x00;
    return bytes;
  }
}
