/**
 * The fuzzer's seeded randomness. Every input is a pure function of (run seed, target, input index): its
 * generator is seeded from those three through a hash, so one failing input is replayed with
 * `--seed=S --target=T --index=I` whatever ran before it, and a time-bounded run is reproducible input by
 * input even though the number of inputs it reaches is not.
 */

/** splitmix32-style finaliser: a good 32-bit mix of one word. */
function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, 0x7feb352d) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, 0x846ca68b) >>> 0;
  return (x ^ (x >>> 16)) >>> 0;
}

function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** sfc32: small, fast, passes PractRand for far longer than any fuzz run draws. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, target: string, index: number) {
    this.a = mix32(seed ^ 0x9e3779b9);
    this.b = mix32(hashString(target));
    this.c = mix32(index ^ 0x85ebca6b);
    this.d = mix32(Math.floor(index / 0x100000000) + 1);
    for (let i = 0; i < 12; i++) this.next();
  }

  /** A uniform 32-bit unsigned integer. */
  next(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = ((this.c << 21) | (this.c >>> 11)) >>> 0;
    this.c = (this.c + t) >>> 0;
    return t;
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return n <= 1 ? 0 : Math.floor((this.next() / 0x100000000) * n);
  }

  /** An integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() / 0x100000000 < p;
  }

  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }

  /**
   * A size biased to small values: most draws are a few units, some are hundreds, a few reach `max`,
   * because parsers break on both the tiny and the huge.
   */
  size(max: number): number {
    const r = this.int(100);
    if (r < 70) return this.range(0, Math.min(8, max));
    if (r < 95) return this.range(0, Math.min(256, max));
    return this.range(0, max);
  }
}

/** A fresh run seed when none was given (printed by the runner, so any run can be repeated). */
export function randomSeed(): number {
  return Math.floor(Math.random() * 0x100000000) >>> 0;
}
