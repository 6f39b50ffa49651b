/**
 * GET on the telemetry path: the gateway's own families merged with every pushed family, in the
 * reference's order, as text 0.0.4 or delimited protobuf as the Accept header asks (negotiate.ts), gzip
 * when asked. For text with legacy names (always the case without --push.enable-utf8-names) the pushed
 * part comes from the store as cached pieces, of which only those touched by a write are rendered (and
 * compressed) again; protobuf and escaped/quoted UTF-8 renderings are built from the model. Every body
 * and its gzip are cached until the store, the own counters or the one-second process sample change,
 * so a repeated scrape is a buffer write.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Exposition, MemoryStore } from '../store/store.js';
import type { SelfMetrics } from '../observe/self-metrics.js';
import type { Logger } from '../observe/logger.js';
import type { MetricFamily } from '../model/metric.js';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import {
  escapeFamily, renderFamily, renderFamilyQuoted, renderHeader, renderSeries,
} from '../format/text-write.js';
import { Piece, gzipPieces, joinedText, textLength } from '../format/gzip-pieces.js';
import { Slicer, runSliced, runSync, type Steps } from '../slicer.js';
import { ProtobufWriter, writeFamilyDelimited } from '../format/protobuf.js';
import { negotiate, negotiateEncoding, TEXT_CONTENT_TYPE_BASE, type Negotiated } from '../format/negotiate.js';
import { compareLabelValues } from '../store/family-index.js';
import { formatProblems } from '../errors.js';
import { sendError, sendPieces } from './respond.js';
import { yieldToEventLoop } from './event-loop.js';

const gzipAsync = promisify(gzip);

const MANY_PIECES = 1_000;
const SMALL_PIECE_BYTES = 2048;

export const TEXT_CONTENT_TYPE = `${TEXT_CONTENT_TYPE_BASE}; escaping=underscores`;

/** One assembled text body: the pieces in order, and the gzip built from them once asked for. */
interface CachedPieces {
  key: string;
  pieces: Piece[];
  length: number;
  /** The text joined into write-sized buffers, once asked for. */
  plain?: Buffer[];
  gzip?: Buffer[];
}

/** A body built from the model (protobuf, or text with UTF-8 names), and its gzip once asked for. */
interface CachedBody {
  body: Buffer;
  gzip?: Buffer;
}

export class ScrapeHandler {
  private cache: CachedPieces | null = null;
  /** Model-built bodies by `<format>:<escaping>` for the state `cacheKey`. */
  private variants = new Map<string, CachedBody>();
  private cacheKey = '';

  constructor(private readonly store: MemoryStore, private readonly self: SelfMetrics, private readonly logger: Logger,
    private readonly utf8Names = false) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Not while a big push is half-way through its commit: a scrape shows one state of the store.
    await this.store.settled();
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
    const gzipped = acceptsGzip(req.headers['accept-encoding']);
    // Without UTF-8 names every name is a legacy name, which no escaping scheme changes.
    const payload = neg.format === 'text' && !this.utf8Names
      ? await this.textPayload(key, now, gzipped)
      : await this.variantPayload(key, `${neg.format}:${neg.escaping}`, neg, now, gzipped);
    const headers: Record<string, string> = { 'Content-Type': neg.contentType };
    if (gzipped) headers['Content-Encoding'] = 'gzip';
    sendPieces(res, 200, headers, payload);
  }

  /** Text 0.0.4 from the store's cached pieces, as buffers to write in order. */
  private async textPayload(key: string, now: number, gzipped: boolean): Promise<Buffer[]> {
    let body = this.cache;
    if (body === null || body.key !== key) {
      const slicer = new Slicer();
      const exposition = await this.store.expositionAsync(slicer);
      const pieces = await runSliced(this.assemble(now, exposition), slicer);
      body = { key, pieces, length: textLength(pieces) };
      this.cache = body;
    }
    const cached = body;
    if (!gzipped) return cached.plain ??= await runSliced(joinedText(cached.pieces), new Slicer());
    if (cached.gzip !== undefined) return cached.gzip;
    // Pieces of a few series each (a store of a million families of one series): a deflate job and a
    // CRC combination per piece would cost more than compressing the text in one go on the thread pool.
    if (cached.pieces.length > MANY_PIECES && cached.length / cached.pieces.length < SMALL_PIECE_BYTES) {
      const plain = cached.plain ??= await runSliced(joinedText(cached.pieces), new Slicer());
      return cached.gzip = [await gzipAsync(Buffer.concat(plain), { level: 6 })];
    }
    return cached.gzip = await gzipPieces(cached.pieces);
  }

  /** Protobuf, or text with UTF-8 names under an escaping scheme, built from the model. */
  private async variantPayload(key: string, variant: string, neg: Negotiated, now: number, gzipped: boolean): Promise<Buffer[]> {
    if (key !== this.cacheKey) {
      this.variants.clear();
      this.cacheKey = key;
    }
    let body = this.variants.get(variant);
    if (body === undefined) {
      body = { body: await this.renderVariant(neg, now) };
      // A write during the yields of renderVariant changed the state: the body is still a consistent
      // snapshot of the newer state, but must not be cached under the old key.
      if (key === `${this.store.version}:${this.self.version}:${this.self.sampleEpoch(now)}`) this.variants.set(variant, body);
    }
    if (!gzipped) return [body.body];
    body.gzip ??= await gzipAsync(body.body, { level: 6 });
    return [body.gzip];
  }

  /**
   * One body built from the model. It works on a snapshot (gather() collects metric objects, which
   * pushes replace but never change), encoded family by family with a yield after every MiB so a big
   * scrape does not hold up health checks and pushes.
   */
  private async renderVariant(neg: Negotiated, now: number): Promise<Buffer> {
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
      const stored = idx.sortedEntries().map((e) => e.metric);
      if (o === undefined) {
        const f: MetricFamily = { name, type: idx.type, metrics: stored };
        if (idx.help !== undefined) f.help = idx.help;
        if (idx.unit !== undefined) f.unit = idx.unit;
        out.push(f);
        continue;
      }
      out.push({ ...o, metrics: [...o.metrics, ...stored].sort((a, b) => compareLabelValues(a.labels, b.labels)) });
    }
    return out;
  }

  /** The whole body as text (tests and debugging). */
  render(now = Date.now()): string {
    return Buffer.concat(runSync(this.assemble(now, this.store.exposition())).map((p) => p.text)).toString('utf8');
  }

  /** Merges the own families (fresh) into the store's pieces (cached) by family name. */
  private *assemble(now: number, { names, pieces }: Exposition): Steps<Piece[]> {
    const own = this.self.collect(now);
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
    for (let k = next; k < names.length; k++) {
      for (const p of pieces[k]!) out.push(p);
      if (k % 1024 === 1023) yield;
    }
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

/** gzip when the reference would choose it for this Accept-Encoding (negotiate.ts negotiateEncoding). */
export function acceptsGzip(header: string | undefined): boolean {
  return negotiateEncoding(header) === 'gzip';
}
