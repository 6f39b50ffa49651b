/**
 * The buckets of a native (sparse, exponential) histogram as Prometheus' model/histogram iterates them,
 * which the reference's /api/v1/metrics lists: negative buckets from the most negative, the zero bucket
 * when it has observations, then positive buckets; empty buckets skipped. Bucket i of schema s spans
 * (2^((i-1)/2^s), 2^(i/2^s)]; negative buckets mirror that as [-upper, -lower).
 */
import type { BucketSpan, Histogram } from './metric.js';

export interface NativeBucket {
  /** 0 = (lower, upper], 1 = [lower, upper), 2 = (lower, upper), 3 = [lower, upper] (the reference's codes). */
  boundaries: number;
  lower: number;
  upper: number;
  count: number;
}

/** True when the histogram is a float histogram in the reference's sense (NewModelHistogram). */
export function isFloatNative(h: Histogram): boolean {
  return (h.sampleCountFloat ?? 0) > 0 || (h.zeroCountFloat ?? 0) > 0;
}

/**
 * 2^(idx / 2^schema), the upper bound of bucket idx. Powers are computed from 2^(fraction) in [1, 2)
 * times an exact power of two, as Prometheus' getBound does; the last finite bucket's bound is the
 * largest float, as there.
 */
export function bucketBound(idx: number, schema: number): number {
  if (schema <= 0) {
    const exp = idx * 2 ** -schema;
    if (exp === 1024) return Number.MAX_VALUE;
    return 2 ** exp;
  }
  const per = 2 ** schema;
  const frac = ((idx % per) + per) % per;
  const exp = (idx - frac) / per + 1;
  const mant = exponentialBound(schema, frac);
  if (mant === 0.5 && exp === 1025) return Number.MAX_VALUE;
  return ldexp(mant, exp);
}

/** mant * 2^exp without overflowing the power itself (2^1024 is Infinity, 0.75 * 2^1024 is not). */
function ldexp(mant: number, exp: number): number {
  if (exp > 1000) return mant * 2 ** 100 * 2 ** (exp - 100);
  if (exp < -1000) return mant * 2 ** -100 * 2 ** (exp + 100);
  return mant * 2 ** exp;
}

const boundCache = new Map<number, number[]>();

/** 2^(frac / 2^schema) / 2, correctly rounded (checked exactly with big integers, see below). */
function exponentialBound(schema: number, frac: number): number {
  let table = boundCache.get(schema);
  if (table === undefined) boundCache.set(schema, (table = []));
  let v = table[frac];
  if (v === undefined) table[frac] = v = correctlyRounded(frac, 2 ** schema);
  return v;
}

/**
 * The double nearest to 2^(k/n) / 2 for 0 <= k < n. Math.pow may be off by one unit in the last place,
 * so the candidate is compared against the midpoints to its neighbours exactly: for a midpoint m,
 * m < 2^(k/n)/2 iff (2m)^n < 2^k, evaluated with BigInt on the mantissa.
 */
function correctlyRounded(k: number, n: number): number {
  if (k === 0) return 0.5;
  let c = 2 ** (k / n) / 2;
  // In [0.5, 1) doubles are j * 2^-53 for integer j in [2^52, 2^53).
  const ulp = 2 ** -53;
  // 2m = (2j+1) * 2^-53 for the midpoint between j and j+1 ulps: (2m)^n < 2^k  iff  (2j+1)^n < 2^(k + 53n).
  const midBelowTarget = (j: bigint): boolean => (2n * j + 1n) ** BigInt(n) < 1n << BigInt(k + 53 * n);
  for (let guard = 0; guard < 4; guard++) {
    const j = BigInt(Math.round(c / ulp));
    if (midBelowTarget(j)) {
      c += ulp;
      continue;
    } // target is above the upper midpoint
    if (!midBelowTarget(j - 1n)) {
      c -= ulp;
      continue;
    } // target is below the lower midpoint
    break;
  }
  return c;
}

function* bucketsOf(
  spans: BucketSpan[] | undefined,
  values: number[] | undefined,
  deltas: boolean,
): Generator<[number, number]> {
  if (spans === undefined || values === undefined) return;
  let idx = 0;
  let pos = 0;
  let running = 0;
  for (let s = 0; s < spans.length; s++) {
    const span = spans[s]!;
    idx += span.offset;
    for (let i = 0; i < span.length; i++) {
      if (pos >= values.length) return;
      const v = values[pos++]!;
      running = deltas ? running + v : v;
      yield [idx, running];
      idx++;
    }
  }
}

/** The buckets the reference's API lists, in its order. */
export function nativeBuckets(h: Histogram): NativeBucket[] {
  const float = isFloatNative(h);
  const schema = h.schema ?? 0;
  const out: NativeBucket[] = [];
  const neg: NativeBucket[] = [];
  for (const [idx, count] of bucketsOf(h.negativeSpans, float ? h.negativeCounts : h.negativeDeltas, !float)) {
    if (count === 0) continue;
    neg.push({ boundaries: 1, lower: -bucketBound(idx, schema), upper: -bucketBound(idx - 1, schema), count });
  }
  out.push(...neg.reverse());
  const zero = float ? (h.zeroCountFloat ?? 0) : (h.zeroCount ?? 0);
  if (zero !== 0) {
    const t = h.zeroThreshold ?? 0;
    out.push({ boundaries: 3, lower: -t, upper: t, count: zero });
  }
  for (const [idx, count] of bucketsOf(h.positiveSpans, float ? h.positiveCounts : h.positiveDeltas, !float)) {
    if (count === 0) continue;
    out.push({ boundaries: 0, lower: bucketBound(idx - 1, schema), upper: bucketBound(idx, schema), count });
  }
  return out;
}
