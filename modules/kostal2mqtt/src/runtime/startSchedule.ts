/**
 * Inverters started together have their first polls spread over the interval, not all in the same tick, and at
 * most one every START_SPACING_MS. A first poll costs several times a later one: the process runs its poll code
 * cold (before V8 optimises it), and an inverter's first reading brings its state, its state change and its Home
 * Assistant discovery along (four messages where later polls send one), to a broker that takes 20 QoS 1 messages
 * in flight (mosquitto's default), so one batch per turn of the event loop. 2,000 inverters started within one
 * second held the loop for 1.3 s at a time, acknowledgements fell to 40 a second and the queue (10,000) overflowed;
 * at one every 2.5 ms the queue still reached 7,000 and, in the farm bench, dropped 892; at one every 5 ms it
 * stayed under 150 and the loop's longest stall was 50 ms (BENCHMARKS.md, the farm). Up to 200 inverters at 1 s
 * (400 at 2 s) the spread is the interval alone.
 */
export const START_SPACING_MS = 5;

export function firstPollDelayMs(index: number, count: number, pollIntervalMs: number): number {
  return Math.round(index * Math.max(pollIntervalMs / count, START_SPACING_MS));
}
