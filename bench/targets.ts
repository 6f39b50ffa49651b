/**
 * The performance targets from the "Performance" issue, checked against the measured rows.
 */
import { ratios, type Row, type TargetCheck } from './report.js';

function find(rows: readonly Row[], key: string): Row | undefined {
  return rows.find((r) => r.key === key);
}

function fmt(x: number): string {
  return x >= 10 ? x.toFixed(1) : x.toPrecision(2);
}

/** ours/ref of a row against a bound, for every value of the row (p50 and p99 alike). */
function ratioCheck(
  rows: readonly Row[],
  key: string,
  target: string,
  ok: (r: number) => boolean,
  names: string[],
): TargetCheck {
  const row = find(rows, key);
  const rs = row === undefined ? undefined : ratios(row);
  if (rs === undefined)
    return { target, measured: row === undefined ? 'not run' : 'no ratio (a side is missing)', met: undefined };
  const measured = rs.map((r, i) => `${names[i] ?? ''}${names[i] ? ' ' : ''}${fmt(r)}×`).join(', ');
  return { target, measured, met: rs.every(ok) };
}

/** (f): ours at the largest size against ours at 1k. */
function flatPushCheck(rows: readonly Row[]): TargetCheck {
  const target = '(f) checked push at 100k groups within 2× of at 1k (ours)';
  if (!rows.some((r) => r.id === 'f')) return { target, measured: 'not run', met: undefined };
  const small = find(rows, 'f.push.1000')?.ours.values;
  const big = find(rows, 'f.push.100000')?.ours.values;
  if (small === undefined || big === undefined || small.length !== 2 || big.length !== 2) {
    return { target, measured: 'not measured (needs the 1k and 100k sizes)', met: undefined };
  }
  const q = [big[0]! / small[0]!, big[1]! / small[1]!];
  return { target, measured: `p50 ${fmt(q[0]!)}×, p99 ${fmt(q[1]!)}× (100k vs 1k)`, met: q.every((x) => x <= 2) };
}

/** (w): issue 5 asks for a wipe of 10k groups under push load in well under a second (ours, absolute). */
function wipeCheck(rows: readonly Row[]): TargetCheck {
  const target = '(w) wipe of 10k groups while pushes continue: all gone in < 1 s (ours)';
  const row = find(rows, 'w.wipe.done');
  if (row === undefined) return { target, measured: 'not run', met: undefined };
  const ms = row.ours.values[0];
  if (ms === undefined) return { target, measured: row.ours.note ?? 'not measured', met: false };
  return { target, measured: `${fmt(ms)} ms`, met: ms < 1000 };
}

/** The checks for the scenarios that ran. */
export function checkTargets(rows: readonly Row[]): TargetCheck[] {
  const pq = ['p50', 'p99'];
  const all = [
    ratioCheck(
      rows,
      'e.req_per_s.10000',
      '(a) checked PUT of new groups ≥ 50× reference, at an equal store of 10k groups (row e)',
      (r) => r >= 50,
      [],
    ),
    ratioCheck(
      rows,
      'a.req_per_s',
      '(a) the same from an empty store, where the reference stays small (row a; informative)',
      (r) => r >= 50,
      [],
    ),
    flatPushCheck(rows),
    ratioCheck(rows, 'a2.req_per_s', '(a2) unchecked PUT to new groups ≥ 1.5× reference', (r) => r >= 1.5, []),
    ratioCheck(rows, 'b.req_per_s', '(b) POST to one hot group ≥ 5× reference', (r) => r >= 5, []),
    ratioCheck(
      rows,
      'c.after_write_plain.10000',
      '(c) scrape at 10k groups (after a re-push, plain) ≤ 0.2× reference',
      (r) => r <= 0.2,
      pq,
    ),
    ratioCheck(
      rows,
      'c.after_write_gzip.10000',
      '(c) scrape at 10k groups (after a re-push, gzip) ≤ 0.2× reference',
      (r) => r <= 0.2,
      pq,
    ),
    ratioCheck(
      rows,
      'c.repeated_plain.10000',
      '(c) repeated scrape at 10k groups (plain) ≤ 0.05× reference',
      (r) => r <= 0.05,
      pq,
    ),
    ratioCheck(
      rows,
      'c.repeated_gzip.10000',
      '(c) repeated scrape at 10k groups (gzip) ≤ 0.05× reference',
      (r) => r <= 0.05,
      pq,
    ),
    ratioCheck(rows, 'd.rss.loaded.10000', '(d) RSS after loading 10k groups ≤ 1.0× reference', (r) => r <= 1.0, []),
    wipeCheck(rows),
  ];
  return all.filter((c) => c.measured !== 'not run');
}
