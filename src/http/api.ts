/**
 * The reference's JSON API (api/v1): the bodies of GET status and metrics, and the CORS headers of every
 * API answer (the routes, the admin wipe's included, are in routes.ts and server.ts). The bodies are
 * written by hand in Go's encoding/json layout (see format/go-json.ts) because clean-up scripts in the
 * wild compare and parse them: values as strings in Go's float format ("-0" included), counts of integer
 * summaries/histograms as unsigned integers, keys sorted, help omitted when empty, native histogram
 * buckets as [boundaries, lower, upper, count].
 */
import type { ServerResponse } from 'node:http';
import type { Histogram, Metric, MetricFamily, MetricType } from '../model/metric.js';
import type { StoreReader } from '../store/store-reader.js';
import type { GroupView } from '../store/group.js';
import type { GroupFamily } from '../store/family-index.js';
import { formatGoFloat } from '../format/float.js';
import { compareUtf8, goJsonMap, goJsonString, goJsonStringMap, goJsonTime } from '../format/go-json.js';
import { isFloatNative, nativeBuckets } from '../model/native-histogram.js';
import { Slicer, runSliced, sortSteps, type Steps } from '../slicer.js';
import { TextParts } from './text-parts.js';
import { sendPieces } from './respond.js';

export const CORS_HEADERS: Readonly<Record<string, string>> = {
  'Access-Control-Allow-Headers': 'Accept, Authorization, Content-Type, Origin',
  'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Expose-Headers': 'Date',
  'Cache-Control': 'no-cache, no-store, must-revalidate',
};

export function setCors(res: ServerResponse): void {
  for (const [k, v] of Object.entries(CORS_HEADERS)) res.setHeader(k, v);
}

export function sendJson(res: ServerResponse, dataJson: string): void {
  sendJsonPieces(res, [Buffer.from(dataJson, 'utf8')]);
}

const JSON_HEAD = Buffer.from('{"status":"success","data":');
const JSON_TAIL = Buffer.from('}');

/** The success envelope around `data`, given as pieces to write in order (a big body is never one string). */
export function sendJsonPieces(res: ServerResponse, data: readonly Buffer[]): void {
  sendPieces(res, 200, { 'Content-Type': 'application/json' }, [JSON_HEAD, ...data, JSON_TAIL]);
}

/** fmt.Sprint of a uint64 held as a double: plain decimal digits. */
/** A uint64 as Go prints it; `exact` is the count a protobuf push carried above 2^53, when there was one. */
function goUint(v: number, exact?: bigint): string {
  if (exact !== undefined) return exact.toString();
  if (!Number.isFinite(v) || v < 0) return '0';
  return BigInt(Math.floor(v)).toString();
}

const q = (s: string): string => goJsonString(s);
const qf = (v: number): string => q(formatGoFloat(v));

function labelsJson(m: Metric): string {
  return goJsonMap(m.labels.map((l) => [l.name, q(l.value)]));
}

function histogramFields(h: Histogram): Array<[string, string]> {
  const fields: Array<[string, string]> = [['sum', qf(h.sampleSum)]];
  if ((h.negativeSpans?.length ?? 0) + (h.positiveSpans?.length ?? 0) > 0) {
    const float = isFloatNative(h);
    const count = float ? qf(h.sampleCountFloat ?? 0) : q(goUint(h.sampleCount, h.sampleCountExact));
    const buckets = nativeBuckets(h).map(
      (b) => `[${b.boundaries},${qf(b.lower)},${qf(b.upper)},${float ? qf(b.count) : q(goUint(b.count))}]`,
    );
    // Go's json writes a nil slice (no non-empty bucket) as null.
    fields.push(['count', count], ['buckets', buckets.length === 0 ? 'null' : `[${buckets.join(',')}]`]);
    return fields;
  }
  const buckets = goJsonMap(
    h.buckets.map((b) => {
      const cf = b.cumulativeCountFloat ?? 0;
      return [formatGoFloat(b.upperBound), cf > 0 ? qf(cf) : q(goUint(b.cumulativeCount, b.cumulativeCountExact))];
    }),
  );
  const cf = h.sampleCountFloat ?? 0;
  fields.push(['buckets', buckets], ['count', cf > 0 ? qf(cf) : q(goUint(h.sampleCount, h.sampleCountExact))]);
  return fields;
}

function metricJson(m: Metric, type: MetricType): string {
  const fields: Array<[string, string]> = [['labels', labelsJson(m)]];
  if (type === 'SUMMARY') {
    const s = m.summary;
    fields.push(
      ['quantiles', goJsonMap((s?.quantiles ?? []).map((x) => [formatGoFloat(x.quantile), qf(x.value)]))],
      ['count', q(goUint(s?.sampleCount ?? 0, s?.sampleCountExact))],
      ['sum', qf(s?.sampleSum ?? 0)],
    );
  } else if (type === 'HISTOGRAM') {
    fields.push(...histogramFields(m.histogram ?? { sampleCount: 0, sampleSum: 0, buckets: [] }));
  } else {
    // GAUGE_HISTOGRAM falls into this branch in the reference too and shows "0".
    fields.push(['value', qf(type === 'GAUGE_HISTOGRAM' ? 0 : (m.value ?? 0))]);
  }
  return goJsonMap(fields);
}

/** Metrics encoded between two yields: a family of a million series is written in slices too. */
const METRICS_PER_STEP = 256;

/** The last time encoded: every family of one push has the same, and a group may hold a million. */
let lastTime = { ms: NaN, json: '' };

function timeJson(ms: number): string {
  if (lastTime.ms !== ms) lastTime = { ms, json: goJsonTime(ms) };
  return lastTime.json;
}

function* familyJsonSteps(gf: GroupFamily, out: TextParts): Steps<void> {
  const f: MetricFamily = gf.family;
  let head = `{"time_stamp":${timeJson(gf.lastPushMs)},"type":${q(f.type)}`;
  if (f.help !== undefined && f.help !== '') head += `,"help":${q(f.help)}`;
  out.add(`${head},"metrics":[`);
  const metrics = f.metrics;
  for (let i = 0; i < metrics.length; i++) {
    out.add((i === 0 ? '' : ',') + metricJson(metrics[i]!, f.type));
    if (i % METRICS_PER_STEP === METRICS_PER_STEP - 1) yield;
  }
  out.add(']}');
}

export function groupJson(g: GroupView): string {
  const out = new TextParts();
  for (const _ of groupJsonSteps(g, out));
  return Buffer.concat(out.finish()).toString('utf8');
}

/**
 * One group as Go's json writes a map: keys in UTF-8 byte order, sorted in steps (a group may hold a
 * million families). A family named "labels" or "last_push_successful" overwrites those keys, as in
 * the reference.
 */
function* groupJsonSteps(g: GroupView, out: TextParts): Steps<void> {
  const fixed = new Map<string, string>([
    ['labels', goJsonStringMap(g.labels)],
    ['last_push_successful', String(g.lastPushSuccessful)],
  ]);
  const keys = [...g.families.keys()];
  for (const k of fixed.keys()) if (!g.families.has(k)) keys.push(k);
  yield* sortSteps(keys, compareUtf8);
  out.add('{');
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    out.add(`${(i === 0 ? '' : ',') + goJsonString(k)}:`);
    const gf = g.families.get(k);
    if (gf === undefined) out.add(fixed.get(k)!);
    else yield* familyJsonSteps(gf, out);
    yield;
  }
  out.add('}');
}

/** GET /api/v1/metrics: every group (in store order; the reference's order is random). */
export function metricsJson(store: StoreReader): string {
  const parts: string[] = [];
  for (const g of store.groups()) parts.push(groupJson(g));
  return `[${parts.join(',')}]`;
}

/**
 * metricsJson() for a big store: the groups as they were when the request came (snapshots taken in
 * slices), encoded a slice at a time with the event loop served in between, so health checks and
 * pushes are answered while a store of 100k groups (260 MB of JSON) or one group of a million families
 * is written; as parts, so no single string has to hold it all.
 */
export async function metricsJsonPieces(store: StoreReader, slicer = new Slicer()): Promise<Buffer[]> {
  const groups = await store.snapshotGroupsAsync(slicer);
  return runSliced(metricsJsonSteps(groups), slicer);
}

function* metricsJsonSteps(groups: GroupView[]): Steps<Buffer[]> {
  const out = new TextParts();
  out.add('[');
  for (let i = 0; i < groups.length; i++) {
    if (i > 0) out.add(',');
    yield* groupJsonSteps(groups[i]!, out);
  }
  out.add(']');
  return out.finish();
}

export interface StatusInfo {
  flags: Record<string, string>;
  buildInfo: Record<string, string>;
  startedAt: Date;
}

/** GET /api/v1/status. */
export function statusJson(info: StatusInfo): string {
  return goJsonMap([
    ['build_information', goJsonStringMap(info.buildInfo)],
    ['flags', goJsonStringMap(info.flags)],
    ['start_time', goJsonTime(info.startedAt.getTime())],
  ]);
}
