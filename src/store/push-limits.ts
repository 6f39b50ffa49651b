/**
 * Optional per-push limits, off by default (0 = no limit), named and worded after the scrape limits of a
 * Prometheus scrape config — sample_limit, label_limit, label_name_length_limit, label_value_length_limit —
 * so that a gateway can refuse at push time what the Prometheus scraping it would refuse (and then fail
 * the whole scrape for everyone). Labels are counted as Prometheus sees them when it scrapes the gateway:
 * the metric name is one (`__name__`), grouping labels from the URL replace body labels of the same name,
 * labels with an empty value do not exist, and a summary's `quantile` / a histogram's `le` label counts.
 */
import type { Metric, MetricFamily } from '../model/metric.js';
import { isNativeHistogram } from '../model/metric.js';
import type { GroupingLabels } from '../model/grouping-key.js';
import { PushLimitError } from '../errors.js';

export interface PushLimits {
  /** Most samples a push may carry (Prometheus's sample_limit); 0 = no limit. */
  sampleLimit: number;
  /** Most labels a series may have, its name included (label_limit); 0 = no limit. */
  labelLimit: number;
  /** Longest label name in bytes (label_name_length_limit); 0 = no limit. */
  labelNameLengthLimit: number;
  /** Longest label value in bytes, the metric name included (label_value_length_limit); 0 = no limit. */
  labelValueLengthLimit: number;
}

export const NO_PUSH_LIMITS: PushLimits = {
  sampleLimit: 0,
  labelLimit: 0,
  labelNameLengthLimit: 0,
  labelValueLengthLimit: 0,
};

export function anyPushLimit(l: PushLimits): boolean {
  return l.sampleLimit > 0 || l.labelLimit > 0 || l.labelNameLengthLimit > 0 || l.labelValueLengthLimit > 0;
}

/** Samples of one series as the text exposition writes them (what a scrape appends). */
export function samplesOf(m: Metric): number {
  if (m.summary !== undefined) return m.summary.quantiles.length + 2;
  if (m.histogram !== undefined) {
    const h = m.histogram;
    // A native-only histogram is one sample to a protobuf scrape; classic buckets end with +Inf.
    if (h.buckets.length === 0 && isNativeHistogram(h)) return 1;
    const inf = h.buckets.length > 0 && h.buckets[h.buckets.length - 1]!.upperBound === Infinity;
    return h.buckets.length + (inf ? 0 : 1) + 2;
  }
  return 1;
}

/** Go's %.50s: at most 50 characters (Go counts bytes; the difference only shows in non-ASCII names). */
function cut50(s: string): string {
  return s.length > 50 ? s.slice(0, 50) : s;
}

/** Go's %.50q for the value in label_value_length_limit's message. */
function quote50(s: string): string {
  return JSON.stringify(cut50(s));
}

/** Throws PushLimitError for the first limit the push breaks; cheap when every limit is off. */
export function checkPushLimits(families: readonly MetricFamily[], grouping: GroupingLabels, limits: PushLimits): void {
  if (!anyPushLimit(limits)) return;
  const groupingNames = Object.keys(grouping);
  const nonEmptyGrouping = groupingNames.filter((n) => grouping[n] !== '').length;
  if (limits.labelNameLengthLimit > 0 || limits.labelValueLengthLimit > 0) {
    for (const name of groupingNames) checkLength(families[0]?.name ?? '', name, grouping[name]!, limits);
  }
  let samples = 0;
  for (const f of families) {
    if (limits.labelValueLengthLimit > 0) checkLength(f.name, '__name__', f.name, limits);
    for (const m of f.metrics) {
      samples += samplesOf(m);
      if (limits.sampleLimit > 0 && samples > limits.sampleLimit) {
        throw new PushLimitError(
          'sample_limit',
          `sample_limit exceeded (number of samples: ${countSamples(families)}, limit: ${limits.sampleLimit})`,
        );
      }
      let count = 1 + nonEmptyGrouping;
      for (const l of m.labels) {
        if (l.value !== '' && !(l.name in grouping)) count++;
        if (!(l.name in grouping)) checkLength(f.name, l.name, l.value, limits);
      }
      if (
        (m.summary !== undefined && m.summary.quantiles.length > 0) ||
        (m.histogram !== undefined && samplesOf(m) > 1)
      )
        count++;
      if (limits.labelLimit > 0 && count > limits.labelLimit) {
        throw new PushLimitError(
          'label_limit',
          `label_limit exceeded (metric: ${cut50(f.name)}, number of labels: ${count}, limit: ${limits.labelLimit})`,
        );
      }
    }
  }
}

function countSamples(families: readonly MetricFamily[]): number {
  let n = 0;
  for (const f of families) for (const m of f.metrics) n += samplesOf(m);
  return n;
}

function checkLength(metric: string, name: string, value: string, limits: PushLimits): void {
  if (limits.labelNameLengthLimit > 0) {
    const length = Buffer.byteLength(name, 'utf8');
    if (length > limits.labelNameLengthLimit) {
      throw new PushLimitError(
        'label_name_length_limit',
        `label_name_length_limit exceeded (metric: ${cut50(metric)}, ` +
          `label name: ${cut50(name)}, length: ${length}, limit: ${limits.labelNameLengthLimit})`,
      );
    }
  }
  if (limits.labelValueLengthLimit > 0 && value !== '') {
    // Byte length only when the UTF-16 length could be over the limit at all (a byte is at most one unit).
    const length = value.length * 3 > limits.labelValueLengthLimit ? Buffer.byteLength(value, 'utf8') : value.length;
    if (length > limits.labelValueLengthLimit) {
      throw new PushLimitError(
        'label_value_length_limit',
        `label_value_length_limit exceeded (metric: ${cut50(metric)}, ` +
          `label name: ${cut50(name)}, value: ${quote50(value)}, length: ${length}, limit: ` +
          `${limits.labelValueLengthLimit})`,
      );
    }
  }
}
