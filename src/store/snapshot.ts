/**
 * The persistence file format (docs/persistence.md): a magic line with the format version, a JSON header
 * line, one JSON line per group, and an end line with the SHA-256 of everything before it. The end line
 * makes a truncated or altered file detectable; the version line lets a newer format be refused clearly.
 * Floats are JSON numbers, except NaN, ±Inf and -0, which JSON cannot carry: they are the strings
 * "NaN", "+Inf", "-Inf" and "-0". Decoding checks every field and names the first bad one.
 * A group line may carry a `lifecycle` object (issue 12: the TTL and interval its pushes declared, its last
 * success and failure, when its expiry clock started); files written before it existed load unchanged, and
 * a build before it ignores the field, so the format version stays 1.
 */
import { createHash } from 'node:crypto';
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
import { groupIdFor, type GroupingLabels } from '../model/grouping-key.js';
import type { StoredFamily, StoredGroup } from './store.js';
import { SnapshotError } from '../errors.js';
import { runSync, type Steps } from '../slicer.js';

export { SnapshotError };

export const SNAPSHOT_MAGIC = 'pushgateway-ts persistence';
export const SNAPSHOT_VERSION = 1;

/** A group's lifecycle as persisted (src/lifecycle/group-lifecycle.ts): times in ms since the epoch. */
export interface LifecycleRecord {
  ttlMs?: number;
  intervalMs?: number;
  lastSuccessMs: number;
  lastFailureMs: number;
  sinceMs: number;
}

/** A group of the file: the store's part and, when it has one, its lifecycle. */
export interface SnapshotGroup extends StoredGroup {
  lifecycle?: LifecycleRecord;
}

export interface SnapshotHeader {
  written: string;
  groups: number;
  writer: string;
}

// ---------------------------------------------------------------------------------------------------
// Encoding

type F = number | string;

function f(v: number): F {
  if (Number.isFinite(v)) return Object.is(v, -0) ? '-0' : v;
  return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
}

function ts(t: Timestamp): [number, number] {
  return [t.seconds, t.nanos];
}

function labels(ls: LabelPair[]): [string, string][] {
  return ls.map((l) => [l.name, l.value]);
}

function exemplar(e: Exemplar): Record<string, unknown> {
  const o: Record<string, unknown> = { labels: labels(e.labels), value: f(e.value) };
  if (e.timestamp !== undefined) o.timestamp = ts(e.timestamp);
  return o;
}

function summary(s: Summary): Record<string, unknown> {
  const o: Record<string, unknown> = {
    count: f(s.sampleCount),
    sum: f(s.sampleSum),
    quantiles: s.quantiles.map((q) => [f(q.quantile), f(q.value)]),
  };
  if (s.sampleCountExact !== undefined) o.countExact = s.sampleCountExact.toString();
  if (s.createdTimestamp !== undefined) o.created = ts(s.createdTimestamp);
  return o;
}

function spans(ss: BucketSpan[]): [number, number][] {
  return ss.map((s) => [s.offset, s.length]);
}

function histogram(h: Histogram): Record<string, unknown> {
  const o: Record<string, unknown> = {
    count: f(h.sampleCount),
    sum: f(h.sampleSum),
    buckets: h.buckets.map((b) => {
      const bo: Record<string, unknown> = { upper: f(b.upperBound), count: f(b.cumulativeCount) };
      if (b.cumulativeCountFloat !== undefined) bo.countFloat = f(b.cumulativeCountFloat);
      if (b.cumulativeCountExact !== undefined) bo.countExact = b.cumulativeCountExact.toString();
      if (b.exemplar !== undefined) bo.exemplar = exemplar(b.exemplar);
      return bo;
    }),
  };
  if (h.sampleCountFloat !== undefined) o.countFloat = f(h.sampleCountFloat);
  if (h.sampleCountExact !== undefined) o.countExact = h.sampleCountExact.toString();
  if (h.zeroCountExact !== undefined) o.zeroCountExact = h.zeroCountExact.toString();
  if (h.createdTimestamp !== undefined) o.created = ts(h.createdTimestamp);
  if (h.schema !== undefined) o.schema = h.schema;
  if (h.zeroThreshold !== undefined) o.zeroThreshold = f(h.zeroThreshold);
  if (h.zeroCount !== undefined) o.zeroCount = f(h.zeroCount);
  if (h.zeroCountFloat !== undefined) o.zeroCountFloat = f(h.zeroCountFloat);
  if (h.negativeSpans !== undefined) o.negativeSpans = spans(h.negativeSpans);
  if (h.negativeDeltas !== undefined) o.negativeDeltas = h.negativeDeltas.map(f);
  if (h.negativeCounts !== undefined) o.negativeCounts = h.negativeCounts.map(f);
  if (h.positiveSpans !== undefined) o.positiveSpans = spans(h.positiveSpans);
  if (h.positiveDeltas !== undefined) o.positiveDeltas = h.positiveDeltas.map(f);
  if (h.positiveCounts !== undefined) o.positiveCounts = h.positiveCounts.map(f);
  if (h.exemplars !== undefined) o.exemplars = h.exemplars.map(exemplar);
  return o;
}

function metric(m: Metric): Record<string, unknown> {
  const o: Record<string, unknown> = { labels: labels(m.labels) };
  if (m.value !== undefined) o.value = f(m.value);
  if (m.summary !== undefined) o.summary = summary(m.summary);
  if (m.histogram !== undefined) o.histogram = histogram(m.histogram);
  if (m.createdTimestamp !== undefined) o.created = ts(m.createdTimestamp);
  if (m.exemplar !== undefined) o.exemplar = exemplar(m.exemplar);
  if (m.timestampMs !== undefined) o.timestampMs = m.timestampMs;
  return o;
}

function family(sf: StoredFamily): Record<string, unknown> {
  const fam = sf.family;
  const o: Record<string, unknown> = { name: fam.name, type: fam.type };
  if (fam.help !== undefined) o.help = fam.help;
  if (fam.unit !== undefined) o.unit = fam.unit;
  o.lastPushMs = sf.lastPushMs;
  o.rank = sf.rank;
  o.metrics = fam.metrics.map(metric);
  return o;
}

/** One group as its line of the file (without the newline). */
export function encodeGroup(g: StoredGroup, lifecycle?: LifecycleRecord): string {
  const o: Record<string, unknown> = { labels: g.labels, families: g.families.map(family) };
  if (lifecycle !== undefined) o.lifecycle = lifecycle;
  return JSON.stringify(o);
}

export function encodeFirstLines(header: SnapshotHeader): string {
  return `${SNAPSHOT_MAGIC} ${SNAPSHOT_VERSION}\n${JSON.stringify(header)}\n`;
}

/** Incremental writer of the end line: feed it every byte written before it. */
export class SnapshotHasher {
  private readonly hash = createHash('sha256');
  update(chunk: string): void {
    this.hash.update(chunk, 'utf8');
  }
  endLine(): string {
    return `end ${this.hash.digest('hex')}\n`;
  }
}

/** The whole file in one string (tests and small stores; the gateway writes it in chunks). */
export function encodeSnapshot(groups: SnapshotGroup[], header: Omit<SnapshotHeader, 'groups'>): string {
  const hasher = new SnapshotHasher();
  let out = encodeFirstLines({ ...header, groups: groups.length });
  for (const g of groups) out += `${encodeGroup(g, g.lifecycle)}\n`;
  hasher.update(out);
  return out + hasher.endLine();
}

// ---------------------------------------------------------------------------------------------------
// Decoding

const TYPES: readonly MetricType[] = ['COUNTER', 'GAUGE', 'SUMMARY', 'UNTYPED', 'HISTOGRAM', 'GAUGE_HISTOGRAM'];

function bad(path: string, what: string): never {
  throw new SnapshotError('invalid', `${path}: ${what}`);
}

function obj(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(path, 'expected an object');
  return v as Record<string, unknown>;
}

function arr(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) bad(path, 'expected an array');
  return v;
}

function str(v: unknown, path: string): string {
  if (typeof v !== 'string') bad(path, 'expected a string');
  return v;
}

function num(v: unknown, path: string): number {
  if (typeof v === 'number') return v;
  switch (v) {
    case 'NaN':
      return NaN;
    case '+Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    case '-0':
      return -0;
  }
  return bad(path, 'expected a float');
}

function int(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) bad(path, 'expected an integer');
  return v;
}

/** A count above 2^53, kept exactly as a decimal string (JSON numbers would round it). */
function exact(v: unknown, path: string): bigint {
  if (typeof v !== 'string' || !/^[0-9]{1,20}$/.test(v)) bad(path, 'expected an unsigned integer in a string');
  const n = BigInt(v);
  if (n >= 2n ** 64n) bad(path, 'expected an unsigned 64-bit integer');
  return n;
}

function opt<T>(
  o: Record<string, unknown>,
  key: string,
  path: string,
  read: (v: unknown, p: string) => T,
): T | undefined {
  return o[key] === undefined ? undefined : read(o[key], `${path}.${key}`);
}

function readTs(v: unknown, path: string): Timestamp {
  const a = arr(v, path);
  if (a.length !== 2) bad(path, 'expected [seconds, nanos]');
  return { seconds: int(a[0], `${path}[0]`), nanos: int(a[1], `${path}[1]`) };
}

function readLabels(v: unknown, path: string): LabelPair[] {
  return arr(v, path).map((p, i) => {
    const a = arr(p, `${path}[${i}]`);
    if (a.length !== 2) bad(`${path}[${i}]`, 'expected [name, value]');
    return { name: str(a[0], `${path}[${i}][0]`), value: str(a[1], `${path}[${i}][1]`) };
  });
}

function readExemplar(v: unknown, path: string): Exemplar {
  const o = obj(v, path);
  const e: Exemplar = { labels: readLabels(o.labels, `${path}.labels`), value: num(o.value, `${path}.value`) };
  const t = opt(o, 'timestamp', path, readTs);
  if (t !== undefined) e.timestamp = t;
  return e;
}

function readSummary(v: unknown, path: string): Summary {
  const o = obj(v, path);
  const s: Summary = {
    sampleCount: num(o.count, `${path}.count`),
    sampleSum: num(o.sum, `${path}.sum`),
    quantiles: arr(o.quantiles, `${path}.quantiles`).map((q, i): Quantile => {
      const a = arr(q, `${path}.quantiles[${i}]`);
      return { quantile: num(a[0], `${path}.quantiles[${i}][0]`), value: num(a[1], `${path}.quantiles[${i}][1]`) };
    }),
  };
  const x = opt(o, 'countExact', path, exact);
  if (x !== undefined) s.sampleCountExact = x;
  const c = opt(o, 'created', path, readTs);
  if (c !== undefined) s.createdTimestamp = c;
  return s;
}

function readSpans(v: unknown, path: string): BucketSpan[] {
  return arr(v, path).map((s, i) => {
    const a = arr(s, `${path}[${i}]`);
    return { offset: int(a[0], `${path}[${i}][0]`), length: int(a[1], `${path}[${i}][1]`) };
  });
}

function readNums(v: unknown, path: string): number[] {
  return arr(v, path).map((x, i) => num(x, `${path}[${i}]`));
}

function readHistogram(v: unknown, path: string): Histogram {
  const o = obj(v, path);
  const h: Histogram = {
    sampleCount: num(o.count, `${path}.count`),
    sampleSum: num(o.sum, `${path}.sum`),
    buckets: arr(o.buckets, `${path}.buckets`).map((b, i): Bucket => {
      const p = `${path}.buckets[${i}]`;
      const bo = obj(b, p);
      const bucket: Bucket = { upperBound: num(bo.upper, `${p}.upper`), cumulativeCount: num(bo.count, `${p}.count`) };
      const cf = opt(bo, 'countFloat', p, num);
      if (cf !== undefined) bucket.cumulativeCountFloat = cf;
      const cx = opt(bo, 'countExact', p, exact);
      if (cx !== undefined) bucket.cumulativeCountExact = cx;
      const e = opt(bo, 'exemplar', p, readExemplar);
      if (e !== undefined) bucket.exemplar = e;
      return bucket;
    }),
  };
  const set = <K extends keyof Histogram>(key: K, value: Histogram[K] | undefined): void => {
    if (value !== undefined) h[key] = value;
  };
  set('sampleCountFloat', opt(o, 'countFloat', path, num));
  set('sampleCountExact', opt(o, 'countExact', path, exact));
  set('zeroCountExact', opt(o, 'zeroCountExact', path, exact));
  set('createdTimestamp', opt(o, 'created', path, readTs));
  set('schema', opt(o, 'schema', path, int));
  set('zeroThreshold', opt(o, 'zeroThreshold', path, num));
  set('zeroCount', opt(o, 'zeroCount', path, num));
  set('zeroCountFloat', opt(o, 'zeroCountFloat', path, num));
  set('negativeSpans', opt(o, 'negativeSpans', path, readSpans));
  set('negativeDeltas', opt(o, 'negativeDeltas', path, readNums));
  set('negativeCounts', opt(o, 'negativeCounts', path, readNums));
  set('positiveSpans', opt(o, 'positiveSpans', path, readSpans));
  set('positiveDeltas', opt(o, 'positiveDeltas', path, readNums));
  set('positiveCounts', opt(o, 'positiveCounts', path, readNums));
  set(
    'exemplars',
    opt(o, 'exemplars', path, (x, p) => arr(x, p).map((e, i) => readExemplar(e, `${p}[${i}]`))),
  );
  return h;
}

function readMetric(v: unknown, path: string): Metric {
  const o = obj(v, path);
  const m: Metric = { labels: readLabels(o.labels, `${path}.labels`) };
  const value = opt(o, 'value', path, num);
  if (value !== undefined) m.value = value;
  const s = opt(o, 'summary', path, readSummary);
  if (s !== undefined) m.summary = s;
  const h = opt(o, 'histogram', path, readHistogram);
  if (h !== undefined) m.histogram = h;
  const c = opt(o, 'created', path, readTs);
  if (c !== undefined) m.createdTimestamp = c;
  const e = opt(o, 'exemplar', path, readExemplar);
  if (e !== undefined) m.exemplar = e;
  const t = opt(o, 'timestampMs', path, int);
  if (t !== undefined) m.timestampMs = t;
  return m;
}

function readFamily(v: unknown, path: string): StoredFamily {
  const o = obj(v, path);
  const name = str(o.name, `${path}.name`);
  const p = `${path} (${JSON.stringify(name)})`;
  const type = str(o.type, `${p}.type`) as MetricType;
  if (!TYPES.includes(type)) bad(`${p}.type`, `unknown metric type ${JSON.stringify(type)}`);
  const fam: MetricFamily = {
    name,
    type,
    metrics: arr(o.metrics, `${p}.metrics`).map((m, i) => readMetric(m, `${p}.metrics[${i}]`)),
  };
  const help = opt(o, 'help', p, str);
  if (help !== undefined) fam.help = help;
  const unit = opt(o, 'unit', p, str);
  if (unit !== undefined) fam.unit = unit;
  return { family: fam, lastPushMs: num(o.lastPushMs, `${p}.lastPushMs`), rank: int(o.rank, `${p}.rank`) };
}

function readLifecycle(v: unknown, path: string): LifecycleRecord {
  const o = obj(v, path);
  const time = (key: string): number => {
    const t = num(o[key], `${path}.${key}`);
    if (!Number.isFinite(t) || t < 0) bad(`${path}.${key}`, 'expected a time in ms since the epoch');
    return t;
  };
  const r: LifecycleRecord = {
    lastSuccessMs: time('lastSuccessMs'),
    lastFailureMs: time('lastFailureMs'),
    sinceMs: time('sinceMs'),
  };
  if (o.ttlMs !== undefined) r.ttlMs = time('ttlMs');
  if (o.intervalMs !== undefined) r.intervalMs = time('intervalMs');
  return r;
}

function readGroup(line: string, n: number): SnapshotGroup {
  const path = `group ${n}`;
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (err) {
    bad(path, `not JSON (${(err as Error).message})`);
  }
  const o = obj(v, path);
  const lo = obj(o.labels, `${path}.labels`);
  const groupLabels: GroupingLabels = {};
  for (const [k, val] of Object.entries(lo)) groupLabels[k] = str(val, `${path}.labels.${k}`);
  if (typeof groupLabels.job !== 'string' || groupLabels.job === '') bad(`${path}.labels`, 'no job label');
  const families = arr(o.families, `${path}.families`).map((fv, i) => readFamily(fv, `${path}.families[${i}]`));
  const g: SnapshotGroup = { labels: groupLabels, families };
  if (o.lifecycle !== undefined) g.lifecycle = readLifecycle(o.lifecycle, `${path}.lifecycle`);
  return g;
}

/**
 * Parses a whole persistence file in one go. Throws SnapshotError naming the problem: not our format (e.g.
 * the reference's Go gob file), a newer format version, a missing end line (truncated), a checksum
 * mismatch, or the first invalid field.
 */
export function decodeSnapshot(data: Buffer): DecodedSnapshot {
  return runSync(decodeSnapshotSteps(data));
}

export interface DecodedSnapshot {
  header: SnapshotHeader;
  groups: SnapshotGroup[];
}

/** Bytes hashed, and lines scanned, between two points where a sliced decode may pause. */
const HASH_CHUNK = 1 << 20;
const LINES_PER_STEP = 1024;

/**
 * decodeSnapshot() as steps, pausing between hash chunks and between groups: a 100k-group snapshot is
 * hundreds of MB and seconds of JSON, which a replica restoring it must not spend in one turn of the event
 * loop (docs/high-availability.md, "How a mirror catches up"). It walks the buffer line by line instead of
 * making one string of it, and checks exactly what decodeSnapshot checks, in the same order.
 */
export function* decodeSnapshotSteps(data: Buffer): Steps<DecodedSnapshot> {
  const firstNl = data.indexOf(0x0a);
  const first = data.subarray(0, firstNl < 0 ? Math.min(data.length, 64) : firstNl).toString('latin1');
  const m = /^pushgateway-ts persistence (\d+)$/.exec(first);
  if (m === null) {
    if (data.length === 0) throw new SnapshotError('truncated', 'the file is empty');
    if (first.startsWith(SNAPSHOT_MAGIC.slice(0, Math.min(first.length, SNAPSHOT_MAGIC.length))) && firstNl < 0) {
      throw new SnapshotError('truncated', 'the file ends inside its first line');
    }
    throw new SnapshotError(
      'foreign',
      'not a pushgateway-ts persistence file (files written by the Go Pushgateway cannot be read; see ' +
        'docs/persistence.md)',
    );
  }
  const version = Number(m[1]);
  if (version !== SNAPSHOT_VERSION) {
    throw new SnapshotError(
      version > SNAPSHOT_VERSION ? 'future-version' : 'invalid',
      `persistence format version ${version}, but this build reads version ${SNAPSHOT_VERSION} only`,
    );
  }
  if (data.length === 0 || data[data.length - 1] !== 0x0a)
    throw new SnapshotError('truncated', 'the file does not end with a newline');
  const lastNl = data.lastIndexOf(0x0a, data.length - 2);
  const endLine = data.subarray(lastNl + 1, data.length - 1).toString('latin1');
  const em = /^end ([0-9a-f]{64})$/.exec(endLine);
  if (em === null) throw new SnapshotError('truncated', 'no end line (the file is incomplete)');
  const hash = createHash('sha256');
  for (let i = 0; i <= lastNl; i += HASH_CHUNK) {
    hash.update(data.subarray(i, Math.min(i + HASH_CHUNK, lastNl + 1)));
    yield;
  }
  if (hash.digest('hex') !== em[1]) {
    throw new SnapshotError('checksum', 'checksum mismatch (the file was altered or damaged)');
  }
  // The lines between the magic line and the end line: the header, then one per group (empty ones skipped).
  const body = data.subarray(firstNl + 1, lastNl);
  const lineEnd = (from: number): number => {
    const nl = body.indexOf(0x0a, from);
    return nl < 0 ? body.length : nl;
  };
  const headerEnd = lineEnd(0);
  let header: SnapshotHeader;
  try {
    const h = obj(JSON.parse(body.toString('utf8', 0, headerEnd)), 'header');
    header = {
      written: str(h.written, 'header.written'),
      groups: int(h.groups, 'header.groups'),
      writer: str(h.writer, 'header.writer'),
    };
  } catch (err) {
    if (err instanceof SnapshotError) throw err;
    throw new SnapshotError('invalid', `header: not JSON (${(err as Error).message})`);
  }
  let held = 0;
  let scanned = 0;
  for (let pos = headerEnd + 1; pos <= body.length; ) {
    const end = lineEnd(pos);
    if (end > pos) held++;
    pos = end + 1;
    if (++scanned % LINES_PER_STEP === 0) yield;
  }
  if (held !== header.groups) {
    throw new SnapshotError('invalid', `header says ${header.groups} groups, the file holds ${held}`);
  }
  const groups: SnapshotGroup[] = [];
  const seen = new Set<string>();
  for (let pos = headerEnd + 1; pos <= body.length; ) {
    const end = lineEnd(pos);
    if (end > pos) {
      const g = readGroup(body.toString('utf8', pos, end), groups.length + 1);
      const key = groupIdFor(g.labels);
      if (seen.has(key)) bad(`group ${groups.length + 1}.labels`, 'the same grouping key as an earlier group');
      seen.add(key);
      groups.push(g);
      yield;
    }
    pos = end + 1;
  }
  return { header, groups };
}
