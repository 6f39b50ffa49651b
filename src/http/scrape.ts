/**
 * GET on the telemetry path: the gateway's own families merged with every pushed family, in the
 * reference's order, as text 0.0.4 (gzip when asked). The pushed part comes from the store as cached
 * pieces, of which only those touched by a write are rendered (and compressed) again; the assembled
 * body and its gzip are cached until the store, the own counters or the one-second process sample
 * change, so a repeated scrape is a buffer write.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MemoryStore } from '../store/store.js';
import type { SelfMetrics } from '../observe/self-metrics.js';
import type { Logger } from '../observe/logger.js';
import type { MetricFamily } from '../model/metric.js';
import { renderFamily, renderHeader, renderSeries } from '../format/text-write.js';
import { Piece, gzipPieces, textLength } from '../format/gzip-pieces.js';
import { compareLabelValues } from '../store/family-index.js';
import { formatProblems } from '../errors.js';
import { sendError } from './respond.js';

export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8; escaping=underscores';

/** One assembled body: the pieces in order, and the gzip built from them once asked for. */
interface CachedBody {
  key: string;
  pieces: Piece[];
  length: number;
  gzip?: Buffer[];
}

export class ScrapeHandler {
  private cache: CachedBody | null = null;

  constructor(private readonly store: MemoryStore, private readonly self: SelfMetrics, private readonly logger: Logger) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const problems = this.store.problems();
    if (problems.length > 0) {
      const text = formatProblems(problems);
      this.logger.error('error gathering metrics', { err: text });
      sendError(res, 500, `An error has occurred while serving metrics:\n\n${text}`);
      return;
    }
    const now = Date.now();
    const key = `${this.store.version}:${this.self.version}:${this.self.sampleEpoch(now)}`;
    let body = this.cache;
    if (body === null || body.key !== key) {
      await this.store.expositionAsync(yieldToEventLoop);
      const pieces = this.assemble(now);
      body = { key, pieces, length: textLength(pieces) };
      this.cache = body;
    }
    const headers: Record<string, string | number> = { 'Content-Type': TEXT_CONTENT_TYPE };
    let payload: Buffer[];
    if (acceptsGzip(req.headers['accept-encoding'])) {
      const cached = body;
      payload = cached.gzip ??= await gzipPieces(cached.pieces);
      headers['Content-Encoding'] = 'gzip';
    } else {
      payload = body.pieces.map((p) => p.text);
    }
    let length = 0;
    for (const b of payload) length += b.length;
    headers['Content-Length'] = length;
    res.writeHead(200, headers);
    res.cork();
    for (const b of payload) if (b.length > 0) res.write(b);
    res.uncork();
    res.end();
  }

  /** The whole body as text (tests and debugging). */
  render(now = Date.now()): string {
    this.store.exposition();
    return Buffer.concat(this.assemble(now).map((p) => p.text)).toString('utf8');
  }

  /** Merges the own families (fresh) into the store's pieces (cached) by family name. */
  private assemble(now: number): Piece[] {
    const own = this.self.collect(now);
    const { names, pieces } = this.store.exposition();
    const out: Piece[] = [];
    let next = 0; // index of the next pushed family not yet written
    for (const f of own) {
      let i = lowerBound(names, f.name, next);
      for (let k = next; k < i; k++) for (const p of pieces[k]!) out.push(p);
      if (names[i] === f.name) {
        out.push(new Piece(this.mergedFamily(f)));
        i++;
      } else {
        const text = renderFamily(f);
        if (text !== '') out.push(new Piece(text));
      }
      next = i;
    }
    for (let k = next; k < names.length; k++) for (const p of pieces[k]!) out.push(p);
    return out;
  }

  /**
   * A pushed family with the name of an own metric: one family with the own HELP and type (the
   * reference logs "metric families overlap" and does the same), series sorted together.
   */
  private mergedFamily(own: MetricFamily): string {
    const stored = this.store.familyIndex(own.name)!.sortedEntries()
      .map((e) => ({ labels: e.metric.labels, text: renderSeries(own.name, e.type, e.metric, e.inner) }));
    const ownEntries = own.metrics.map((m) => ({ labels: m.labels, text: renderSeries(own.name, own.type, m) }));
    const all = [...ownEntries, ...stored].sort((a, b) => compareLabelValues(a.labels, b.labels));
    return renderHeader(own.name, own.help, own.type) + all.map((e) => e.text).join('');
  }
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function lowerBound(names: string[], name: string, from: number): number {
  let lo = from;
  let hi = names.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (names[mid]! < name) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** gzip unless the client gave it q=0. */
export function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  for (const part of header.split(',')) {
    const [coding, ...params] = part.trim().split(';');
    if (coding?.trim().toLowerCase() !== 'gzip') continue;
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return qp === undefined || Number(qp.slice(2)) > 0;
  }
  return false;
}
