/**
 * Decodes io.prometheus.client.MetricFamily messages from a varint-length-delimited push body
 * (schema: client_model v0.6.2 metrics.proto), following Go's protobuf runtime where it matters: unknown
 * fields (and known fields with an unexpected wire type) are skipped, repeated scalars are accepted packed
 * or unpacked, a singular message field that occurs twice is merged, an unknown enum value leaves the type
 * unset (COUNTER). The stream ends cleanly only at a message boundary; anything else is an error and
 * nothing is stored. Decoding is a generator (protobufBodySteps) so that a big body can be decoded in
 * slices of event-loop time (slicer.ts).
 */
import type {
  Bucket,
  BucketSpan,
  Exemplar,
  Histogram,
  LabelPair,
  Metric,
  MetricFamily,
  MetricType,
  Quantile,
  Summary,
  Timestamp,
} from '../model/metric.js';
import { isValidLegacyMetricName } from '../model/names.js';
import { ProtobufParseError } from '../errors.js';
import { runSliced, runSync, type Slicer, type Steps } from '../slicer.js';
import { Reader, WT_BYTES, WT_FIXED64, WT_VARINT } from './protobuf-wire.js';

/** MetricType by its enum number in metrics.proto. */
const TYPES: readonly MetricType[] = ['COUNTER', 'GAUGE', 'SUMMARY', 'UNTYPED', 'HISTOGRAM', 'GAUGE_HISTOGRAM'];

/** Metric fields decoded before the family's type is known (the type may come after the metrics). */
interface RawMetric {
  labels: LabelPair[];
  gauge?: { value?: number };
  counter?: { value?: number; exemplar?: Exemplar; createdTimestamp?: Timestamp };
  untyped?: { value?: number };
  summary?: Summary;
  histogram?: Histogram;
  timestampMs?: number;
}

export interface ProtobufParseOptions {
  /** Accept any non-empty UTF-8 metric name; otherwise legacy names only. */
  utf8Names: boolean;
  /**
   * Collects the names of families that end up without metrics. They are not returned, but the
   * reference stores them, so a POST replaces the stored family of that name with nothing.
   */
  emptyFamilies?: Map<string, MetricFamily>;
  /** Given, once decoded, the names of the families returned (a map the decoder built anyway). */
  onNames?: (names: ReadonlyMap<string, unknown>) => void;
  /**
   * Every family is returned as written, in stream order, empty ones and repeated names included (nothing
   * goes to `emptyFamilies` or `onNames`): for our own Redis log, which must give back exactly the list
   * that was encoded.
   */
  asWritten?: boolean;
}

/**
 * Decodes a whole delimited push body. A later family with the name of an earlier one replaces it, as
 * in the reference (which collects families in a map by name). Families without metrics are not
 * returned (their names go to `opts.emptyFamilies`).
 */
export function parseProtobufBody(body: Buffer, opts: ProtobufParseOptions): MetricFamily[] {
  return runSync(protobufBodySteps(body, opts));
}

/** parseProtobufBody with the event loop served every slice (big bodies). */
export function parseProtobufBodySliced(
  body: Buffer,
  opts: ProtobufParseOptions,
  slicer: Slicer,
): Promise<MetricFamily[]> {
  return runSliced(protobufBodySteps(body, opts), slicer);
}

/** Metrics decoded between two points where a sliced decode may pause. */
const METRICS_PER_YIELD = 256;

function* protobufBodySteps(body: Buffer, opts: ProtobufParseOptions): Steps<MetricFamily[]> {
  const byName = new Map<string, MetricFamily>();
  const written: MetricFamily[] = [];
  const stream = new Reader(body, 0, body.length, 'delimited stream');
  let index = 0;
  while (!stream.done) {
    index++;
    // Go's delimited reader reports a stream cut inside the length prefix or the message as
    // io.ErrUnexpectedEOF; the reference answers that text, and so do we.
    let start: number;
    let end: number;
    try {
      [start, end] = stream.bytes();
    } catch {
      throw new ProtobufParseError('unexpected EOF');
    }
    const family = yield* decodeFamily(new Reader(body, start, end, `MetricFamily #${index}`));
    validateFamilyName(family.name, index, opts);
    if (opts.asWritten === true) {
      written.push(family);
      continue;
    }
    if (family.metrics.length === 0) {
      byName.delete(family.name);
      opts.emptyFamilies?.set(family.name, family);
    } else {
      byName.set(family.name, family);
      opts.emptyFamilies?.delete(family.name);
    }
  }
  if (opts.asWritten === true) return written;
  opts.onNames?.(byName);
  return [...byName.values()];
}

function validateFamilyName(name: string, index: number, opts: ProtobufParseOptions): void {
  if (name === '') throw new ProtobufParseError(`MetricFamily #${index} has no name`);
  if (!opts.utf8Names && !isValidLegacyMetricName(name)) {
    throw new ProtobufParseError(`invalid metric name ${JSON.stringify(name)}`);
  }
}

function* decodeFamily(r: Reader): Steps<MetricFamily> {
  yield;
  let name = '';
  let help: string | undefined;
  let type: MetricType = 'COUNTER';
  let unit: string | undefined;
  const raws: RawMetric[] = [];
  while (!r.done) {
    const field = r.tag();
    const wt = r.wireType;
    if (field === 1 && wt === WT_BYTES) name = r.string('name');
    else if (field === 2 && wt === WT_BYTES) help = r.string('help');
    else if (field === 3 && wt === WT_VARINT) {
      const t = TYPES[r.int32()];
      if (t !== undefined) type = t; // an unknown enum value leaves the field unset (proto2 closed enum)
    } else if (field === 4 && wt === WT_BYTES) {
      raws.push(decodeMetric(r.sub(`Metric in ${r.what}`)));
      if (raws.length % METRICS_PER_YIELD === 0) yield;
    } else if (field === 5 && wt === WT_BYTES) unit = r.string('unit');
    else r.skip(wt, field);
  }
  const family: MetricFamily = { name, type, metrics: raws.map((m) => resolveMetric(m, type)) };
  if (help !== undefined) family.help = help;
  if (unit !== undefined) family.unit = unit;
  return family;
}

/** Keeps the payload the family's type calls for, as Go's consistency check and encoders read it. */
function resolveMetric(raw: RawMetric, type: MetricType): Metric {
  const m: Metric = { labels: raw.labels };
  switch (type) {
    case 'COUNTER':
      if (raw.counter !== undefined) {
        m.value = raw.counter.value ?? 0;
        if (raw.counter.exemplar !== undefined) m.exemplar = raw.counter.exemplar;
        if (raw.counter.createdTimestamp !== undefined) m.createdTimestamp = raw.counter.createdTimestamp;
      }
      break;
    case 'GAUGE':
      if (raw.gauge !== undefined) m.value = raw.gauge.value ?? 0;
      break;
    case 'UNTYPED':
      if (raw.untyped !== undefined) m.value = raw.untyped.value ?? 0;
      break;
    case 'SUMMARY':
      if (raw.summary !== undefined) m.summary = raw.summary;
      break;
    case 'HISTOGRAM':
    case 'GAUGE_HISTOGRAM':
      if (raw.histogram !== undefined) m.histogram = raw.histogram;
      break;
  }
  if (raw.timestampMs !== undefined) m.timestampMs = raw.timestampMs;
  return m;
}

function decodeMetric(r: Reader): RawMetric {
  const m: RawMetric = { labels: [] };
  while (!r.done) {
    const field = r.tag();
    const wt = r.wireType;
    if (wt === WT_BYTES && field >= 1 && field <= 7 && field !== 6) {
      switch (field) {
        case 1:
          m.labels.push(decodeLabelPair(r.sub('LabelPair')));
          break;
        case 2:
          m.gauge = decodeValue(r.sub('Gauge'), m.gauge ?? {});
          break;
        case 3:
          m.counter = decodeCounter(r.sub('Counter'), m.counter ?? {});
          break;
        case 4:
          m.summary = decodeSummary(r.sub('Summary'), m.summary);
          break;
        case 5:
          m.untyped = decodeValue(r.sub('Untyped'), m.untyped ?? {});
          break;
        case 7:
          m.histogram = decodeHistogram(r.sub('Histogram'), m.histogram);
          break;
      }
    } else if (field === 6 && wt === WT_VARINT) {
      r.varint();
      // Any timestamp makes the push fail with the reference's message; its exact value does not matter.
      m.timestampMs = Number(BigInt.asIntN(64, (BigInt(r.hi) << 32n) | BigInt(r.lo)));
    } else {
      r.skip(wt, field);
    }
  }
  return m;
}

function decodeLabelPair(r: Reader): LabelPair {
  let name = '';
  let value = '';
  while (!r.done) {
    const field = r.tag();
    if (field === 1 && r.wireType === WT_BYTES) name = r.string('label name');
    else if (field === 2 && r.wireType === WT_BYTES) value = r.string(`value of label ${JSON.stringify(name)}`);
    else r.skip(r.wireType, field);
  }
  return { name, value };
}

function decodeValue(r: Reader, into: { value?: number }): { value?: number } {
  while (!r.done) {
    const field = r.tag();
    if (field === 1 && r.wireType === WT_FIXED64) into.value = r.double();
    else r.skip(r.wireType, field);
  }
  return into;
}

function decodeCounter(r: Reader, into: NonNullable<RawMetric['counter']>): NonNullable<RawMetric['counter']> {
  while (!r.done) {
    const field = r.tag();
    const wt = r.wireType;
    if (field === 1 && wt === WT_FIXED64) into.value = r.double();
    else if (field === 2 && wt === WT_BYTES) into.exemplar = decodeExemplar(r.sub('Exemplar'), into.exemplar);
    else if (field === 3 && wt === WT_BYTES)
      into.createdTimestamp = decodeTimestamp(r.sub('Timestamp'), into.createdTimestamp);
    else r.skip(wt, field);
  }
  return into;
}

function decodeTimestamp(r: Reader, into: Timestamp = { seconds: 0, nanos: 0 }): Timestamp {
  while (!r.done) {
    const field = r.tag();
    if (field === 1 && r.wireType === WT_VARINT) into.seconds = r.int64('timestamp seconds');
    else if (field === 2 && r.wireType === WT_VARINT) into.nanos = r.int32();
    else r.skip(r.wireType, field);
  }
  return into;
}

function decodeExemplar(r: Reader, into: Exemplar = { labels: [], value: 0 }): Exemplar {
  while (!r.done) {
    const field = r.tag();
    const wt = r.wireType;
    if (field === 1 && wt === WT_BYTES) into.labels.push(decodeLabelPair(r.sub('LabelPair')));
    else if (field === 2 && wt === WT_FIXED64) into.value = r.double();
    else if (field === 3 && wt === WT_BYTES) into.timestamp = decodeTimestamp(r.sub('Timestamp'), into.timestamp);
    else r.skip(wt, field);
  }
  return into;
}

function setCount<T extends object>(
  into: T,
  key: keyof T & string,
  exactKey: keyof T & string,
  v: number | bigint,
): void {
  const rec = into as Record<string, unknown>;
  // Only a count no double holds needs the exact copy; one that is a double (2^60, or a text push's 9.3e18)
  // decodes as that double alone, so the model is the same whichever way the count came in.
  if (typeof v === 'bigint' && BigInt(Number(v)) !== v) {
    rec[key] = Number(v); // the nearest double, as Go's float64(uint64) conversion gives for text output
    rec[exactKey] = v;
  } else {
    rec[key] = Number(v);
    delete rec[exactKey];
  }
}

function decodeSummary(r: Reader, into: Summary = { sampleCount: 0, sampleSum: 0, quantiles: [] }): Summary {
  while (!r.done) {
    const field = r.tag();
    const wt = r.wireType;
    if (field === 1 && wt === WT_VARINT) setCount(into, 'sampleCount', 'sampleCountExact', r.uint64());
    else if (field === 2 && wt === WT_FIXED64) into.sampleSum = r.double();
    else if (field === 3 && wt === WT_BYTES) into.quantiles.push(decodeQuantile(r.sub('Quantile')));
    else if (field === 4 && wt === WT_BYTES)
      into.createdTimestamp = decodeTimestamp(r.sub('Timestamp'), into.createdTimestamp);
    else r.skip(wt, field);
  }
  return into;
}

function decodeQuantile(r: Reader): Quantile {
  const q: Quantile = { quantile: 0, value: 0 };
  while (!r.done) {
    const field = r.tag();
    if (field === 1 && r.wireType === WT_FIXED64) q.quantile = r.double();
    else if (field === 2 && r.wireType === WT_FIXED64) q.value = r.double();
    else r.skip(r.wireType, field);
  }
  return q;
}

function decodeHistogram(r: Reader, into: Histogram = { sampleCount: 0, sampleSum: 0, buckets: [] }): Histogram {
  const h = into;
  while (!r.done) {
    const field = r.tag();
    const wt = r.wireType;
    switch (field) {
      case 1:
        if (wt === WT_VARINT) {
          setCount(h, 'sampleCount', 'sampleCountExact', r.uint64());
          continue;
        }
        break;
      case 2:
        if (wt === WT_FIXED64) {
          h.sampleSum = r.double();
          continue;
        }
        break;
      case 3:
        if (wt === WT_BYTES) {
          h.buckets.push(decodeBucket(r.sub('Bucket')));
          continue;
        }
        break;
      case 4:
        if (wt === WT_FIXED64) {
          h.sampleCountFloat = r.double();
          continue;
        }
        break;
      case 5:
        if (wt === WT_VARINT) {
          h.schema = r.sint32();
          continue;
        }
        break;
      case 6:
        if (wt === WT_FIXED64) {
          h.zeroThreshold = r.double();
          continue;
        }
        break;
      case 7:
        if (wt === WT_VARINT) {
          setCount(h, 'zeroCount', 'zeroCountExact', r.uint64());
          continue;
        }
        break;
      case 8:
        if (wt === WT_FIXED64) {
          h.zeroCountFloat = r.double();
          continue;
        }
        break;
      case 9:
        if (wt === WT_BYTES) {
          (h.negativeSpans ??= []).push(decodeSpan(r.sub('BucketSpan')));
          continue;
        }
        break;
      case 10:
        if (r.repeated(WT_VARINT, (h.negativeDeltas ??= []), () => r.sint64('negative_delta'))) continue;
        break;
      case 11:
        if (r.repeated(WT_FIXED64, (h.negativeCounts ??= []), () => r.double())) continue;
        break;
      case 12:
        if (wt === WT_BYTES) {
          (h.positiveSpans ??= []).push(decodeSpan(r.sub('BucketSpan')));
          continue;
        }
        break;
      case 13:
        if (r.repeated(WT_VARINT, (h.positiveDeltas ??= []), () => r.sint64('positive_delta'))) continue;
        break;
      case 14:
        if (r.repeated(WT_FIXED64, (h.positiveCounts ??= []), () => r.double())) continue;
        break;
      case 15:
        if (wt === WT_BYTES) {
          h.createdTimestamp = decodeTimestamp(r.sub('Timestamp'), h.createdTimestamp);
          continue;
        }
        break;
      case 16:
        if (wt === WT_BYTES) {
          (h.exemplars ??= []).push(decodeExemplar(r.sub('Exemplar')));
          continue;
        }
        break;
    }
    r.skip(wt, field);
  }
  // `??=` above creates empty arrays for a field whose wire type did not fit; drop them again.
  for (const k of ['negativeDeltas', 'negativeCounts', 'positiveDeltas', 'positiveCounts'] as const) {
    if (h[k]?.length === 0) delete h[k];
  }
  return h;
}

function decodeBucket(r: Reader): Bucket {
  const b: Bucket = { cumulativeCount: 0, upperBound: 0 };
  while (!r.done) {
    const field = r.tag();
    const wt = r.wireType;
    if (field === 1 && wt === WT_VARINT) setCount(b, 'cumulativeCount', 'cumulativeCountExact', r.uint64());
    else if (field === 2 && wt === WT_FIXED64) b.upperBound = r.double();
    else if (field === 3 && wt === WT_BYTES) b.exemplar = decodeExemplar(r.sub('Exemplar'), b.exemplar);
    else if (field === 4 && wt === WT_FIXED64) b.cumulativeCountFloat = r.double();
    else r.skip(wt, field);
  }
  return b;
}

function decodeSpan(r: Reader): BucketSpan {
  const s: BucketSpan = { offset: 0, length: 0 };
  while (!r.done) {
    const field = r.tag();
    if (field === 1 && r.wireType === WT_VARINT) s.offset = r.sint32();
    else if (field === 2 && r.wireType === WT_VARINT) s.length = r.uint32();
    else r.skip(r.wireType, field);
  }
  return s;
}
