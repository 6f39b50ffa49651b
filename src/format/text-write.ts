/**
 * Text exposition format 0.0.4 writer, byte-compatible with prometheus/common expfmt's text encoder:
 * HELP/TYPE header, one line per sample, summaries as quantile lines + _sum + _count, histograms as
 * _bucket lines (with a synthetic +Inf bucket) + _sum + _count. Rendering is split into a per-family
 * header and per-series text: at push time the store renders only each series' label text (its key,
 * renderLabelInner); the series lines are rendered at scrape time, a chunk at a time, and cached
 * (store/family-index.ts, docs/design.md).
 */
import type { LabelPair, Metric, MetricFamily, MetricType } from '../model/metric.js';
import { textTypeName } from '../model/metric.js';
import { formatFloat } from './float.js';
import { escapeName, isValidLegacyMetricName, type EscapingScheme } from '../model/names.js';

/**
 * Flattens a string built by concatenation. V8 keeps `a + b` as a rope of 32-byte nodes; reading a
 * character flattens it in place and the collector then drops the nodes. Measured: 300k series lines
 * held as ropes took 78 MB, flattened 32 MB, and flattening made building them faster, not slower.
 */
export function flat(s: string): string {
  s.charCodeAt(0);
  return s;
}

/** Label values escape `\`, `"` and newline. */
export function escapeLabelValue(v: string): string {
  if (!/[\\"\n]/.test(v)) return v;
  return v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}

/** HELP text escapes `\` and newline. */
export function escapeHelp(h: string): string {
  if (!/[\\\n]/.test(h)) return h;
  return h.replace(/[\\\n]/g, (c) => (c === '\n' ? '\\n' : '\\\\'));
}

/** `a="1",b="2"` without braces; '' when there are no labels. */
export function renderLabelInner(labels: LabelPair[]): string {
  let s = '';
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (i > 0) s += ',';
    s += `${l.name}="${escapeLabelValue(l.value)}"`;
  }
  return s;
}

export function renderHeader(name: string, help: string | undefined, type: MetricType): string {
  const typeLine = `# TYPE ${name} ${textTypeName(type)}\n`;
  return help === undefined ? typeLine : `# HELP ${name} ${escapeHelp(help)}\n${typeLine}`;
}

function sample(name: string, inner: string, extra: string, value: number): string {
  let labels = inner;
  if (extra !== '') labels = labels === '' ? extra : `${labels},${extra}`;
  const series = labels === '' ? name : `${name}{${labels}}`;
  return `${series} ${formatFloat(value)}\n`;
}

/**
 * All sample lines of one metric. `inner` is the pre-rendered label text (renderLabelInner) so callers
 * that already have it do not render it twice.
 */
export function renderSeries(name: string, type: MetricType, m: Metric, inner = renderLabelInner(m.labels)): string {
  if (m.summary !== undefined && type === 'SUMMARY') {
    const s = m.summary;
    let out = '';
    for (const q of s.quantiles) out += sample(name, inner, `quantile="${formatFloat(q.quantile)}"`, q.value);
    return out + sample(`${name}_sum`, inner, '', s.sampleSum) + sample(`${name}_count`, inner, '', s.sampleCount);
  }
  if (m.histogram !== undefined && (type === 'HISTOGRAM' || type === 'GAUGE_HISTOGRAM')) {
    const h = m.histogram;
    const count = h.sampleCountFloat !== undefined && h.sampleCountFloat > 0 ? h.sampleCountFloat : h.sampleCount;
    let out = '';
    let sawInf = false;
    for (const b of h.buckets) {
      const float = b.cumulativeCountFloat;
      const c = float !== undefined && float > 0 ? float : b.cumulativeCount;
      out += sample(`${name}_bucket`, inner, `le="${formatFloat(b.upperBound)}"`, c);
      if (b.upperBound === Infinity) sawInf = true;
    }
    if (!sawInf) out += sample(`${name}_bucket`, inner, 'le="+Inf"', count);
    return out + sample(`${name}_sum`, inner, '', h.sampleSum) + sample(`${name}_count`, inner, '', count);
  }
  return sample(name, inner, '', m.value ?? 0);
}

/** A whole family as text (used for own metrics and tests; the store renders incrementally). */
export function renderFamily(f: MetricFamily): string {
  if (f.metrics.length === 0) return '';
  let out = renderHeader(f.name, f.help, f.type);
  for (const m of f.metrics) out += renderSeries(f.name, f.type, m);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Names that are not legacy names (only with --push.enable-utf8-names)

/** A family with its metric and label names escaped by `scheme` (common's EscapeMetricFamily). */
export function escapeFamily(f: MetricFamily, scheme: EscapingScheme): MetricFamily {
  if (scheme === 'allow-utf-8') return f;
  const name = escapeName(f.name, scheme);
  let metrics = f.metrics;
  if (f.metrics.some((m) => m.labels.some((l) => !isValidLegacyMetricName(l.name)))) {
    metrics = f.metrics.map((m) => ({
      ...m,
      labels: m.labels.map((l) => ({ name: escapeName(l.name, scheme), value: l.value })),
    }));
  }
  return name === f.name && metrics === f.metrics ? f : { ...f, name, metrics };
}

/** common's writeName: a legacy name as is, any other quoted with `\`, `"` and newline escaped. */
function writeName(name: string): string {
  return isValidLegacyMetricName(name) ? name : `"${escapeLabelValue(name)}"`;
}

function quotedSample(name: string, labels: LabelPair[], extra: string, value: number): string {
  const inBraces = !isValidLegacyMetricName(name);
  const parts: string[] = inBraces ? [writeName(name)] : [];
  for (const l of labels) parts.push(`${writeName(l.name)}="${escapeLabelValue(l.value)}"`);
  if (extra !== '') parts.push(extra);
  const head = inBraces ? '' : name;
  const series = parts.length === 0 ? head : `${head}{${parts.join(',')}}`;
  return `${series} ${formatFloat(value)}\n`;
}

/**
 * A whole family as text where names may be any UTF-8 (the `allow-utf-8` escaping scheme): a name that
 * is not a legacy name is quoted, and a metric name that needs quoting moves inside the braces, as the
 * 1.11 text encoder writes it. For legacy names the output equals renderFamily's.
 */
export function renderFamilyQuoted(f: MetricFamily): string {
  if (f.metrics.length === 0) return '';
  let out = renderHeaderQuoted(f);
  for (const m of f.metrics) out += renderSeriesQuoted(f, m);
  return out;
}

/** The HELP and TYPE lines of renderFamilyQuoted (a family with metrics). */
export function renderHeaderQuoted(f: MetricFamily): string {
  const n = f.name;
  return (
    (f.help === undefined ? '' : `# HELP ${writeName(n)} ${escapeHelp(f.help)}\n`) +
    `# TYPE ${writeName(n)} ${textTypeName(f.type)}\n`
  );
}

/** The lines of one metric of `f` in renderFamilyQuoted. */
export function renderSeriesQuoted(f: MetricFamily, m: Metric): string {
  const n = f.name;
  let out = '';
  if (m.summary !== undefined && f.type === 'SUMMARY') {
    const s = m.summary;
    for (const q of s.quantiles) out += quotedSample(n, m.labels, `quantile="${formatFloat(q.quantile)}"`, q.value);
    out += quotedSample(`${n}_sum`, m.labels, '', s.sampleSum);
    out += quotedSample(`${n}_count`, m.labels, '', s.sampleCount);
  } else if (m.histogram !== undefined && (f.type === 'HISTOGRAM' || f.type === 'GAUGE_HISTOGRAM')) {
    const h = m.histogram;
    const count = h.sampleCountFloat !== undefined && h.sampleCountFloat > 0 ? h.sampleCountFloat : h.sampleCount;
    let sawInf = false;
    for (const b of h.buckets) {
      const float = b.cumulativeCountFloat;
      const c = float !== undefined && float > 0 ? float : b.cumulativeCount;
      out += quotedSample(`${n}_bucket`, m.labels, `le="${formatFloat(b.upperBound)}"`, c);
      if (b.upperBound === Infinity) sawInf = true;
    }
    if (!sawInf) out += quotedSample(`${n}_bucket`, m.labels, 'le="+Inf"', count);
    out += quotedSample(`${n}_sum`, m.labels, '', h.sampleSum) + quotedSample(`${n}_count`, m.labels, '', count);
  } else {
    out += quotedSample(n, m.labels, '', m.value ?? 0);
  }
  return out;
}
