import { readFileSync } from "node:fs";
import type { EdgeHubEmulator } from "../../modules/edgehub-emulator/src/index.js";
import type { Fault } from "../../modules/piko-simulator/src/index.js";
import type { Mosquitto } from "./mosquitto.js";
import type { Prng } from "./prng.js";
import { BROKER_CONFIGS, type RealTimeEnergySimulator } from "./soakParts.js";

/**
 * The soak's faults from every side, one family at a time in a seeded order, and the pure checks of what it saw
 * (test/long/soak.test.ts). The inverter's faults: down, slow, garbage, 401, 500, cut off, dripping, silent; false
 * totals that spike, dip or drop; broker restarts into the configurations of issue 9; edgeHub restarts and drops.
 */

const INVERTER_FAULTS: Fault[] = [
  { kind: "slow", delayMs: 7000 },
  { kind: "garbage" },
  { kind: "status", status: 401 },
  { kind: "status", status: 500 },
  { kind: "truncated" },
  { kind: "reset" },
  { kind: "silent" },
  { kind: "drip", chunkBytes: 64, intervalMs: 200 },
];

export type Family = "inverter" | "spike" | "dip" | "drop" | "broker" | "edgeHub";
const FAMILIES: Family[] = ["inverter", "inverter", "spike", "dip", "drop", "broker", "edgeHub"];
const FALSE_TOTALS = new Set<Family>(["spike", "dip", "drop"]);

export interface SoakParts {
  simulator: RealTimeEnergySimulator;
  broker: Mosquitto;
  emulator: EdgeHubEmulator;
}

/** Deals the faults: every family in each round, in an order the seed decides. */
export class SoakFaults {
  readonly counts = { inverter: 0, totals: 0, broker: 0, edgeHub: 0, bridge: 0 };
  readonly brokers: string[] = [BROKER_CONFIGS[0]!.name];
  private round: Family[] = [];

  constructor(
    private readonly parts: SoakParts,
    private readonly prng: Prng,
  ) {}

  /**
   * Injects the next fault. A false total only once `mayShowFalseTotal()` (see the soak), else that family waits
   * for the next turn and nothing is injected now (false).
   */
  async injectNext(mayShowFalseTotal: () => boolean): Promise<boolean> {
    if (this.round.length === 0) this.round = shuffled(FAMILIES, this.prng);
    const family = this.round.pop()!;
    if (FALSE_TOTALS.has(family) && !mayShowFalseTotal()) {
      this.round.unshift(family);
      return false;
    }
    await this.inject(family);
    return true;
  }

  private async inject(family: Family): Promise<void> {
    const { simulator, broker, emulator } = this.parts;
    const prng = this.prng;
    const total = simulator.shownTotalKwh;
    const falseTotal = (kwh: number, remaining: number) => {
      simulator.setFault({ kind: "total", kwh, remaining });
      this.counts.totals++;
    };
    switch (family) {
      case "inverter":
        simulator.setFault({ ...prng.pick(INVERTER_FAULTS), remaining: 1 + prng.int(4) });
        this.counts.inverter++;
        break;
      case "spike":
        falseTotal(prng.chance(0.5) ? 4294967295 : total + 1000, 1 + prng.int(3));
        break;
      case "dip":
        // A small dip is a glitch however long it lasts (issue 9): up to six polls here.
        falseTotal(total - 1 - prng.int(5), 1 + prng.int(6));
        break;
      case "drop":
        // Below half, for fewer readings in a row than a replaced device needs (3): never published.
        falseTotal(Math.floor(total / 3), 1 + prng.int(2));
        break;
      case "broker": {
        const config = prng.pick(BROKER_CONFIGS);
        await broker.restart(500 + prng.int(3000), config.limits);
        this.brokers.push(config.name);
        this.counts.broker++;
        break;
      }
      case "edgeHub":
        if (prng.chance(0.5)) await emulator.restart({ loseSessions: true });
        else await emulator.dropConnections();
        this.counts.edgeHub++;
        break;
    }
  }

  get total(): number {
    return Object.values(this.counts).reduce((sum, n) => sum + n, 0);
  }
}

/** Fisher-Yates: the same seed, the same order, on every Node. */
function shuffled<T>(items: readonly T[], prng: Prng): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = prng.int(i + 1);
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

export function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

export const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

/** The totals in the order of their readings never fall; the first one that does, else null. */
export function firstDip(readings: Array<{ ts: number; total: number | null }>): string | null {
  let last = -Infinity;
  for (const reading of [...readings].sort((a, b) => a.ts - b.ts)) {
    if (reading.total === null) continue;
    if (reading.total < last) return `total fell from ${last} to ${reading.total} at ${reading.ts}`;
    last = reading.total;
  }
  return null;
}
