/**
 * PUT / POST / DELETE on /metrics/job[@base64]/<job>{/<name>[@base64]/<value>}: grouping key from the
 * URL, body read and decoded, parsed into the model, applied to the store. Validation order, status
 * codes and error texts follow the reference: URL errors, then body errors, then the store's verdict.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from './router.js';
import type { MetricFamily } from '../model/metric.js';
import type { StoreReader } from '../store/store-reader.js';
import type { StoreWriter } from '../store/store-writer.js';
import type { NameSet } from '../store/write-order.js';
import type { Logger } from '../observe/logger.js';
import type { LogLevel } from '../config.js';
import type { PerClientLogLimit } from '../observe/per-client-log-limit.js';
import { excerpt } from '../observe/log-excerpt.js';
import { peerAddress, peerIp } from './peer-address.js';
import type { SelfMetrics } from '../observe/self-metrics.js';
import { groupIdFor, parseGroupingKey, type GroupingLabels } from '../model/grouping-key.js';
import { parseTextBodySliced } from '../format/text-body.js';
import { decodeBody, readBody } from '../format/body.js';
import { PROTOBUF_MEDIA_TYPE, PROTOBUF_PROTO, parseProtobufBodySliced } from '../format/protobuf.js';
import { Slicer } from '../slicer.js';
import { collectAfterBigWork } from '../observe/gc.js';
import { HttpError, StoreUnavailableError, formatProblems } from '../errors.js';
import { sendEmpty, sendHttpError } from './respond.js';
import type { PushGuards } from './push-guards.js';
import type { GroupLifecycle } from '../lifecycle/group-lifecycle.js';
import { parsePushLifecycle, type PushLifecycle } from '../lifecycle/push-headers.js';

export interface PushContext {
  /** The local store, read by the push guards (the group a push replaces). */
  store: StoreReader;
  /** Where every push and delete goes (store-writer.ts). */
  writer: StoreWriter;
  logger: Logger;
  self: SelfMetrics;
  utf8Names: boolean;
  checkConsistency: boolean;
  maxBodyBytes: number;
  /** Bounds the lines rejected pushes log per client (see observe/per-client-log-limit.ts). */
  rejectionLogLimit: PerClientLogLimit;
  /** Memory budget, in-flight body budget and per-push limits (absent: none). */
  guards?: PushGuards;
  /** TTL and interval per group (src/lifecycle/), fed with each push's outcome and each delete. */
  lifecycle?: GroupLifecycle;
}

function groupingFromParams(params: Params, jobIsBase64: boolean, utf8Names: boolean): GroupingLabels {
  return parseGroupingKey(params.job!, jobIsBase64, params.labels ?? '', { utf8Names });
}

/**
 * One log line for a rejected push: client-controlled texts cut to an excerpt, and at most so many lines
 * per client per window (the rest counted and reported when the window ends).
 */
function logRejection(
  ctx: PushContext,
  req: IncomingMessage,
  level: LogLevel,
  msg: string,
  fields: Record<string, unknown>,
): void {
  if (!ctx.logger.enabled(level)) return;
  if (!ctx.rejectionLogLimit.admit(peerIp(req.socket), level)) return;
  ctx.logger[level](msg, fields);
}

/**
 * The reference's test: mime.ParseMediaType gives exactly the protobuf media type with
 * proto=io.prometheus.client.MetricFamily and encoding=delimited, in any order. Anything else, including
 * a header mime.ParseMediaType rejects (a parameter without `=`, an empty `;;` element, a value that is
 * neither a token nor a quoted string, two different values for one name), means the text format.
 */
export function isProtobuf(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const params = parseMediaTypeParams(contentType, PROTOBUF_MEDIA_TYPE);
  return params !== undefined && params.get('proto') === PROTOBUF_PROTO && params.get('encoding') === 'delimited';
}

const TSPECIALS = '()<>@,;:\\"/[]?=';

function isTokenChar(c: string): boolean {
  const code = c.charCodeAt(0);
  return code > 0x20 && code < 0x80 && !TSPECIALS.includes(c);
}

function consumeToken(v: string): [string, string] {
  let i = 0;
  while (i < v.length && isTokenChar(v[i]!)) i++;
  return [v.slice(0, i), v.slice(i)];
}

/** Go's mime consumeValue: a token, or a quoted string (a backslash escapes only tspecials). */
function consumeValue(v: string): [string, string] {
  if (v === '') return ['', ''];
  if (v[0] !== '"') return consumeToken(v);
  // Unescaped runs are sliced, not copied a character at a time (a quoted value may be 1 MiB: 80 ms so).
  const parts: string[] = [];
  let from = 1;
  for (let i = 1; i < v.length; i++) {
    const c = v[i]!;
    if (c === '"') {
      parts.push(v.slice(from, i));
      return [parts.join(''), v.slice(i + 1)];
    }
    if (c === '\\' && i + 1 < v.length && TSPECIALS.includes(v[i + 1]!)) {
      parts.push(v.slice(from, i));
      from = ++i; // the escaped character starts the next run
      continue;
    }
    if (c === '\r' || c === '\n') return ['', v];
  }
  return ['', v];
}

/**
 * mime.ParseMediaType (Go 1.2x) reduced to what the push handler needs: the parameters when the media
 * type is `mediaType`, undefined when it is another type or the header does not parse.
 */
function parseMediaTypeParams(header: string, mediaType: string): Map<string, string> | undefined {
  const semi = header.indexOf(';');
  const base = semi < 0 ? header : header.slice(0, semi);
  if (base.toLowerCase().trim() !== mediaType) return undefined;
  const params = new Map<string, string>();
  let v = semi < 0 ? '' : header.slice(semi);
  for (;;) {
    v = v.trimStart();
    if (v === '') return params;
    // consumeMediaParam
    let rest = v;
    if (!rest.startsWith(';')) return undefined;
    rest = rest.slice(1).trimStart();
    const [rawKey, afterKey] = consumeToken(rest);
    const key = rawKey.toLowerCase();
    if (key === '') {
      if (v.trim() === ';') return params; // a trailing semicolon is no error
      return undefined;
    }
    rest = afterKey.trimStart();
    if (!rest.startsWith('=')) return undefined;
    rest = rest.slice(1).trimStart();
    const [value, afterValue] = consumeValue(rest);
    if (value === '' && afterValue === rest) return undefined;
    const previous = params.get(key);
    if (previous !== undefined && previous !== value) return undefined; // "mime: duplicate parameter name"
    params.set(key, value);
    v = afterValue;
  }
}

/** The parser's map of family names, with the protobuf families that came without metrics. */
function pushNames(
  parsed: ReadonlyMap<string, unknown> | undefined,
  empty: ReadonlyMap<string, unknown> | undefined,
): NameSet | undefined {
  if (parsed === undefined || empty === undefined || empty.size === 0) return parsed;
  return {
    has: (name) => parsed.has(name) || empty.has(name),
    size: parsed.size + empty.size,
    *keys() {
      yield* parsed.keys();
      yield* empty.keys();
    },
  };
}

/** Approximate request size as client_golang's instrumentation computes it. */
function approximateSize(req: IncomingMessage, bodyLength: number): number {
  let n = (req.url ?? '').length + req.method!.length + `HTTP/${req.httpVersion}`.length;
  for (let i = 0; i < req.rawHeaders.length; i += 2) n += req.rawHeaders[i]!.length + req.rawHeaders[i + 1]!.length;
  return n + bodyLength;
}

/** A push of a decoded body this big is followed by a collection (its parse leaves much garbage). */
const BIG_PUSH_BYTES = 1024 * 1024;

export async function handlePush(
  ctx: PushContext,
  req: IncomingMessage,
  res: ServerResponse,
  params: Params,
  jobIsBase64: boolean,
): Promise<number> {
  const started = performance.now();
  const method = req.method!;
  let labels: GroupingLabels;
  try {
    labels = groupingFromParams(params, jobIsBase64, ctx.utf8Names);
  } catch (err) {
    // The reference's duration and size summaries wrap the whole handler: URL errors are observed too.
    const status = reject(ctx, req, res, err, 'invalid grouping key in push URL');
    ctx.self.observePush(method, (performance.now() - started) / 1000, approximateSize(req, 0));
    return status;
  }
  // Computed once: the guards, the lifecycle and the store all look the group up by it.
  const groupId = groupIdFor(labels);
  let declared: PushLifecycle = {};
  try {
    if (ctx.lifecycle !== undefined) declared = parsePushLifecycle(req.headers);
  } catch (err) {
    const status = reject(ctx, req, res, err, 'invalid lifecycle header in push');
    ctx.self.observePush(method, (performance.now() - started) / 1000, approximateSize(req, 0));
    return status;
  }
  let bodyLength = 0;
  try {
    const hold = ctx.guards?.holdFor(res);
    const raw = await readBody(req, ctx.maxBodyBytes, hold);
    bodyLength = raw.length;
    const body = await decodeBody(req.headers['content-encoding'], raw, ctx.maxBodyBytes, hold);
    ctx.guards?.beforeParse(body, isProtobuf(req.headers['content-type']), ctx.store.groupById(groupId));
    let emptyFamilies: Map<string, MetricFamily> | undefined;
    // Parsed in slices: a body of a million lines must not hold other clients' requests.
    const slicer = new Slicer();
    const guards = ctx.guards;
    if (guards !== undefined) slicer.whenResumed(() => guards.duringParse());
    let parsedNames: ReadonlyMap<string, unknown> | undefined;
    const onNames = (names: ReadonlyMap<string, unknown>): void => {
      parsedNames = names;
    };
    const families = isProtobuf(req.headers['content-type'])
      ? await parseProtobufBodySliced(
          body,
          { utf8Names: ctx.utf8Names, emptyFamilies: (emptyFamilies = new Map()), onNames },
          slicer,
        )
      : await parseTextBodySliced(body, { utf8Names: ctx.utf8Names, onNames }, slicer);
    ctx.guards?.afterParse(families, labels, ctx.store.groupById(groupId));
    const timeMs = performance.timeOrigin + performance.now();
    const tracked = ctx.lifecycle?.pushStarting(labels, declared, groupId);
    let failure: Awaited<ReturnType<StoreWriter['push']>>;
    try {
      failure = await ctx.writer.push({
        names: pushNames(parsedNames, emptyFamilies),
        labels,
        groupId,
        families,
        replace: method === 'PUT',
        timeMs,
        lifecycle: declared.ttlMs !== undefined || declared.intervalMs !== undefined ? declared : undefined,
        ...(emptyFamilies !== undefined && emptyFamilies.size > 0
          ? { emptyFamilies: [...emptyFamilies.values()] }
          : {}),
      });
    } finally {
      // The writer fed the lifecycle when it applied the push (store-writer.ts); this replica's hold ends.
      if (tracked !== undefined) ctx.lifecycle!.pushSettled(tracked);
    }
    if (body.length >= BIG_PUSH_BYTES) collectAfterBigWork();
    if (failure !== undefined) {
      logRejection(ctx, req, 'error', 'pushed metrics are invalid or inconsistent with existing metrics', {
        code: failure.code,
        method,
        source: peerAddress(req.socket),
        err: excerpt(formatProblems(failure.problems)),
      });
      // Unchecked pushes are answered 202 whatever the store says: the reference has already answered
      // before it processes them, and records the failure only in push_failure_time_seconds.
      if (ctx.checkConsistency) {
        sendHttpError(res, failure);
        return failure.status;
      }
    }
  } catch (err) {
    // A write the Redis store could not take is not a parse failure: its log line says so.
    const what = err instanceof StoreUnavailableError ? 'push not stored' : 'failed to parse push body';
    return reject(ctx, req, res, err, what);
  } finally {
    ctx.self.observePush(method, (performance.now() - started) / 1000, approximateSize(req, bodyLength));
  }
  const status = ctx.checkConsistency ? 200 : 202;
  sendEmpty(res, status);
  return status;
}

export async function handleDelete(
  ctx: PushContext,
  req: IncomingMessage,
  res: ServerResponse,
  params: Params,
  jobIsBase64: boolean,
): Promise<number> {
  let labels: GroupingLabels;
  try {
    labels = groupingFromParams(params, jobIsBase64, ctx.utf8Names);
  } catch (err) {
    return reject(ctx, req, res, err, 'invalid grouping key in delete URL');
  }
  req.resume();
  try {
    await ctx.writer.deleteGroup(labels);
  } catch (err) {
    // A replicated writer may refuse it (PGW_ERR_STORE_UNAVAILABLE): answered with its status, not 500.
    return reject(ctx, req, res, err, 'delete not stored');
  }
  sendEmpty(res, 202);
  return 202;
}

function reject(ctx: PushContext, req: IncomingMessage, res: ServerResponse, err: unknown, what: string): number {
  if (!(err instanceof HttpError)) throw err;
  ctx.guards?.noteRejection(err);
  req.resume();
  // The client gets the whole message, as from the reference: it is bounded by the body limit and
  // quotes the client's own input. The log keeps an excerpt.
  logRejection(ctx, req, 'warn', what, {
    code: err.code,
    method: req.method,
    url: excerpt(req.url ?? ''),
    source: peerAddress(req.socket),
    err: excerpt(err.message),
  });
  sendHttpError(res, err);
  return err.status;
}
