/**
 * One series of a family as a table row for the UI: its labels as badges and its value in a readable
 * form for every type, as the reference's page shows them (a number for counters, gauges and untyped; a
 * sub-table of quantiles, count and sum for summaries; cumulative buckets, count and sum for classic
 * histograms; the buckets and Prometheus' string form for native ones). Every text is HTML-escaped.
 */
import type { Histogram, LabelPair, Metric, MetricFamily } from '../../model/metric.js';
import { nativeBuckets, type NativeBucket } from '../../model/native-histogram.js';
import { formatGoFloat } from '../../format/float.js';
import { htmlEscape } from '../respond.js';

const LEGACY_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A label name as the reference shows it: quoted when not a legacy (pre-UTF-8) name. */
export function labelNameText(name: string): string {
  return LEGACY_NAME.test(name) ? name : JSON.stringify(name);
}

/** One label as a badge; `kind` picks the colour (job, instance, other). */
export function labelBadge(name: string, value: string): string {
  const kind = name === 'job' ? 'job' : name === 'instance' ? 'instance' : 'other';
  return `<span class="label ${kind}">${htmlEscape(labelNameText(name))}="${htmlEscape(value)}"</span>`;
}

function labelCell(labels: readonly LabelPair[]): string {
  return labels.map((l) => labelBadge(l.name, l.value)).join(' ');
}

/** A count as exactly as stored: the exact integer above 2^53, a float count when set. */
function countText(n: number, exact?: bigint, float?: number): string {
  if (float !== undefined && float > 0) return formatGoFloat(float);
  if (exact !== undefined) return exact.toString();
  return formatGoFloat(n);
}

function row(name: string, value: string): string {
  return `<tr><th scope="row">${name}</th><td>${value}</td></tr>`;
}

function subTable(rows: string[]): string {
  return `<table class="values">${rows.join('')}</table>`;
}

function summaryValue(m: Metric): string {
  const s = m.summary!;
  const rows = s.quantiles.map((q) => row(`Quantile ${htmlEscape(formatGoFloat(q.quantile))}`, formatGoFloat(q.value)));
  rows.push(row('Sample count', countText(s.sampleCount, s.sampleCountExact)));
  rows.push(row('Sample sum', htmlEscape(formatGoFloat(s.sampleSum))));
  return subTable(rows);
}

/** A native bucket as Prometheus writes it: `(lower,upper]` with the bracket its boundaries code says. */
function bucketText(b: NativeBucket): string {
  const open = b.boundaries === 1 || b.boundaries === 3 ? '[' : '(';
  const close = b.boundaries === 0 || b.boundaries === 3 ? ']' : ')';
  return `${open}${formatGoFloat(b.lower)},${formatGoFloat(b.upper)}${close}`;
}

/** Prometheus' model/histogram String() form: `{count:N, sum:S, [bucket]:count, …}`. */
export function nativeHistogramString(h: Histogram): string {
  const count = countText(h.sampleCount, h.sampleCountExact, h.sampleCountFloat);
  const parts = [`count:${count}`, `sum:${formatGoFloat(h.sampleSum)}`];
  for (const b of nativeBuckets(h)) parts.push(`${bucketText(b)}:${formatGoFloat(b.count)}`);
  return `{${parts.join(', ')}}`;
}

function histogramValue(h: Histogram): string {
  const rows: string[] = [];
  for (const b of h.buckets) {
    const count = countText(b.cumulativeCount, b.cumulativeCountExact, b.cumulativeCountFloat);
    rows.push(row(`Sample values &le; ${htmlEscape(formatGoFloat(b.upperBound))}`, count));
  }
  if (h.schema !== undefined) {
    for (const b of nativeBuckets(h)) {
      rows.push(row(`Native bucket ${htmlEscape(bucketText(b))}`, htmlEscape(formatGoFloat(b.count))));
    }
    rows.push(row('Native histogram representation', `<code>${htmlEscape(nativeHistogramString(h))}</code>`));
  }
  rows.push(row('Total count', countText(h.sampleCount, h.sampleCountExact, h.sampleCountFloat)));
  rows.push(row('Sum', htmlEscape(formatGoFloat(h.sampleSum))));
  return subTable(rows);
}

/** The value cell of one series. */
export function seriesValue(family: MetricFamily, m: Metric): string {
  if (m.summary !== undefined && family.type === 'SUMMARY') return summaryValue(m);
  if (m.histogram !== undefined && (family.type === 'HISTOGRAM' || family.type === 'GAUGE_HISTOGRAM')) {
    return histogramValue(m.histogram);
  }
  return `<span class="value">${htmlEscape(formatGoFloat(m.value ?? 0))}</span>`;
}

/** The table row of one series: labels, then value. */
export function seriesRow(family: MetricFamily, m: Metric): string {
  return `<tr><td>${labelCell(m.labels)}</td><td>${seriesValue(family, m)}</td></tr>`;
}
