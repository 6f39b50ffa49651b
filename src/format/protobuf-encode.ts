/**
 * Encodes io.prometheus.client.MetricFamily messages in the varint-length-delimited stream format, as
 * Prometheus scrapes it when it wants native histograms (and as the tests and benchmarks push it).
 * Presence is kept: an absent HELP is not written, `*_float` counts only when the model has them.
 */
import type {
  BucketSpan,
  Exemplar,
  Histogram,
  LabelPair,
  Metric,
  MetricFamily,
  MetricType,
  Summary,
  Timestamp,
} from '../model/metric.js';
import { ProtobufWriter } from './protobuf-wire.js';

/** The enum number of each MetricType in metrics.proto. */
const TYPE_NUMBER: Record<MetricType, number> = {
  COUNTER: 0,
  GAUGE: 1,
  SUMMARY: 2,
  UNTYPED: 3,
  HISTOGRAM: 4,
  GAUGE_HISTOGRAM: 5,
};

/**
 * Appends one family as a length-prefixed MetricFamily message.
 * @param exact keep what a scrape need not: a counter, gauge or untyped metric without a value is written
 *   without its value message (the decoder then leaves the value absent, which the consistency check
 *   refuses), where a scrape writes 0 as before. The Redis log (store/redis/entry-codec.ts) sets it.
 */
export function writeFamilyDelimited(w: ProtobufWriter, f: MetricFamily, exact = false): void {
  const start = w.begin();
  w.string(1, f.name);
  if (f.help !== undefined) w.string(2, f.help);
  w.uint(3, TYPE_NUMBER[f.type]);
  for (const m of f.metrics) writeMetric(w, m, f.type, exact);
  if (f.unit !== undefined) w.string(5, f.unit);
  w.end(start);
}

export function encodeDelimited(families: Iterable<MetricFamily>): Buffer {
  const w = new ProtobufWriter();
  for (const f of families) writeFamilyDelimited(w, f);
  return w.finish();
}

function writeLabels(w: ProtobufWriter, field: number, labels: LabelPair[]): void {
  for (const l of labels) {
    const s = w.begin(field);
    w.string(1, l.name);
    w.string(2, l.value);
    w.end(s);
  }
}

function writeMetric(w: ProtobufWriter, m: Metric, type: MetricType, exact: boolean): void {
  const start = w.begin(4);
  writeLabels(w, 1, m.labels);
  switch (type) {
    case 'GAUGE':
    case 'UNTYPED': {
      if (exact && m.value === undefined) break;
      const s = w.begin(type === 'GAUGE' ? 2 : 5);
      w.double(1, m.value ?? 0);
      w.end(s);
      break;
    }
    case 'COUNTER': {
      // A decoded counter message always gives a value, so one without a value had no message at all.
      if (exact && m.value === undefined) break;
      const s = w.begin(3);
      w.double(1, m.value ?? 0);
      if (m.exemplar !== undefined) writeExemplar(w, 2, m.exemplar);
      if (m.createdTimestamp !== undefined) writeTimestamp(w, 3, m.createdTimestamp);
      w.end(s);
      break;
    }
    case 'SUMMARY':
      if (m.summary !== undefined) writeSummary(w, m.summary);
      break;
    case 'HISTOGRAM':
    case 'GAUGE_HISTOGRAM':
      if (m.histogram !== undefined) writeHistogram(w, m.histogram);
      break;
  }
  if (m.timestampMs !== undefined) w.int(6, m.timestampMs);
  w.end(start);
}

function writeTimestamp(w: ProtobufWriter, field: number, t: Timestamp): void {
  const s = w.begin(field);
  if (t.seconds !== 0) w.int(1, t.seconds);
  if (t.nanos !== 0) w.int(2, t.nanos);
  w.end(s);
}

function writeExemplar(w: ProtobufWriter, field: number, e: Exemplar): void {
  const s = w.begin(field);
  writeLabels(w, 1, e.labels);
  w.double(2, e.value);
  if (e.timestamp !== undefined) writeTimestamp(w, 3, e.timestamp);
  w.end(s);
}

function writeSummary(w: ProtobufWriter, sm: Summary): void {
  const s = w.begin(4);
  w.uint(1, sm.sampleCountExact ?? sm.sampleCount);
  w.double(2, sm.sampleSum);
  for (const q of sm.quantiles) {
    const qs = w.begin(3);
    w.double(1, q.quantile);
    w.double(2, q.value);
    w.end(qs);
  }
  if (sm.createdTimestamp !== undefined) writeTimestamp(w, 4, sm.createdTimestamp);
  w.end(s);
}

function writeSpans(w: ProtobufWriter, field: number, spans: BucketSpan[] | undefined): void {
  for (const sp of spans ?? []) {
    const s = w.begin(field);
    w.sint(1, sp.offset);
    w.uint(2, sp.length);
    w.end(s);
  }
}

function writeHistogram(w: ProtobufWriter, h: Histogram): void {
  const s = w.begin(7);
  w.uint(1, h.sampleCountExact ?? h.sampleCount);
  w.double(2, h.sampleSum);
  for (const b of h.buckets) {
    const bs = w.begin(3);
    w.uint(1, b.cumulativeCountExact ?? b.cumulativeCount);
    w.double(2, b.upperBound);
    if (b.exemplar !== undefined) writeExemplar(w, 3, b.exemplar);
    if (b.cumulativeCountFloat !== undefined) w.double(4, b.cumulativeCountFloat);
    w.end(bs);
  }
  if (h.sampleCountFloat !== undefined) w.double(4, h.sampleCountFloat);
  if (h.schema !== undefined) w.sint(5, h.schema);
  if (h.zeroThreshold !== undefined) w.double(6, h.zeroThreshold);
  if (h.zeroCount !== undefined) w.uint(7, h.zeroCountExact ?? h.zeroCount);
  if (h.zeroCountFloat !== undefined) w.double(8, h.zeroCountFloat);
  writeSpans(w, 9, h.negativeSpans);
  // Unpacked, as the proto2 schema declares them (and as client_golang writes them).
  for (const d of h.negativeDeltas ?? []) w.sint(10, d);
  for (const c of h.negativeCounts ?? []) w.double(11, c);
  writeSpans(w, 12, h.positiveSpans);
  for (const d of h.positiveDeltas ?? []) w.sint(13, d);
  for (const c of h.positiveCounts ?? []) w.double(14, c);
  if (h.createdTimestamp !== undefined) writeTimestamp(w, 15, h.createdTimestamp);
  for (const e of h.exemplars ?? []) writeExemplar(w, 16, e);
  w.end(s);
}
