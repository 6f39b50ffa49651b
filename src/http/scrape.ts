/**
 * GET on the telemetry path: the gateway's own families merged with every pushed family, in the
 * reference's order, as text 0.0.4 or delimited protobuf as the Accept header asks (negotiate.ts), gzip
 * when asked. For text with legacy names (always the case without --push.enable-utf8-names) the pushed
 * part is pre-rendered by the store; protobuf and escaped/quoted UTF-8 renderings are built from the
 * model. Every body and its gzip are cached until the store, the own counters or the one-second process
 * sample change, so a repeated scrape is a buffer write.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import type { MemoryStore } from '../store/store.js';
import type { SelfMetrics } from '../observe/self-metrics.js';
import type { Logger } from '../observe/logger.js';
import type { MetricFamily } from '../model/metric.js';
import {
  escapeFamily, renderFamily, renderFamilyQuoted, renderHeader, renderLabelInner, renderSeries,
} from '../format/text-write.js';
import { ProtobufWriter, writeFamilyDelimited } from '../format/protobuf.js';
import { negotiate, TEXT_CONTENT_TYPE_BASE, type Negotiated } from '../format/negotiate.js';
import { compareSeries, type SeriesEntry } from '../store/family-index.js';
import { formatProblems } from '../errors.js';
import { sendError } from './respond.js';

const gzipAsync = promisify(gzip);

export const TEXT_CONTENT_TYPE = `${TEXT_CONTENT_TYPE_BASE}; escaping=underscores`;

interface CachedBody {
  body: Buffer;
  gzip?: Buffer;
}

export class ScrapeHandler {
  /** Bodies by `<format>:<escaping>` for the state `cacheKey`. */
  private cache = new Map<string, CachedBody>();
  private cacheKey = '';

  constructor(private readonly store: MemoryStore, private readonly self: SelfMetrics, private readonly logger: Logger,
    private readonly utf8Names = false) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const problems = this.store.problems();
    if (problems.length > 0) {
      const text = formatProblems(problems);
      this.logger.error('error gathering metrics', { err: text });
      sendError(res, 500, `An error has occurred while serving metrics:\n\n${text}`);
      return;
    }
    const now = Date.now();
    const neg = negotiate(req.headers.accept);
    const key = `${this.store.version}:${this.self.version}:${this.self.sampleEpoch(now)}`;
    if (key !== this.cacheKey) {
      this.cache.clear();
      this.cacheKey = key;
    }
    // Without UTF-8 names every name is a legacy name, which no escaping scheme changes.
    const variant = neg.format === 'text' && !this.utf8Names ? 'text' : `${neg.format}:${neg.escaping}`;
    let body = this.cache.get(variant);
    if (body === undefined) {
      await this.store.renderTextAsync(yieldToEventLoop);
      body = { body: await this.renderVariant(variant, neg, now) };
      // A write during the yield above changed the state: the body is still a consistent snapshot of
      // the newer state, but must not be cached under the old key.
      if (key === `${this.store.version}:${this.self.version}:${this.self.sampleEpoch(now)}`) this.cache.set(variant, body);
    }
    const headers: Record<string, string | number> = { 'Content-Type': neg.contentType };
    let payload = body.body;
    if (acceptsGzip(req.headers['accept-encoding'])) {
      body.gzip ??= await gzipAsync(body.body, { level: 6 });
      payload = body.gzip;
      headers['Content-Encoding'] = 'gzip';
    }
    headers['Content-Length'] = payload.length;
    res.writeHead(200, headers);
    res.end(payload);
  }

  /**
   * One body variant. Those built from the model work on a snapshot (gather() collects metric objects,
   * which pushes replace but never change), encoded family by family with a yield after every MiB so a
   * big scrape does not hold up health checks and pushes.
   */
  private async renderVariant(variant: string, neg: Negotiated, now: number): Promise<Buffer> {
    if (variant === 'text') return Buffer.from(this.render(now), 'utf8');
    const families = this.gather(now);
    let sinceYield = 0;
    if (neg.format === 'protobuf') {
      const w = new ProtobufWriter();
      for (const f of families) {
        const before = w.length;
        writeFamilyDelimited(w, escapeFamily(f, neg.escaping));
        sinceYield += w.length - before;
        if (sinceYield > 1 << 20) { sinceYield = 0; await yieldToEventLoop(); }
      }
      return w.finish();
    }
    const parts: string[] = [];
    for (const f of families) {
      const text = renderFamilyQuoted(escapeFamily(f, neg.escaping));
      parts.push(text);
      sinceYield += text.length;
      if (sinceYield > 1 << 20) { sinceYield = 0; await yieldToEventLoop(); }
    }
    return Buffer.from(parts.join(''), 'utf8');
  }

  /**
   * Every family as the model: own families merged with the stored ones by name (own HELP and type
   * win, as in the reference), families sorted by name, series in exposition order.
   */
  gather(now = Date.now()): MetricFamily[] {
    const own = new Map(this.self.collect(now).map((f) => [f.name, f]));
    const names = [...new Set([...own.keys(), ...this.store.familyNames()])].sort();
    const out: MetricFamily[] = [];
    for (const name of names) {
      const o = own.get(name);
      const idx = this.store.familyIndex(name);
      if (idx === undefined) {
        if (o !== undefined && o.metrics.length > 0) out.push(o);
        continue;
      }
      const stored = idx.sortedEntries();
      if (o === undefined) {
        const f: MetricFamily = { name, type: idx.type, metrics: stored.map((e) => e.metric) };
        if (idx.help !== undefined) f.help = idx.help;
        if (idx.unit !== undefined) f.unit = idx.unit;
        out.push(f);
        continue;
      }
      const ownEntries = o.metrics.map((m) => ({ labels: m.labels, metric: m }) as SeriesEntry);
      out.push({ ...o, metrics: [...ownEntries, ...stored].sort(compareSeries).map((e) => e.metric) });
    }
    return out;
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
