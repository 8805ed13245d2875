import type { Reading } from "../reading/reading.js";
import type { InverterState } from "../runtime/inverterHealth.js";

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

/** An inverter's health as published (`<base>/<id>/status`, reported properties). Times ISO-8601 UTC. */
export interface InverterStatusReport {
  inverter: string;
  state: InverterState;
  since: string;
  last_seen: string | null;
  message: string;
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
}

/**
 * One way out (edgeHub, an MQTT broker). Publishing never throws and never blocks the caller: an output queues
 * what it cannot deliver now (bounded, oldest dropped and counted) and delivers it oldest first when it can.
 */
export interface Output {
  readonly name: string;
  start(): Promise<void>;
  /** Flushes what can be flushed before the deadline, says goodbye (offline), closes. */
  stop(deadlineMs: number): Promise<void>;
  publishReading(reading: Reading): void;
  publishInverterStatus(status: InverterStatusReport): void;
  publishEvent(event: BridgeEvent): void;
  health(): OutputHealth;
}
