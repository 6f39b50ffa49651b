/**
 * The results model and its one printed table: scenario | ours | reference | ratio, the ratio being
 * ours/reference and marked better or worse for the row's direction (req/s: higher is better; ms and
 * MiB: lower is better). A cell holds one value or a p50 / p99 pair; a missing value carries a note.
 */
import { formatNumber } from './stats.js';

export type Direction = 'higher' | 'lower';

export interface Cell {
  /** One value, or [p50, p99] for latency rows. Empty when not measured. */
  values: number[];
  /** Why there is no value ("n/a (load took > 120 s)"), or a remark (sample count, errors). */
  note?: string;
}

export interface Row {
  /** Scenario letter from the issue: a, a2, b, c, d, f, g (and cal for the load-generator ceiling). */
  id: string;
  /** Stable key for the JSON output, e.g. "c.scrape.10000.plain". */
  key: string;
  label: string;
  unit: string;
  better: Direction;
  ours: Cell;
  reference: Cell;
}

export function cell(values: number[], note?: string): Cell {
  return note === undefined ? { values } : { values, note };
}

export function missing(note: string): Cell {
  return { values: [], note };
}

function showCell(c: Cell): string {
  const v = c.values.map(formatNumber).join(' / ');
  if (v === '') return c.note ?? 'n/a';
  return c.note === undefined ? v : `${v} ${c.note}`;
}

/** ours/reference per value, or undefined when either side is missing. */
export function ratios(row: Row): number[] | undefined {
  const o = row.ours.values;
  const r = row.reference.values;
  if (o.length === 0 || o.length !== r.length) return undefined;
  return o.map((v, i) => v / r[i]!);
}

function showRatio(row: Row): string {
  const rs = ratios(row);
  if (rs === undefined) return '–';
  const verdict = (x: number): string => {
    if (Math.abs(x - 1) < 0.005) return 'same';
    return (row.better === 'higher') === x > 1 ? 'better' : 'worse';
  };
  const vs = rs.map(verdict);
  const fmt = (x: number): string =>
    x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x >= 0.01 ? x.toFixed(2) : x.toPrecision(2);
  const words = vs.every((v) => v === vs[0]) ? vs[0]! : vs.join(' / ');
  return `${rs.map(fmt).join(' / ')}× ${words}`;
}

/** A plain-text table, padded so it reads in a terminal and pastes into Markdown. */
export function renderTable(rows: readonly Row[]): string {
  const header = ['scenario', 'ours', 'reference', 'ratio (ours/ref)'];
  const body = rows.map((r) => [`${r.label} (${r.unit})`, showCell(r.ours), showCell(r.reference), showRatio(r)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cols: string[]): string => `| ${cols.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const sep = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(header), sep, ...body.map(line)].join('\n');
}

export interface TargetCheck {
  target: string;
  measured: string;
  met: boolean | undefined;
}

export function renderTargets(checks: readonly TargetCheck[]): string {
  return checks
    .map((c) => {
      const mark = c.met === undefined ? 'not measured' : c.met ? 'MET' : 'MISSED';
      return `- ${c.target}: ${c.measured} → ${mark}`;
    })
    .join('\n');
}
