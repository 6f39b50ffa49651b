/**
 * PUT / POST / DELETE on /metrics/job[@base64]/<job>{/<name>[@base64]/<value>}: grouping key from the
 * URL, body read and decoded, parsed into the model, applied to the store. Validation order, status
 * codes and error texts follow the reference: URL errors, then body errors, then the store's verdict.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Params } from './router.js';
import type { MemoryStore } from '../store/store.js';
import type { Logger } from '../observe/logger.js';
import type { SelfMetrics } from '../observe/self-metrics.js';
import { parseGroupingKey, type GroupingLabels } from '../model/grouping-key.js';
import { parseTextBody } from '../format/text-body.js';
import { decodeBody, readBody } from '../format/body.js';
import { PROTOBUF_MEDIA_TYPE, PROTOBUF_PROTO, parseProtobufBody } from '../format/protobuf.js';
import { GatewayError, formatProblems } from '../errors.js';
import { sendEmpty, sendError } from './respond.js';

export interface PushContext {
  store: MemoryStore;
  logger: Logger;
  self: SelfMetrics;
  utf8Names: boolean;
  checkConsistency: boolean;
  maxBodyBytes: number;
}

function groupingFromParams(params: Params, jobIsBase64: boolean, utf8Names: boolean): GroupingLabels {
  return parseGroupingKey(params['job']!, jobIsBase64, params['labels'] ?? '', { utf8Names });
}

function remote(req: IncomingMessage): string {
  const s = req.socket;
  return s.remoteFamily === 'IPv6' ? `[${s.remoteAddress}]:${s.remotePort}` : `${s.remoteAddress}:${s.remotePort}`;
}

/**
 * The reference's test: mime.ParseMediaType gives exactly the protobuf media type with
 * proto=io.prometheus.client.MetricFamily and encoding=delimited, in any order. Anything else, including
 * a header mime.ParseMediaType would reject, means the text format.
 */
export function isProtobuf(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const [media, ...params] = contentType.split(';').map((p) => p.trim());
  if (media?.toLowerCase() !== PROTOBUF_MEDIA_TYPE) return false;
  const p = new Map<string, string>();
  for (const x of params) {
    if (x === '') continue;
    const i = x.indexOf('=');
    if (i <= 0) return false;
    const key = x.slice(0, i).trim().toLowerCase();
    if (p.has(key)) return false; // Go: "mime: duplicate parameter name"
    let value = x.slice(i + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    p.set(key, value);
  }
  return p.get('proto') === PROTOBUF_PROTO && p.get('encoding') === 'delimited';
}

/** Approximate request size as client_golang's instrumentation computes it. */
function approximateSize(req: IncomingMessage, bodyLength: number): number {
  let n = (req.url ?? '').length + req.method!.length + `HTTP/${req.httpVersion}`.length;
  for (let i = 0; i < req.rawHeaders.length; i += 2) n += req.rawHeaders[i]!.length + req.rawHeaders[i + 1]!.length;
  return n + bodyLength;
}

export async function handlePush(ctx: PushContext, req: IncomingMessage, res: ServerResponse,
  params: Params, jobIsBase64: boolean): Promise<number> {
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
  let bodyLength = 0;
  try {
    const raw = await readBody(req, ctx.maxBodyBytes);
    bodyLength = raw.length;
    const body = await decodeBody(req.headers['content-encoding'], raw, ctx.maxBodyBytes);
    const families = isProtobuf(req.headers['content-type'])
      ? parseProtobufBody(body, { utf8Names: ctx.utf8Names })
      : parseTextBody(body, { utf8Names: ctx.utf8Names });
    const failure = ctx.store.push({ labels, families, replace: method === 'PUT', timeMs: performance.timeOrigin + performance.now() });
    if (failure !== undefined) {
      ctx.logger.error('pushed metrics are invalid or inconsistent with existing metrics', {
        method, source: remote(req), err: formatProblems(failure.problems),
      });
      // Unchecked pushes are answered 202 whatever the store says: the reference has already answered
      // before it processes them, and records the failure only in push_failure_time_seconds.
      if (ctx.checkConsistency) {
        sendError(res, failure.status, failure.message);
        return failure.status;
      }
    }
  } catch (err) {
    return reject(ctx, req, res, err, 'failed to parse push body');
  } finally {
    ctx.self.observePush(method, (performance.now() - started) / 1000, approximateSize(req, bodyLength));
  }
  const status = ctx.checkConsistency ? 200 : 202;
  sendEmpty(res, status);
  return status;
}

export async function handleDelete(ctx: PushContext, req: IncomingMessage, res: ServerResponse,
  params: Params, jobIsBase64: boolean): Promise<number> {
  let labels: GroupingLabels;
  try {
    labels = groupingFromParams(params, jobIsBase64, ctx.utf8Names);
  } catch (err) {
    return reject(ctx, req, res, err, 'invalid grouping key in delete URL');
  }
  req.resume();
  ctx.store.deleteGroup(labels);
  sendEmpty(res, 202);
  return 202;
}

function reject(ctx: PushContext, req: IncomingMessage, res: ServerResponse, err: unknown, what: string): number {
  if (!(err instanceof GatewayError)) throw err;
  req.resume();
  ctx.logger.warn(what, { method: req.method, url: req.url, source: remote(req), err: err.message });
  sendError(res, err.status, err.message);
  return err.status;
}
