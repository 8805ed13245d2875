import type { InverterState, OutputHealth } from "../ports/output.js";
import type { BridgeControl, BridgeObserver, PollOutcome } from "../runtime/bridgeControl.js";
import { exposition, Histogram, type MetricFamily, type Sample } from "./promText.js";

/** What the metrics read at each scrape: the bridge's inverters and outputs. */
export type MetricsSource = Pick<BridgeControl, "inverterStatuses" | "outputHealth">;

/** The process's memory in bytes: `process.memoryUsage()` in the product, a fixed value in tests. */
export type MemoryProbe = () => { rss: number; heapUsed: number };

/**
 * Poll durations in seconds: a PIKO answers in 0.1 to 2 s on a good day (piko.md); KOSTAL_TIMEOUT allows up to 60.
 */
export const POLL_SECONDS_BOUNDS: readonly number[] = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

// Records, so that the compiler insists on every state: a state set lists each state of each series, 0 or 1.
const INVERTER_STATES = Object.keys({
  starting: 0,
  producing: 0,
  idle: 0,
  asleep: 0,
  unreachable: 0,
  auth_error: 0,
  format_error: 0,
} satisfies Record<InverterState, 0>);
const OUTPUT_STATES = Object.keys({
  connected: 0,
  connecting: 0,
  disconnected: 0,
  stopped: 0,
} satisfies Record<OutputHealth["state"], 0>);

/**
 * `/metrics`: poll counts and durations are counted here as the bridge reports each poll (an observer); everything
 * else is read from the bridge at scrape time. Names carry the `kostal2mqtt_` prefix.
 */
export class BridgeMetrics implements BridgeObserver {
  /** Per inverter, per outcome. */
  private readonly polls = new Map<string, Map<PollOutcome["outcome"], number>>();
  private readonly durations = new Map<string, Histogram>();

  pollFinished(poll: PollOutcome): void {
    const outcomes = this.polls.get(poll.inverter) ?? new Map<PollOutcome["outcome"], number>();
    this.polls.set(poll.inverter, outcomes);
    outcomes.set(poll.outcome, (outcomes.get(poll.outcome) ?? 0) + 1);
    const histogram = this.durations.get(poll.inverter) ?? new Histogram(POLL_SECONDS_BOUNDS);
    this.durations.set(poll.inverter, histogram);
    histogram.observe(poll.durationMs / 1000);
  }

  /** The exposition at `now` (epoch ms). */
  render(source: MetricsSource, now: number, memory: MemoryProbe): string {
    const inverters = source.inverterStatuses();
    const outputs = Object.entries(source.outputHealth());
    const perOutput = (value: (health: OutputHealth) => number): Sample[] =>
      outputs.map(([output, health]) => ({ labels: { output }, value: value(health) }));
    const { rss, heapUsed } = memory();
    const families: MetricFamily[] = [
      {
        type: "counter",
        name: "kostal2mqtt_polls_total",
        help: "Polls of an inverter since start, by outcome (ok, unreachable, auth, format, error).",
        samples: [...this.polls].flatMap(([inverter, outcomes]) =>
          [...outcomes].map(([outcome, value]) => ({ labels: { inverter, outcome }, value })),
        ),
      },
      {
        type: "histogram",
        name: "kostal2mqtt_poll_duration_seconds",
        help: "How long an inverter took to answer a poll (or to fail).",
        bounds: POLL_SECONDS_BOUNDS,
        samples: [...this.durations].map(([inverter, histogram]) => histogram.sample({ inverter })),
      },
      {
        type: "gauge",
        name: "kostal2mqtt_last_reading_age_seconds",
        help: "Seconds since the inverter's last reading (inverters read at least once).",
        samples: inverters.flatMap(({ inverter, last_seen }) =>
          last_seen === null ? [] : [{ labels: { inverter }, value: (now - Date.parse(last_seen)) / 1000 }],
        ),
      },
      {
        type: "gauge",
        name: "kostal2mqtt_inverter_state",
        help: "The inverter's state: 1 for the current one, 0 for the others.",
        samples: inverters.flatMap(({ inverter, state }) =>
          INVERTER_STATES.map((each) => ({
            labels: { inverter, state: each },
            value: each === state ? 1 : 0,
          })),
        ),
      },
      {
        type: "gauge",
        name: "kostal2mqtt_output_state",
        help: "The output's connection: 1 for the current state, 0 for the others.",
        samples: outputs.flatMap(([output, health]) =>
          OUTPUT_STATES.map((each) => ({
            labels: { output, state: each },
            value: each === health.state ? 1 : 0,
          })),
        ),
      },
      {
        type: "gauge",
        name: "kostal2mqtt_output_queue_depth",
        help: "Messages waiting for the output's connection.",
        samples: perOutput((health) => health.queued),
      },
      {
        type: "counter",
        name: "kostal2mqtt_output_delivered_total",
        help: "Messages the output delivered since start.",
        samples: perOutput((health) => health.delivered),
      },
      {
        type: "counter",
        name: "kostal2mqtt_output_dropped_total",
        help: "Messages dropped since start because the output's queue was full or they were too old.",
        samples: perOutput((health) => health.dropped),
      },
      {
        type: "counter",
        name: "kostal2mqtt_output_rejected_total",
        help: "Messages the destination refused for good (too large, not authorised) since start.",
        samples: perOutput((health) => health.rejected ?? 0),
      },
      {
        type: "counter",
        name: "kostal2mqtt_output_faults_total",
        help: "Calls of the output that threw since start (each contained by the bridge; see /readyz).",
        samples: perOutput((health) => health.faults ?? 0),
      },
      {
        type: "gauge",
        name: "kostal2mqtt_process_resident_memory_bytes",
        help: "Resident memory of the process (RSS).",
        samples: [{ labels: {}, value: rss }],
      },
      {
        type: "gauge",
        name: "kostal2mqtt_process_heap_used_bytes",
        help: "JavaScript heap in use.",
        samples: [{ labels: {}, value: heapUsed }],
      },
    ];
    return exposition(families);
  }
}
