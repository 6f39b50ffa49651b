/**
 * The single in-memory metric model. Every input format (text 0.0.4, protobuf) parses into it and every
 * output (text, protobuf, JSON API, UI) renders from it. It mirrors io.prometheus.client.MetricFamily
 * closely enough to carry everything the protobuf format can: classic, float and native histograms,
 * summaries, created timestamps and exemplars.
 */

export type MetricType = 'COUNTER' | 'GAUGE' | 'SUMMARY' | 'UNTYPED' | 'HISTOGRAM' | 'GAUGE_HISTOGRAM';

export interface LabelPair {
  name: string;
  value: string;
}

/** google.protobuf.Timestamp; seconds kept as a number (safe up to year 285 million). */
export interface Timestamp {
  seconds: number;
  nanos: number;
}

export interface Exemplar {
  labels: LabelPair[];
  value: number;
  timestamp?: Timestamp;
}

export interface Quantile {
  quantile: number;
  value: number;
}

export interface Summary {
  /** The count as a double (what the text format shows); exact when below 2^53. */
  sampleCount: number;
  /** The exact count when a protobuf push carried one above 2^53 (re-encoded as is in protobuf). */
  sampleCountExact?: bigint;
  sampleSum: number;
  quantiles: Quantile[];
  createdTimestamp?: Timestamp;
}

export interface Bucket {
  /** Integer cumulative count; used unless cumulativeCountFloat is set and > 0. */
  cumulativeCount: number;
  /** Exact count above 2^53 from a protobuf push (see Summary.sampleCountExact). */
  cumulativeCountExact?: bigint;
  cumulativeCountFloat?: number;
  upperBound: number;
  exemplar?: Exemplar;
}

export interface BucketSpan {
  offset: number;
  length: number;
}

export interface Histogram {
  sampleCount: number;
  /** Exact count above 2^53 from a protobuf push (see Summary.sampleCountExact). */
  sampleCountExact?: bigint;
  /** Float histograms: overrides sampleCount when set and > 0 (proto semantics). */
  sampleCountFloat?: number;
  sampleSum: number;
  buckets: Bucket[];
  createdTimestamp?: Timestamp;
  // Native histogram fields; `schema` present means the histogram has a native part.
  schema?: number;
  zeroThreshold?: number;
  zeroCount?: number;
  zeroCountExact?: bigint;
  zeroCountFloat?: number;
  negativeSpans?: BucketSpan[];
  negativeDeltas?: number[];
  negativeCounts?: number[];
  positiveSpans?: BucketSpan[];
  positiveDeltas?: number[];
  positiveCounts?: number[];
  exemplars?: Exemplar[];
}

export interface Metric {
  /** Label pairs; after sanitising by the store they are sorted by name and include job/instance. */
  labels: LabelPair[];
  /** Value of a counter, gauge or untyped metric. */
  value?: number;
  summary?: Summary;
  histogram?: Histogram;
  /** Counter created timestamp (protobuf only). */
  createdTimestamp?: Timestamp;
  exemplar?: Exemplar;
  /** Milliseconds since epoch if the sample carried one (pushes with timestamps are rejected). */
  timestampMs?: number;
}

export interface MetricFamily {
  name: string;
  /** undefined = no HELP line at all; '' = a HELP line with empty text. */
  help?: string;
  type: MetricType;
  unit?: string;
  metrics: Metric[];
}

/** Text-format type keyword for a model type, as the Go text encoder writes it. */
export function textTypeName(type: MetricType): string {
  switch (type) {
    case 'COUNTER':
      return 'counter';
    case 'GAUGE':
      return 'gauge';
    case 'SUMMARY':
      return 'summary';
    case 'UNTYPED':
      return 'untyped';
    case 'HISTOGRAM':
      return 'histogram';
    case 'GAUGE_HISTOGRAM':
      return 'histogram';
  }
}

/** True if the histogram carries native (sparse) buckets, as Go's model decides it. */
export function isNativeHistogram(h: Histogram): boolean {
  return (
    h.schema !== undefined ||
    (h.zeroThreshold ?? 0) > 0 ||
    (h.zeroCount ?? 0) > 0 ||
    (h.zeroCountFloat ?? 0) > 0 ||
    (h.positiveSpans?.length ?? 0) > 0 ||
    (h.negativeSpans?.length ?? 0) > 0
  );
}
