/**
 * GET on the telemetry path: the gateway's own families merged with every pushed family, in the
 * reference's order, as text 0.0.4 (gzip when asked). The pushed part is pre-rendered by the store;
 * the whole body and its gzip are cached until the store, the own counters or the one-second process
 * sample change, so a repeated scrape is a buffer write.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { MemoryStore } from '../store/store.js';
import type { SelfMetrics } from '../observe/self-metrics.js';
import type { Logger } from '../observe/logger.js';
import type { MetricFamily } from '../model/metric.js';
import { renderFamily, renderHeader, renderLabelInner, renderSeries } from '../format/text-write.js';
import { compareSeries, type SeriesEntry } from '../store/family-index.js';
import { formatProblems } from '../errors.js';
import { sendError } from './respond.js';

const gzipAsync = promisify(gzip);

export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8; escaping=underscores';

interface CachedBody {
  key: string;
  text: Buffer;
  gzip?: Buffer;
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
      await this.store.renderTextAsync(yieldToEventLoop);
      body = { key, text: Buffer.from(this.render(now), 'utf8') };
      this.cache = body;
    }
    const headers: Record<string, string | number> = { 'Content-Type': TEXT_CONTENT_TYPE };
    let payload = body.text;
    if (acceptsGzip(req.headers['accept-encoding'])) {
      body.gzip ??= await gzipAsync(body.text, { level: 6 });
      payload = body.gzip;
      headers['Content-Encoding'] = 'gzip';
    }
    headers['Content-Length'] = payload.length;
    res.writeHead(200, headers);
    res.end(payload);
  }

  /** Merges the own families (fresh) into the store's pre-rendered text (cached) by family name. */
  render(now = Date.now()): string {
    const own = this.self.collect(now);
    const pushed = this.store.renderText();
    const { names, offsets, body } = pushed;
    let out = '';
    let next = 0; // index of the next pushed family not yet written
    for (const f of own) {
      let i = lowerBound(names, f.name, next);
      out += body.slice(offsets[next] ?? body.length, offsets[i] ?? body.length);
      if (names[i] === f.name) {
        out += this.mergedFamily(f);
        i++;
      } else {
        out += renderFamily(f);
      }
      next = i;
    }
    return out + body.slice(offsets[next] ?? body.length);
  }

  /**
   * A pushed family with the name of an own metric: one family with the own HELP and type (the
   * reference logs "metric families overlap" and does the same), series sorted together.
   */
  private mergedFamily(own: MetricFamily): string {
    const stored = this.store.familyIndex(own.name)!.sortedEntries();
    const ownEntries = own.metrics.map((m) => {
      const inner = renderLabelInner(m.labels);
      return { labels: m.labels, inner, text: renderSeries(own.name, own.type, m, inner) } as SeriesEntry;
    });
    const all = [...ownEntries, ...stored].sort(compareSeries);
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
