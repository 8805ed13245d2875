/**
 * Inverters started together have their first polls spread over the interval, not all in the same tick, and at
 * most one every START_SPACING_MS: a process that has just started runs its poll code cold (before V8 optimises
 * it) at several times its later cost. 2,000 inverters starting within one second held the event loop for 1.3 s
 * at a time, the broker's acknowledgements fell to 40 a second (it allows 20 in flight, one batch per turn of the
 * loop) and the queue overflowed; at one first poll every 2.5 ms their start took 5 s and nothing was lost
 * (BENCHMARKS.md, the farm). Up to 400 inverters at 1 s (800 at 2 s) it is the interval alone.
 */
export const START_SPACING_MS = 2.5;

export function firstPollDelayMs(index: number, count: number, pollIntervalMs: number): number {
  return Math.round(index * Math.max(pollIntervalMs / count, START_SPACING_MS));
}
