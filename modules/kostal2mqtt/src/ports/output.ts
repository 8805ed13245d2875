import type { Reading } from "../reading/reading.js";

/**
 * The port between the runtime and the ways out: what the bridge hands to every output, and what an output says
 * about itself. It sits below both (runtime and outputs import it; it imports only the reading), so that neither
 * has to import the other.
 */

/** The state of one inverter as consumers see it (events, `<base>/<id>/status`, reported properties). */
export type InverterState =
  "starting" | "producing" | "idle" | "asleep" | "unreachable" | "auth_error" | "format_error";

/** A state change worth telling consumers about: an inverter's health, an output's connection, applied config. */
export interface BridgeEvent {
  /** counter_reset: an inverter's lifetime total fell for good (a replaced or reset device). */
  type: "inverter_state" | "output_state" | "config_applied" | "config_rejected" | "counter_reset";
  /** The inverter or output concerned, if any. */
  subject?: string;
  from?: string;
  to?: string;
  /** ISO-8601 UTC. */
  at: string;
  message: string;
}

/**
 * An inverter's state as the bridge reports it: to the outputs (`<base>/<id>/status` picks its fields), to the
 * controllers (reported properties, `getStatus`) and to the health server. Times ISO-8601 UTC.
 */
export interface InverterStatusReport {
  inverter: string;
  state: InverterState;
  since: string;
  last_seen: string | null;
  message: string;
  /** Failed polls in a row. */
  failures: number;
  model?: string;
  name?: string;
}

export interface OutputHealth {
  state: "connected" | "connecting" | "disconnected" | "stopped";
  /** Messages waiting for the connection. */
  queued: number;
  /** Messages dropped because the queue was full or too old, since start. */
  dropped: number;
  delivered: number;
  message: string;
  /** Messages the destination refused for good (too large, not authorised...) and that were dropped, since start. */
  rejected?: number;
  /** The latest refusal: topic and reason. */
  lastRejection?: string;
  /** Calls of this output that threw, since start (added by the bridge, which contains them). */
  faults?: number;
  /** The latest of them: which call and why. */
  lastFault?: string;
  /** Some call of this output throws now (it has not worked again since its last fault). */
  failing?: boolean;
}

/**
 * One row or event of an inverter's history (its LogDaten.dat), backfilled after an outage
 * (runtime/historyBackfill.ts): MQTT `<base>/<id>/history`, edgeHub output `history`. Serialised once by the
 * runtime; an output only carries it.
 */
export interface HistoryMessage {
  inverter: string;
  /** The entry's true time, ISO-8601 UTC. */
  time: string;
  /** The device's counter at the entry: with the inverter, a stable id (a resend is recognisable). */
  deviceSeconds: number;
  /** One JSON line (`kind` row or event; piko/logdaten/historyJson.ts). */
  payload: string;
}

/**
 * One way out (edgeHub, an MQTT broker, standard output). Publishing should never throw and never block the
 * caller: an output queues what it cannot deliver now (bounded, oldest dropped and counted) and delivers it oldest
 * first when it can. Should one throw all the same, the bridge counts it as this output's fault and goes on.
 */
export interface Output {
  readonly name: string;
  start(): Promise<void>;
  /** Flushes what can be flushed before the deadline, says goodbye (offline), closes. */
  stop(deadlineMs: number): Promise<void>;
  publishReading(reading: Reading): void;
  publishInverterStatus(status: InverterStatusReport): void;
  publishEvent(event: BridgeEvent): void;
  /** Queues one history entry like a reading; an output without this method does not carry history. */
  publishHistory?(message: HistoryMessage): void;
  health(): OutputHealth;
}
