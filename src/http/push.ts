/**
 * PUT / POST / DELETE on /metrics/job[@base64]/<job>{/<name>[@base64]/<value>}: grouping key from the
 * URL, body read and decoded, parsed into the model, applied to the store. Validation order, status
 * codes and error texts follow the reference: URL errors, then body errors, then the store's verdict.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { Params } from './router.js';
import type { MemoryStore } from '../store/store.js';
import type { Logger } from '../observe/logger.js';
import type { SelfMetrics } from '../observe/self-metrics.js';
import { parseGroupingKey, type GroupingLabels } from '../model/grouping-key.js';
import { parseTextBody } from '../format/text-body.js';
import { BodyError, GatewayError, formatProblems } from '../errors.js';
import { sendEmpty, sendError } from './respond.js';

const gunzipAsync = promisify(gunzip);

export interface PushContext {
  store: MemoryStore;
  logger: Logger;
  self: SelfMetrics;
  utf8Names: boolean;
  checkConsistency: boolean;
  maxBodyBytes: number;
}

const PROTOBUF_MEDIA = 'application/vnd.google.protobuf';

function groupingFromParams(params: Params, jobIsBase64: boolean, utf8Names: boolean): GroupingLabels {
  return parseGroupingKey(params['job']!, jobIsBase64, params['labels'] ?? '', { utf8Names });
}

function remote(req: IncomingMessage): string {
  const s = req.socket;
  return s.remoteFamily === 'IPv6' ? `[${s.remoteAddress}]:${s.remotePort}` : `${s.remoteAddress}:${s.remotePort}`;
}

/** Reads the whole body, refusing more than `limit` bytes (0 = unlimited). */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (limit > 0 && size > limit) {
        reject(new BodyError(`request body exceeds the limit of ${limit} bytes (--push.max-body-size)`, 413));
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function decodeBody(req: IncomingMessage, raw: Buffer, limit: number): Promise<Buffer> {
  const encoding = (req.headers['content-encoding'] ?? '').toLowerCase();
  if (encoding === 'gzip') {
    // Go's gzip.NewReader reads the 10-byte header first: nothing → EOF, a short read → unexpected EOF.
    if (raw.length === 0) throw new BodyError('EOF');
    if (raw.length < 10) throw new BodyError('unexpected EOF');
    try {
      return await gunzipAsync(raw, limit > 0 ? { maxOutputLength: limit } : {});
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ERR_BUFFER_TOO_LARGE') {
        throw new BodyError(`decompressed request body exceeds the limit of ${limit} bytes (--push.max-body-size)`, 413);
      }
      if (e.code === 'Z_DATA_ERROR' && raw.length >= 2 && (raw[0] !== 0x1f || raw[1] !== 0x8b)) throw new BodyError('gzip: invalid header');
      throw new BodyError(e.code === 'Z_BUF_ERROR' ? 'unexpected EOF' : `gzip: ${e.message}`);
    }
  }
  if (encoding === 'snappy') throw new BodyError('snappy-compressed request bodies are not supported yet');
  return raw;
}

function isProtobuf(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const [media, ...params] = contentType.split(';').map((p) => p.trim());
  if (media?.toLowerCase() !== PROTOBUF_MEDIA) return false;
  const p = new Map(params.map((x) => { const i = x.indexOf('='); return [x.slice(0, i).trim().toLowerCase(), x.slice(i + 1).trim()]; }));
  return p.get('proto') === 'io.prometheus.client.MetricFamily' && p.get('encoding') === 'delimited';
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
    return reject(ctx, req, res, err, 'invalid grouping key in push URL');
  }
  let bodyLength = 0;
  try {
    const raw = await readBody(req, ctx.maxBodyBytes);
    bodyLength = raw.length;
    const body = await decodeBody(req, raw, ctx.maxBodyBytes);
    if (isProtobuf(req.headers['content-type'])) {
      throw new BodyError('protobuf-encoded pushes are not supported yet', 415);
    }
    const families = parseTextBody(body, { utf8Names: ctx.utf8Names });
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
