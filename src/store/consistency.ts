/**
 * The reference's push-time consistency check (client_golang Gatherers.Gather + checkMetricConsistency +
 * checkSuffixCollisions), done incrementally: a push is checked against per-family indexes of the rest of
 * the store instead of re-gathering everything, so its cost does not grow with the store.
 * The error texts follow client_golang's; the `{ … }` part is protobuf text as 1.11 renders it.
 */
import type { Metric, MetricType } from '../model/metric.js';
import { isValidLegacyLabelName } from '../model/names.js';
import { formatGoFloat } from '../format/float.js';
import { goQuote } from '../model/go-quote.js';
import { hasInvalidUtf8 } from '../model/raw-bytes.js';

/** What the check needs to know about a family name that exists outside the group being pushed. */
export interface ExistingFamilies {
  /** Type of the family as held outside the pushed group (own metrics included), if any. */
  typeOutside(name: string): MetricType | undefined;
}

const TYPE_FIELD: Record<MetricType, string> = {
  COUNTER: 'counter',
  GAUGE: 'gauge',
  UNTYPED: 'untyped',
  SUMMARY: 'summary',
  HISTOGRAM: 'histogram',
  GAUGE_HISTOGRAM: 'histogram',
};

function q(s: string): string {
  return JSON.stringify(s);
}

/** Compact protobuf text of a metric, e.g. `label:{name:"job" value:"x"} gauge:{value:1}`. */
export function metricProtoText(m: Metric, type: MetricType): string {
  const parts = m.labels.map((l) => `label:{name:${q(l.name)} value:${q(l.value)}}`);
  if (m.summary !== undefined) {
    const s = m.summary;
    const qs = s.quantiles
      .map((x) => ` quantile:{quantile:${formatGoFloat(x.quantile)} value:${formatGoFloat(x.value)}}`)
      .join('');
    parts.push(
      `summary:{sample_count:${s.sampleCountExact ?? s.sampleCount} sample_sum:${formatGoFloat(s.sampleSum)}${qs}}`,
    );
  } else if (m.histogram !== undefined) {
    const h = m.histogram;
    const bs = h.buckets
      .map(
        (b) =>
          ` bucket:{cumulative_count:${b.cumulativeCountExact ?? b.cumulativeCount} ` +
          `upper_bound:${formatGoFloat(b.upperBound)}}`,
      )
      .join('');
    parts.push(
      `histogram:{sample_count:${h.sampleCountExact ?? h.sampleCount} sample_sum:${formatGoFloat(h.sampleSum)}${bs}}`,
    );
  } else {
    const composite = type === 'SUMMARY' || type === 'HISTOGRAM' || type === 'GAUGE_HISTOGRAM';
    const field = composite ? 'untyped' : TYPE_FIELD[type];
    parts.push(`${field}:{value:${formatGoFloat(m.value ?? 0)}}`);
  }
  return parts.join(' ');
}

/** Does the metric carry the payload its family's type requires? (checkMetricConsistency) */
export function payloadMatches(m: Metric, type: MetricType): boolean {
  switch (type) {
    case 'SUMMARY':
      return m.summary !== undefined;
    case 'HISTOGRAM':
    case 'GAUGE_HISTOGRAM':
      return m.histogram !== undefined;
    default:
      return m.summary === undefined && m.histogram === undefined && m.value !== undefined;
  }
}

/**
 * Per-metric checks that do not depend on the rest of the store. The labels must be sorted by name (the
 * store sanitises every metric that way), so a repeated name is always next to its first occurrence.
 */
export function checkMetricLabels(name: string, m: Metric, type: MetricType, utf8Names: boolean): string | undefined {
  const labels = m.labels;
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    const valid = utf8Names ? l.name.length > 0 : isValidLegacyLabelName(l.name);
    if (!valid || l.name.startsWith('__')) {
      return `collected metric ${q(name)} { ${metricProtoText(m, type)}} has a label with an invalid name: ${l.name}`;
    }
    if (i > 0 && labels[i - 1]!.name === l.name) {
      return (
        `collected metric ${q(name)} { ${metricProtoText(m, type)}} has two or more labels with the same ` +
        `name: ${l.name}`
      );
    }
    if (type === 'SUMMARY' && l.name === 'quantile') {
      return `collected metric ${q(name)} { ${metricProtoText(m, type)}} must not have an explicit "quantile" label`;
    }
    if ((type === 'HISTOGRAM' || type === 'GAUGE_HISTOGRAM') && l.name === 'le') {
      return `collected metric ${q(name)} { ${metricProtoText(m, type)}} must not have an explicit "le" label`;
    }
  }
  return undefined;
}

/**
 * checkMetricConsistency's `whose value is not utf8` problem for the first label value holding invalid
 * UTF-8 bytes (kept as lone surrogates, model/raw-bytes.ts). Only a grouping key from the URL can carry
 * them, so the store asks only for pushes with such a key.
 */
export function invalidUtf8LabelValue(name: string, m: Metric, type: MetricType): string | undefined {
  for (const l of m.labels) {
    if (hasInvalidUtf8(l.value)) {
      return (
        `collected metric ${q(name)} { ${metricProtoText(m, type)}} has a label named ${q(l.name)} whose ` +
        `value is not utf8: ${goQuote(l.value)}`
      );
    }
  }
  return undefined;
}

export function typeClash(name: string, m: Metric, pushedType: MetricType, existingType: MetricType): string {
  return `collected metric ${q(name)} { ${metricProtoText(m, pushedType)}} is not a ${existingType}`;
}

export function duplicateSeries(name: string, m: Metric, type: MetricType): string {
  return (
    `collected metric ${q(name)} { ${metricProtoText(m, type)}} was collected before with the same name ` +
    `and label values`
  );
}

export function ownHelpClash(name: string, pushedHelp: string, ownHelp: string): string {
  return `gathered metric family ${name} has help ${goQuote(pushedHelp)} but should have ${goQuote(ownHelp)}`;
}

export function ownTypeClash(name: string, pushedType: MetricType, ownType: MetricType): string {
  return `gathered metric family ${name} has type ${pushedType} but should have ${ownType}`;
}

const SUFFIXES = ['_count', '_sum', '_bucket'] as const;

/**
 * checkSuffixCollisions: a new family `x_count`/`x_sum`/`x_bucket` next to a summary/histogram `x`, or
 * a new summary/histogram `x` next to such families. `typeOf` answers for every family already there.
 */
export function suffixCollision(
  name: string,
  type: MetricType,
  typeOf: (n: string) => MetricType | undefined,
): string | undefined {
  for (const suffix of SUFFIXES) {
    if (!name.endsWith(suffix)) continue;
    const base = name.slice(0, -suffix.length);
    const baseType = typeOf(base);
    if (baseType === 'SUMMARY' && suffix !== '_bucket') {
      return `collected metric named ${q(name)} collides with previously collected summary named ${q(base)}`;
    }
    if (baseType === 'HISTOGRAM') {
      return `collected metric named ${q(name)} collides with previously collected histogram named ${q(base)}`;
    }
  }
  if (type === 'SUMMARY' || type === 'HISTOGRAM') {
    const candidates = type === 'HISTOGRAM' ? SUFFIXES : SUFFIXES.slice(0, 2);
    for (const suffix of candidates) {
      if (typeOf(name + suffix) !== undefined) {
        return (
          `collected histogram or summary named ${q(name)} collides with previously collected metric named ` +
          `${q(name + suffix)}`
        );
      }
    }
  }
  return undefined;
}
