/**
 * One write request as the fields of a Redis Stream entry, and back (docs/high-availability.md, "What is
 * stored in Redis"). Every mirror applies the decoded request to its own store, so the decoding must give
 * back exactly what was encoded, bit for bit: the families as length-delimited protobuf MetricFamily
 * messages written by our encoder in its exact mode (absent values stay absent; doubles as their 8 bytes, so
 * NaN payloads and -0 survive), decoded as written (empty and repeated families included; a push body's
 * strings are always UTF-8, text-body.ts sees to it); the push time as the shortest decimal that reads
 * back as the same double; the grouping labels as JSON, which keeps the invalid UTF-8 bytes a URL may
 * carry (model/raw-bytes.ts holds them as lone surrogates, and JSON escapes those losslessly).
 *
 * Version 2 adds the lifecycle (docs/lifecycle.md, "With the Redis store"): a push's declared TTL and
 * interval (`ttl`, `interval`, ms as shortest decimals; absent when not declared) and the `expire` entry,
 * its items as JSON `[[labels pairs, sinceMs], ...]` (JSON numbers give doubles back exactly).
 *
 * Version 3 adds the `deletes` entry (the delete by selector, store/delete-groups.ts), its `groups` one line
 * of JSON label pairs per group. A version-2 mirror would skip it (an op it does not know) and keep the groups the
 * others deleted, so the version changed: the `<prefix>config` check keeps replicas of 2 and 3 off one log.
 */
import type { GroupingLabels } from '../../model/grouping-key.js';
import type { MetricFamily } from '../../model/metric.js';
import { ProtobufWriter, writeFamilyDelimited } from '../../format/protobuf.js';
import { parseProtobufBodySliced } from '../../format/protobuf-decode.js';
import { Slicer, mapSteps, runSliced, type Steps } from '../../slicer.js';
import type { PushRequest } from '../store.js';
import type { ExpireItem } from '../../lifecycle/expire-write.js';
import type { PushLifecycle } from '../../lifecycle/push-headers.js';

/** The entry format version (`v`): a mirror refuses an entry of another version rather than misread it. */
export const ENTRY_VERSION = '3';

export type LogEntry =
  | { op: 'push'; req: PushRequest }
  | { op: 'delete'; labels: GroupingLabels }
  | { op: 'deletes'; groups: readonly GroupingLabels[] }
  | { op: 'wipe' }
  | { op: 'expire'; items: readonly ExpireItem[] };

/** The stream entry's fields, as XADD takes them. `from` names the replica that appended it. */
export type EntryFields = Record<string, string | Buffer>;

/** Families encoded between two chances to pause (a big push's entry is built in slices). */
const FAMILIES_PER_STEP = 256;

async function encodeFamilies(families: readonly MetricFamily[], slicer: Slicer): Promise<Buffer> {
  const w = new ProtobufWriter();
  for (let i = 0; i < families.length; i++) {
    writeFamilyDelimited(w, families[i]!, true);
    if (i % FAMILIES_PER_STEP === FAMILIES_PER_STEP - 1) await slicer.maybePause();
  }
  return w.finish();
}

function decodeFamilies(body: Buffer, slicer: Slicer): Promise<MetricFamily[]> {
  return parseProtobufBodySliced(body, { utf8Names: true, asWritten: true }, slicer);
}

function encodeLabels(labels: GroupingLabels): string {
  return JSON.stringify(Object.entries(labels));
}

function decodeLabels(json: string): GroupingLabels {
  return labelsOf(JSON.parse(json) as unknown);
}

function labelsOf(pairs: unknown): GroupingLabels {
  if (!Array.isArray(pairs)) throw new Error('labels are not a list of pairs');
  // A prototype-less object, as the URL parser builds (a label may be named __proto__).
  const labels = Object.create(null) as GroupingLabels;
  for (const p of pairs as unknown[]) {
    if (!Array.isArray(p) || typeof p[0] !== 'string' || typeof p[1] !== 'string') {
      throw new Error('a label is not a [name, value] pair of strings');
    }
    labels[p[0]] = p[1];
  }
  return labels;
}

/**
 * One line of JSON label pairs per group (JSON escapes every line break), built and read in slices: a
 * selector matching 100k groups made a 5 MB list whose encoding held the event loop 100s of ms in one go.
 */
function* encodeGroupsSteps(groups: readonly GroupingLabels[]): Steps<string> {
  return (yield* mapSteps(groups, (labels) => JSON.stringify(Object.entries(labels)))).join('\n');
}

function* decodeGroupsSteps(text: string): Steps<GroupingLabels[]> {
  if (text === '') return [];
  return yield* mapSteps(text.split('\n'), (line) => {
    const pairs = JSON.parse(line) as unknown;
    if (!Array.isArray(pairs)) throw new Error('deleted groups are not a list of label pairs, one per line');
    return labelsOf(pairs);
  });
}

function encodeExpire(items: readonly ExpireItem[]): string {
  return JSON.stringify(items.map((it) => [Object.entries(it.labels), it.sinceMs]));
}

function decodeExpire(json: string): ExpireItem[] {
  const list = JSON.parse(json) as unknown;
  if (!Array.isArray(list)) throw new Error('expire items are not a list');
  return list.map((it: unknown) => {
    if (!Array.isArray(it) || typeof it[1] !== 'number') throw new Error('an expire item is not [labels, sinceMs]');
    return { labels: labelsOf(it[0]), sinceMs: it[1] };
  });
}

function decodeMs(v: Buffer | undefined, what: string): number | undefined {
  if (v === undefined) return undefined;
  const ms = Number(v.toString('latin1'));
  if (!Number.isFinite(ms) || ms < 0) throw new Error(`log entry with a ${what} that is not a duration`);
  return ms;
}

export async function encodeEntry(entry: LogEntry, from: string, slicer = new Slicer()): Promise<EntryFields> {
  const fields: EntryFields = { op: entry.op, v: ENTRY_VERSION, from };
  if (entry.op === 'delete') fields.labels = encodeLabels(entry.labels);
  if (entry.op === 'expire') fields.items = encodeExpire(entry.items);
  if (entry.op === 'deletes') fields.groups = await runSliced(encodeGroupsSteps(entry.groups), slicer);
  if (entry.op !== 'push') return fields;
  const req = entry.req;
  fields.labels = encodeLabels(req.labels);
  fields.replace = req.replace ? '1' : '0';
  fields.time = String(req.timeMs);
  if (req.lifecycle?.ttlMs !== undefined) fields.ttl = String(req.lifecycle.ttlMs);
  if (req.lifecycle?.intervalMs !== undefined) fields.interval = String(req.lifecycle.intervalMs);
  fields.families = await encodeFamilies(req.families, slicer);
  // Present, even empty, only when the push had the list: the store tells "none" from "not given".
  if (req.emptyFamilies !== undefined) fields.empty = await encodeFamilies(req.emptyFamilies, slicer);
  return fields;
}

/** The entry read back, with the replica that appended it. Throws on an entry this code cannot read. */
export async function decodeEntry(
  fields: Readonly<Record<string, Buffer>>,
  slicer = new Slicer(),
): Promise<{ entry: LogEntry; from: string }> {
  const text = (name: string): string => {
    const v = fields[name];
    if (v === undefined) throw new Error(`log entry without its ${name} field`);
    return v.toString('utf8');
  };
  const version = text('v');
  if (version !== ENTRY_VERSION) {
    throw new Error(`log entry of format version ${version}, this gateway reads version ${ENTRY_VERSION}`);
  }
  const from = text('from');
  const op = text('op');
  if (op === 'wipe') return { entry: { op }, from };
  if (op === 'delete') return { entry: { op, labels: decodeLabels(text('labels')) }, from };
  if (op === 'expire') return { entry: { op, items: decodeExpire(text('items')) }, from };
  if (op === 'deletes')
    return { entry: { op, groups: await runSliced(decodeGroupsSteps(text('groups')), slicer) }, from };
  if (op !== 'push') throw new Error(`log entry of unknown op ${JSON.stringify(op)}`);
  const timeMs = Number(text('time'));
  if (!Number.isFinite(timeMs)) throw new Error('log entry with a push time that is not a number');
  const families = fields.families;
  if (families === undefined) throw new Error('log entry without its families field');
  const req: PushRequest = {
    labels: decodeLabels(text('labels')),
    families: await decodeFamilies(families, slicer),
    replace: text('replace') === '1',
    timeMs,
  };
  if (fields.empty !== undefined) req.emptyFamilies = await decodeFamilies(fields.empty, slicer);
  const ttlMs = decodeMs(fields.ttl, 'TTL');
  const intervalMs = decodeMs(fields.interval, 'interval');
  if (ttlMs !== undefined || intervalMs !== undefined) {
    const lifecycle: PushLifecycle = {};
    if (ttlMs !== undefined) lifecycle.ttlMs = ttlMs;
    if (intervalMs !== undefined) lifecycle.intervalMs = intervalMs;
    req.lifecycle = lifecycle;
  }
  return { entry: { op, req }, from };
}
