/**
 * A small seeded PRNG (sfc32) for tests that must reproduce: the same seed gives the same sequence on every
 * machine and Node version, unlike Math.random.
 */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** `seed` and `stream` together select the sequence; a fuzz case uses (run seed, case index). */
  constructor(seed: number, stream = 0) {
    this.a = 0x9e3779b9;
    this.b = seed >>> 0;
    this.c = stream >>> 0;
    this.d = 1;
    for (let i = 0; i < 15; i++) this.next();
  }

  /** A uniform 32-bit unsigned integer. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : Math.floor((this.next() / 0x100000000) * n);
  }

  /** An integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  chance(probability: number): boolean {
    return this.next() / 0x100000000 < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("pick from an empty list");
    return items[this.int(items.length)] as T;
  }
}

/** A fresh 32-bit seed for a run that was not given one. */
export function randomSeed(): number {
  return (Math.random() * 0x100000000) >>> 0;
}

/**
 * The seed of a random test: FUZZ_SEED (KOSTAL_FUZZ_SEED, its older name, still works) to replay a run, else a new
 * one. Printed either way, with the command that replays the run, so that a failure seen once can be had again.
 */
export function testSeed(what: string, testFile: string): number {
  const given = process.env.FUZZ_SEED ?? process.env.KOSTAL_FUZZ_SEED;
  let seed: number;
  if (given === undefined || given === "") {
    seed = randomSeed();
  } else {
    seed = Number(given);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
      throw new RangeError(`FUZZ_SEED must be a whole number from 0 to ${0xffffffff}, got '${given}'`);
  }
  console.log(`${what}: seed ${seed}; replay: FUZZ_SEED=${seed} node --test ${testFile}`);
  return seed;
}
