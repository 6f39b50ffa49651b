/**
 * io.prometheus.client.MetricFamily in the varint-length-delimited stream format, both ways: what Go and
 * Java clients push, and what Prometheus scrapes when it wants native histograms. A small hand-written
 * codec (schema: client_model v0.6.2 metrics.proto) instead of a generated one, for three reasons:
 * proto2 presence must survive (an absent HELP is not an empty one, `*_float` fields override only when
 * present), 64-bit counts must not be rounded silently, and the push path should not allocate more than
 * the model it builds.
 *
 * Decoding follows Go's protobuf runtime where it matters: unknown fields (and known fields with an
 * unexpected wire type) are skipped, repeated scalars are accepted packed or unpacked, a singular
 * message field that occurs twice is merged, an unknown enum value leaves the type unset (COUNTER).
 * The stream ends cleanly only at a message boundary; anything else is an error and nothing is stored.
 */
import { isUtf8 } from 'node:buffer';
import type {
  Bucket, BucketSpan, Exemplar, Histogram, LabelPair, Metric, MetricFamily, MetricType, Quantile, Summary, Timestamp,
} from '../model/metric.js';
import { isValidLegacyMetricName } from '../model/names.js';
import { ProtobufParseError } from '../errors.js';
import { runSliced, runSync, type Slicer, type Steps } from '../slicer.js';

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.google.protobuf';
export const PROTOBUF_PROTO = 'io.prometheus.client.MetricFamily';
export const PROTOBUF_DELIMITED_CONTENT_TYPE =
  `${PROTOBUF_MEDIA_TYPE}; proto=${PROTOBUF_PROTO}; encoding=delimited`;

const TYPES: readonly MetricType[] = ['COUNTER', 'GAUGE', 'SUMMARY', 'UNTYPED', 'HISTOGRAM', 'GAUGE_HISTOGRAM'];
const TYPE_NUMBER: Record<MetricType, number> = {
  COUNTER: 0, GAUGE: 1, SUMMARY: 2, UNTYPED: 3, HISTOGRAM: 4, GAUGE_HISTOGRAM: 5,
};

const TWO_32 = 4294967296;
/** Above this the high word of a uint64 no longer fits a double exactly (2^53 = 2^21 * 2^32). */
const SAFE_HIGH_WORD = 0x200000;

const WT_VARINT = 0;
const WT_FIXED64 = 1;
const WT_BYTES = 2;
const WT_START_GROUP = 3;
const WT_END_GROUP = 4;
const WT_FIXED32 = 5;

// ---------------------------------------------------------------------------------------------------
// Decoding

/** A cursor over one message's bytes. Errors name the message kind being read. */
class Reader {
  pos: number;
  /** The last varint read, as two unsigned 32-bit words. */
  lo = 0;
  hi = 0;

  constructor(readonly buf: Buffer, start: number, public end: number, readonly what: string) {
    this.pos = start;
  }

  fail(detail: string): never {
    throw new ProtobufParseError(`invalid ${this.what}: ${detail}`);
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** Reads a varint of up to 10 bytes into lo/hi. */
  varint(): void {
    const buf = this.buf;
    let lo = 0;
    let hi = 0;
    let shift = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const b = buf[this.pos++]!;
      if (shift < 28) {
        lo |= (b & 0x7f) << shift;
      } else if (shift === 28) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >>> 4;
      } else {
        if (i === 9 && b > 1) this.fail('varint overflows 64 bits');
        hi |= (b & 0x7f) << (shift - 32);
      }
      shift += 7;
      if (b < 0x80) {
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        return;
      }
    }
    this.fail('varint longer than 10 bytes');
  }

  uint32(): number {
    this.varint();
    return this.lo;
  }

  /** A uint64: a number when it is exact, a bigint above 2^53. */
  uint64(): number | bigint {
    this.varint();
    if (this.hi < SAFE_HIGH_WORD) return this.hi * TWO_32 + this.lo;
    return (BigInt(this.hi) << 32n) | BigInt(this.lo);
  }

  /** An int64 that must be exactly representable (timestamps). */
  int64(field: string): number {
    this.varint();
    const v = BigInt.asIntN(64, (BigInt(this.hi) << 32n) | BigInt(this.lo));
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      this.fail(`${field} ${v} is outside the range this gateway stores exactly (±2^53)`);
    }
    return Number(v);
  }

  int32(): number {
    this.varint();
    return this.lo | 0;
  }

  sint32(): number {
    this.varint();
    const v = this.lo;
    return (v >>> 1) ^ -(v & 1);
  }

  /** A zig-zag sint64 that must be exactly representable (native histogram deltas). */
  sint64(field: string): number {
    this.varint();
    if (this.hi < SAFE_HIGH_WORD) {
      const u = this.hi * TWO_32 + this.lo;
      // u is even for non-negative values: u / 2; odd for negative ones: -(u + 1) / 2.
      return this.lo & 1 ? -(u - 1) / 2 - 1 : u / 2;
    }
    const u = (BigInt(this.hi) << 32n) | BigInt(this.lo);
    const v = (u >> 1n) ^ -(u & 1n);
    if (v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)) return Number(v);
    this.fail(`${field} ${v} is outside the range this gateway stores exactly (±2^53)`);
  }

  double(): number {
    if (this.pos + 8 > this.end) this.fail('truncated double');
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  /** The bounds of a length-delimited field's payload; advances past it. */
  bytes(): [number, number] {
    this.varint();
    if (this.hi !== 0 || this.lo > this.end - this.pos) this.fail('truncated length-delimited field');
    const start = this.pos;
    this.pos += this.lo;
    return [start, this.pos];
  }

  string(field: string): string {
    const [start, end] = this.bytes();
    const buf = this.buf;
    // Names and label values are short and mostly ASCII: decode those in JS, without native calls.
    if (end - start <= 64) {
      let s = '';
      let i = start;
      for (; i < end; i++) {
        const b = buf[i]!;
        if (b >= 0x80) break;
        s += String.fromCharCode(b);
      }
      if (i === end) return s;
    }
    const raw = buf.subarray(start, end);
    if (!isUtf8(raw)) this.fail(`${field} is not valid UTF-8`);
    return raw.toString('utf8');
  }

  sub(what: string): Reader {
    const [start, end] = this.bytes();
    return new Reader(this.buf, start, end, what);
  }

  /** Reads a tag; returns the field number and leaves the wire type in `wireType`. */
  wireType = 0;
  tag(): number {
    const t = this.uint32();
    const field = t >>> 3;
    this.wireType = t & 7;
    if (field === 0 || this.hi !== 0) this.fail('invalid field number');
    return field;
  }

  /**
   * Skips the value of a field with the given wire type, groups included as Go does. Groups nest without
   * a limit in the reference (1.5.1 accepts 1,000,000 levels), so they are skipped with an explicit stack
   * of open group numbers instead of recursion: a deep push costs memory in proportion to its body (at
   * least one byte per level), never the call stack.
   */
  skip(wireType: number, field: number): void {
    if (wireType !== WT_START_GROUP) {
      this.skipScalar(wireType, field);
      return;
    }
    const open: number[] = [field];
    while (open.length > 0) {
      const inner = open[open.length - 1]!;
      if (this.done) this.fail(`unterminated group in field ${inner}`);
      const f = this.tag();
      const wt = this.wireType;
      if (wt === WT_END_GROUP) {
        if (f !== inner) this.fail(`mismatched end of group ${f} in field ${inner}`);
        open.pop();
      } else if (wt === WT_START_GROUP) {
        open.push(f);
      } else {
        this.skipScalar(wt, f);
      }
    }
  }

  /** Skips a value that is not a group. */
  private skipScalar(wireType: number, field: number): void {
    switch (wireType) {
      case WT_VARINT: this.varint(); return;
      case WT_FIXED64: this.advance(8); return;
      case WT_BYTES: this.bytes(); return;
      case WT_FIXED32: this.advance(4); return;
      default:
        this.fail(`invalid wire type ${wireType} in field ${field}`);
    }
  }

  private advance(n: number): void {
    if (this.pos + n > this.end) this.fail('truncated fixed-size field');
    this.pos += n;
  }

  /**
   * A repeated scalar that may arrive unpacked (one tag per value) or packed (one length-delimited run).
   * `read` reads one value; returns false when the wire type fits neither form (then the caller skips).
   */
  repeated(scalarWireType: number, out: number[], read: () => number): boolean {
    if (this.wireType === scalarWireType) {
      out.push(read());
      return true;
    }
    if (this.wireType !== WT_BYTES) return false;
    const [start, end] = this.bytes();
    const saved = this.pos;
    const savedEnd = this.end;
    this.pos = start;
    this.end = end;
    try {
      while (this.pos < end) out.push(read());
    } finally {
      this.pos = saved;
      this.end = savedEnd;
    }
    return true;
  }
}

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
export function parseProtobufBodySliced(body: Buffer, opts: ProtobufParseOptions, slicer: Slicer): Promise<MetricFamily[]> {
  return runSliced(protobufBodySteps(body, opts), slicer);
}

/** Metrics decoded between two points where a sliced decode may pause. */
const METRICS_PER_YIELD = 256;

function* protobufBodySteps(body: Buffer, opts: ProtobufParseOptions): Steps<MetricFamily[]> {
  const byName = new Map<string, MetricFamily>();
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
    if (family.metrics.length === 0) {
      byName.delete(family.name);
      opts.emptyFamilies?.set(family.name, family);
    } else {
      byName.set(family.name, family);
      opts.emptyFamilies?.delete(family.name);
    }
  }
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
    }
    else if (field === 5 && wt === WT_BYTES) unit = r.string('unit');
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
        case 1: m.labels.push(decodeLabelPair(r.sub('LabelPair'))); break;
        case 2: m.gauge = decodeValue(r.sub('Gauge'), m.gauge ?? {}); break;
        case 3: m.counter = decodeCounter(r.sub('Counter'), m.counter ?? {}); break;
        case 4: m.summary = decodeSummary(r.sub('Summary'), m.summary); break;
        case 5: m.untyped = decodeValue(r.sub('Untyped'), m.untyped ?? {}); break;
        case 7: m.histogram = decodeHistogram(r.sub('Histogram'), m.histogram); break;
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
    else if (field === 3 && wt === WT_BYTES) into.createdTimestamp = decodeTimestamp(r.sub('Timestamp'), into.createdTimestamp);
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

function setCount<T extends object>(into: T, key: keyof T & string, exactKey: keyof T & string, v: number | bigint): void {
  const rec = into as Record<string, unknown>;
  if (typeof v === 'bigint') {
    rec[key] = Number(v); // the nearest double, as Go's float64(uint64) conversion gives for text output
    rec[exactKey] = v;
  } else {
    rec[key] = v;
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
    else if (field === 4 && wt === WT_BYTES) into.createdTimestamp = decodeTimestamp(r.sub('Timestamp'), into.createdTimestamp);
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
      case 1: if (wt === WT_VARINT) { setCount(h, 'sampleCount', 'sampleCountExact', r.uint64()); continue; } break;
      case 2: if (wt === WT_FIXED64) { h.sampleSum = r.double(); continue; } break;
      case 3: if (wt === WT_BYTES) { h.buckets.push(decodeBucket(r.sub('Bucket'))); continue; } break;
      case 4: if (wt === WT_FIXED64) { h.sampleCountFloat = r.double(); continue; } break;
      case 5: if (wt === WT_VARINT) { h.schema = r.sint32(); continue; } break;
      case 6: if (wt === WT_FIXED64) { h.zeroThreshold = r.double(); continue; } break;
      case 7: if (wt === WT_VARINT) { setCount(h, 'zeroCount', 'zeroCountExact', r.uint64()); continue; } break;
      case 8: if (wt === WT_FIXED64) { h.zeroCountFloat = r.double(); continue; } break;
      case 9: if (wt === WT_BYTES) { (h.negativeSpans ??= []).push(decodeSpan(r.sub('BucketSpan'))); continue; } break;
      case 10: if (r.repeated(WT_VARINT, h.negativeDeltas ??= [], () => r.sint64('negative_delta'))) continue; break;
      case 11: if (r.repeated(WT_FIXED64, h.negativeCounts ??= [], () => r.double())) continue; break;
      case 12: if (wt === WT_BYTES) { (h.positiveSpans ??= []).push(decodeSpan(r.sub('BucketSpan'))); continue; } break;
      case 13: if (r.repeated(WT_VARINT, h.positiveDeltas ??= [], () => r.sint64('positive_delta'))) continue; break;
      case 14: if (r.repeated(WT_FIXED64, h.positiveCounts ??= [], () => r.double())) continue; break;
      case 15: if (wt === WT_BYTES) { h.createdTimestamp = decodeTimestamp(r.sub('Timestamp'), h.createdTimestamp); continue; } break;
      case 16: if (wt === WT_BYTES) { (h.exemplars ??= []).push(decodeExemplar(r.sub('Exemplar'))); continue; } break;
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

// ---------------------------------------------------------------------------------------------------
// Encoding

/** A growable byte buffer with protobuf primitives; nested messages are length-prefixed in place. */
export class ProtobufWriter {
  private buf = Buffer.allocUnsafe(4096);
  private pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** An unsigned varint of a non-negative integer up to 2^64-1 (number up to 2^53, or bigint). */
  varint(v: number | bigint): void {
    this.ensure(10);
    if (typeof v === 'number' && v < 0x80000000) {
      let x = v >>> 0;
      while (x >= 0x80) {
        this.buf[this.pos++] = (x & 0x7f) | 0x80;
        x >>>= 7;
      }
      this.buf[this.pos++] = x;
      return;
    }
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      this.buf[this.pos++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.pos++] = Number(x);
  }

  tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  double(field: number, v: number): void {
    this.tag(field, WT_FIXED64);
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  uint(field: number, v: number | bigint): void {
    this.tag(field, WT_VARINT);
    this.varint(v);
  }

  /** int32/int64: negative values as 10-byte two's complement. */
  int(field: number, v: number): void {
    this.tag(field, WT_VARINT);
    this.varint(v >= 0 ? v : BigInt.asUintN(64, BigInt(v)));
  }

  sint(field: number, v: number): void {
    this.tag(field, WT_VARINT);
    const big = BigInt(v);
    this.varint(v >= 0 && v < 0x40000000 ? v * 2 : (big << 1n) ^ (big >> 63n));
  }

  string(field: number, s: string): void {
    this.tag(field, WT_BYTES);
    const n = s.length;
    if (n < 0x80) {
      // Short ASCII strings (nearly all names and label values) are copied in JS, without native calls.
      this.ensure(n * 3 + 1);
      const buf = this.buf;
      const lenAt = this.pos;
      let p = lenAt + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[p++] = c;
      }
      if (i === n) {
        buf[lenAt] = n;
        this.pos = p;
        return;
      }
    }
    const len = Buffer.byteLength(s, 'utf8');
    this.varint(len);
    this.ensure(len);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  /** Starts a length-delimited field: one byte is reserved for the length, moved later if longer. */
  begin(field?: number): number {
    if (field !== undefined) this.tag(field, WT_BYTES);
    this.ensure(1);
    return this.pos++;
  }

  end(start: number): void {
    const len = this.pos - start - 1;
    if (len < 0x80) {
      this.buf[start] = len;
      return;
    }
    let n = 1;
    for (let x = len; x >= 0x80; x >>>= 7) n++;
    this.ensure(n - 1);
    this.buf.copyWithin(start + n, start + 1, this.pos);
    this.pos += n - 1;
    let x = len;
    let p = start;
    while (x >= 0x80) {
      this.buf[p++] = (x & 0x7f) | 0x80;
      x >>>= 7;
    }
    this.buf[p] = x;
  }

  get length(): number {
    return this.pos;
  }

  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

/** Appends one family as a length-prefixed MetricFamily message. */
export function writeFamilyDelimited(w: ProtobufWriter, f: MetricFamily): void {
  const start = w.begin();
  w.string(1, f.name);
  if (f.help !== undefined) w.string(2, f.help);
  w.uint(3, TYPE_NUMBER[f.type]);
  for (const m of f.metrics) writeMetric(w, m, f.type);
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

function writeMetric(w: ProtobufWriter, m: Metric, type: MetricType): void {
  const start = w.begin(4);
  writeLabels(w, 1, m.labels);
  switch (type) {
    case 'GAUGE':
    case 'UNTYPED': {
      const s = w.begin(type === 'GAUGE' ? 2 : 5);
      w.double(1, m.value ?? 0);
      w.end(s);
      break;
    }
    case 'COUNTER': {
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
