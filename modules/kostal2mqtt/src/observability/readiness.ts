import type { InverterStatusReport, OutputHealth } from "../ports/output.js";

/** What readiness is judged from: the bridge's view of its inverters and outputs, at a given time. */
export interface ReadinessInput {
  inverters: InverterStatusReport[];
  outputs: Record<string, OutputHealth>;
  pollIntervalMs: number;
  now: number;
}

export interface Readiness {
  ready: boolean;
  /** One line per reason it is not ready (empty when ready). */
  problems: string[];
  inverters: Record<string, string>;
  outputs: Record<string, string>;
}

/** A reading older than this many poll intervals (and at least STALE_FLOOR_MS) no longer counts as recent. */
const STALE_INTERVALS = 3;
const STALE_FLOOR_MS = 60_000;

/**
 * Ready means the job is being done: every output connected, and every enabled inverter either read recently or
 * asleep (a PIKO at night is not a fault). No inverter at all is not ready: the module waits for configuration.
 * Pure, so that each rule is tested without a server.
 */
export function readiness(input: ReadinessInput): Readiness {
  const problems: string[] = [];
  const staleAfterMs = Math.max(STALE_INTERVALS * input.pollIntervalMs, STALE_FLOOR_MS);
  if (input.inverters.length === 0) problems.push("no inverter configured");
  for (const inverter of input.inverters) {
    if (inverter.state === "asleep") continue;
    const lastSeen = inverter.last_seen === null ? null : Date.parse(inverter.last_seen);
    if (lastSeen === null) {
      problems.push(`inverter ${inverter.inverter}: no reading yet (${inverter.state})`);
    } else if (input.now - lastSeen > staleAfterMs) {
      problems.push(
        `inverter ${inverter.inverter}: last reading ${Math.round((input.now - lastSeen) / 1000)} s ago (${inverter.state})`,
      );
    }
  }
  for (const [name, health] of Object.entries(input.outputs)) {
    if (health.state !== "connected") problems.push(`output ${name}: ${health.state} (${health.message})`);
    else if (health.failing === true)
      problems.push(`output ${name}: failing (${health.lastFault ?? "fault"})`);
  }
  return {
    ready: problems.length === 0,
    problems,
    inverters: Object.fromEntries(input.inverters.map((i) => [i.inverter, i.state])),
    outputs: Object.fromEntries(Object.entries(input.outputs).map(([name, h]) => [name, h.state])),
  };
}
