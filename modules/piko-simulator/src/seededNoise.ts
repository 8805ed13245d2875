/**
 * Deterministic randomness: the same seed gives the same day, cloud and fault pattern on every run, so a test or a
 * benchmark can be repeated exactly. No state is kept, except in the explicit generator of `seededRandom`.
 */

/** A 32-bit integer hash of a seed and up to two integer coordinates, in [0, 1). */
export function hash01(seed: number, a: number, b = 0): number {
  let h = Math.imul((seed | 0) ^ 0x9e3779b9, 0x85ebca6b);
  h ^= Math.imul(a | 0, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 13), 0x27d4eb2f);
  h ^= Math.imul(b | 0, 0x165667b1);
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/**
 * Smooth value noise in [0, 1]: a random value at every integer `x` (per seed and channel), joined by a
 * smoothstep, so it has no jumps and no kinks at the knots. Channels keep independent quantities uncorrelated.
 */
export function smoothNoise(seed: number, channel: number, x: number): number {
  const knot = Math.floor(x);
  const f = x - knot;
  const a = hash01(seed, channel * 7919 + knot, channel);
  const b = hash01(seed, channel * 7919 + knot + 1, channel);
  return a + (b - a) * f * f * (3 - 2 * f);
}

/** A small seeded pseudo-random generator (mulberry32), [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
