/**
 * Small numeric helpers for the benchmark: nearest-rank percentiles, bounded sampling loops, and
 * human formatting of the values the table shows.
 */

/** Nearest-rank percentile (q in 0..1) of unsorted samples; NaN for none. */
export function percentile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1]!;
}

export interface SampleBudget {
  /** Stop after this many samples. */
  max: number;
  /** Keep going until this many, even past the time cap (unless the hard cap is hit). */
  min: number;
  /** Stop starting new samples after this long, once `min` are in. */
  capMs: number;
}

/** Calls `once` repeatedly within the budget; returns what each call returned. */
export async function sampleLoop(budget: SampleBudget, once: (i: number) => Promise<number>): Promise<number[]> {
  const out: number[] = [];
  const started = performance.now();
  const hardCap = budget.capMs * 4;
  while (out.length < budget.max) {
    const elapsed = performance.now() - started;
    if (elapsed >= budget.capMs && out.length >= budget.min) break;
    if (elapsed >= hardCap) break;
    out.push(await once(out.length));
  }
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Three significant digits for small values, thousands separators for large ones. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 1000) return Math.round(v).toLocaleString('en-US');
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toPrecision(2);
}

export function mb(bytes: number): number {
  return bytes / (1024 * 1024);
}
