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
import type { Exposition } from '../store/store.js';
import type { StoreReader } from '../store/store-reader.js';
import type { SelfMetrics } from '../observe/self-metrics.js';
import type { Logger } from '../observe/logger.js';
import type { MetricFamily } from '../model/metric.js';
import { gzip } from 'node:zlib';
import { promisify } from 'node:util';
import {
  escapeFamily,
  renderFamily,
  renderFamilyQuoted,
  renderHeader,
  renderHeaderQuoted,
  renderSeries,
  renderSeriesQuoted,
} from '../format/text-write.js';
import { Piece, gzipPieces, joinedText, textLength } from '../format/gzip-pieces.js';
import { Slicer, runSliced, runSync, sortSteps, type Steps } from '../slicer.js';
import { ProtobufWriter, writeFamilyDelimited } from '../format/protobuf.js';
import { METRICS_PER_CHUNK, familyDelimitedSteps } from '../format/protobuf-steps.js';
import { TextParts } from './text-parts.js';
import { negotiate, negotiateEncoding, TEXT_CONTENT_TYPE_BASE, type Negotiated } from '../format/negotiate.js';
import { compareLabelValues, type SeriesEntry } from '../store/family-index.js';
import { GatherError, formatProblems } from '../errors.js';
import { sendHttpError, sendPieces } from './respond.js';

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
  body: Buffer[];
  gzip?: Buffer;
}

/** Series copied from the store between two yields of gather. */
const COPIED_PER_STEP = 4096;

const compareNames = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** More own families beside SelfMetrics' (pushgateway_group_up, src/lifecycle/group-up.ts). */
export interface ExtraFamilies {
  collect(now: number): MetricFamily[];
  /** Changes whenever collect() may answer differently: part of the cache key. */
  version(now: number): string;
}

export class ScrapeHandler {
  private cache: CachedPieces | null = null;
  /** Model-built bodies by `<format>:<escaping>` for the state `cacheKey`. */
  private variants = new Map<string, CachedBody>();
  private cacheKey = '';

  constructor(
    private readonly store: StoreReader,
    private readonly self: SelfMetrics,
    private readonly logger: Logger,
    private readonly utf8Names = false,
    private readonly extra?: ExtraFamilies,
  ) {}

  /** The own families, sorted by name. */
  private own(now: number): MetricFamily[] {
    const own = this.self.collect(now);
    const extra = this.extra?.collect(now);
    if (extra === undefined || extra.length === 0) return own;
    return [...own, ...extra].sort((a, b) => compareNames(a.name, b.name));
  }

  private stateKey(now: number): string {
    const key = `${this.store.version}:${this.self.version}:${this.self.sampleEpoch(now)}`;
    return this.extra === undefined ? key : `${key}:${this.extra.version(now)}`;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Not while a big push is half-way through its commit: a scrape shows one state of the store.
    await this.store.settled();
    const problems = await this.store.problemsAsync();
    if (problems.length > 0) {
      const err = new GatherError(problems);
      this.logger.error('error gathering metrics', { code: err.code, err: formatProblems(problems) });
      sendHttpError(res, err);
      return;
    }
    const now = Date.now();
    const neg = negotiate(req.headers.accept);
    const key = this.stateKey(now);
    const gzipped = acceptsGzip(req.headers['accept-encoding']);
    // Without UTF-8 names every name is a legacy name, which no escaping scheme changes.
    const payload =
      neg.format === 'text' && !this.utf8Names
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
    if (!gzipped) return (cached.plain ??= await runSliced(joinedText(cached.pieces), new Slicer()));
    if (cached.gzip !== undefined) return cached.gzip;
    // Pieces of a few series each (a store of a million families of one series): a deflate job and a
    // CRC combination per piece would cost more than compressing the text in one go on the thread pool.
    if (cached.pieces.length > MANY_PIECES && cached.length / cached.pieces.length < SMALL_PIECE_BYTES) {
      const plain = (cached.plain ??= await runSliced(joinedText(cached.pieces), new Slicer()));
      return (cached.gzip = [await gzipAsync(Buffer.concat(plain), { level: 6 })]);
    }
    return (cached.gzip = await gzipPieces(cached.pieces));
  }

  /** Protobuf, or text with UTF-8 names under an escaping scheme, built from the model. */
  private async variantPayload(
    key: string,
    variant: string,
    neg: Negotiated,
    now: number,
    gzipped: boolean,
  ): Promise<Buffer[]> {
    if (key !== this.cacheKey) {
      this.variants.clear();
      this.cacheKey = key;
    }
    let body = this.variants.get(variant);
    if (body === undefined) {
      body = { body: await this.renderVariant(neg, now) };
      // A write during the yields of renderVariant changed the state: the body is still a consistent
      // snapshot of the newer state, but must not be cached under the old key.
      if (key === this.stateKey(now)) this.variants.set(variant, body);
    }
    if (!gzipped) return body.body;
    body.gzip ??= await gzipAsync(body.body.length === 1 ? body.body[0]! : Buffer.concat(body.body), { level: 6 });
    return [body.gzip];
  }

  /**
   * One body built from the model: gathered as one state of the store, then encoded a slice at a time
   * (a family of many series a chunk of metrics at a time), with the event loop served in between.
   */
  private async renderVariant(neg: Negotiated, now: number): Promise<Buffer[]> {
    const slicer = new Slicer();
    const families = await this.gatherAsync(now, slicer);
    return runSliced(neg.format === 'protobuf' ? protobufSteps(families, neg) : quotedTextSteps(families, neg), slicer);
  }

  /**
   * Every family as the model: own families merged with the stored ones by name (own HELP and type
   * win, as in the reference), families sorted by name, series in exposition order.
   */
  gather(now = Date.now()): MetricFamily[] {
    return runSync(this.gatherSteps(now, () => false))!;
  }

  /**
   * gather() in slices. The families gathered hold the stored metric objects, which writes replace but
   * never change, so once gathered they stay one state while they are encoded; if a write lands while
   * they are gathered, the gather starts again, and after three tries it is done in one go.
   */
  private async gatherAsync(now: number, slicer: Slicer): Promise<MetricFamily[]> {
    for (let attempt = 0; attempt < 3; attempt++) {
      await this.store.settledNow();
      const version = this.store.version;
      const families = await runSliced(
        this.gatherSteps(now, () => this.store.version !== version || this.store.committing),
        slicer,
      );
      if (families !== undefined && this.store.version === version && !this.store.committing) return families;
    }
    await this.store.settledNow();
    return this.gather(now);
  }

  /** The gathered families, or undefined as soon as `stale()` says a write has changed the store. */
  private *gatherSteps(now: number, stale: () => boolean): Steps<MetricFamily[] | undefined> {
    const own = new Map(this.own(now).map((f) => [f.name, f]));
    const stored = yield* this.store.familyNamesSteps();
    if (stale()) return undefined;
    const names = mergeNames([...own.keys()].sort(compareNames), stored);
    const out: MetricFamily[] = [];
    for (let n = 0; n < names.length; n++) {
      const name = names[n]!;
      const o = own.get(name);
      const idx = this.store.familyIndex(name);
      if (n % 1024 === 1023) {
        yield;
        if (stale()) return undefined;
      }
      if (idx === undefined) {
        if (o !== undefined && o.metrics.length > 0) out.push(o);
        continue;
      }
      const entries = yield* idx.sortedEntriesSteps();
      if (stale()) return undefined;
      const stored = yield* metricsSteps(entries);
      if (stale()) return undefined;
      if (o === undefined) {
        const f: MetricFamily = { name, type: idx.type, metrics: stored };
        if (idx.help !== undefined) f.help = idx.help;
        if (idx.unit !== undefined) f.unit = idx.unit;
        out.push(f);
        continue;
      }
      const merged = yield* sortSteps([...o.metrics, ...stored], (a, b) => compareLabelValues(a.labels, b.labels));
      out.push({ ...o, metrics: merged });
    }
    return out;
  }

  /** The whole body as text (tests and debugging). */
  render(now = Date.now()): string {
    return Buffer.concat(runSync(this.assemble(now, this.store.exposition())).map((p) => p.text)).toString('utf8');
  }

  /** Merges the own families (fresh) into the store's pieces (cached) by family name. */
  private *assemble(now: number, { names, pieces }: Exposition): Steps<Piece[]> {
    const own = this.own(now);
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
    const stored = this.store
      .familyIndex(own.name)!
      .sortedEntries()
      .map((e) => ({ labels: e.metric.labels, text: renderSeries(own.name, e.type, e.metric, e.inner) }));
    const ownEntries = own.metrics.map((m) => ({ labels: m.labels, text: renderSeries(own.name, own.type, m) }));
    const all = [...ownEntries, ...stored].sort((a, b) => compareLabelValues(a.labels, b.labels));
    return renderHeader(own.name, own.help, own.type) + all.map((e) => e.text).join('');
  }
}

/** The entries' metrics; copied in steps (a family of a million series), `entries` not changed meanwhile. */
function* metricsSteps(entries: SeriesEntry[]): Steps<MetricFamily['metrics']> {
  const out = new Array<MetricFamily['metrics'][number]>(entries.length);
  for (let i = 0; i < entries.length; i++) {
    out[i] = entries[i]!.metric;
    if (i % COPIED_PER_STEP === COPIED_PER_STEP - 1) yield;
  }
  return out;
}

/** The sorted union of two sorted lists of names without repeats (own names, stored names). */
function mergeNames(a: string[], b: string[]): string[] {
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const name = j >= b.length || (i < a.length && a[i]! <= b[j]!) ? a[i++]! : b[j++]!;
    if (out.length === 0 || out[out.length - 1] !== name) out.push(name);
  }
  return out;
}

/** Families as delimited protobuf; a small family is one step, a big one a step per chunk of metrics. */
function* protobufSteps(families: MetricFamily[], neg: Negotiated): Steps<Buffer[]> {
  const parts: Buffer[] = [];
  let w = new ProtobufWriter();
  for (const f of families) {
    if (f.metrics.length <= METRICS_PER_CHUNK) {
      writeFamilyDelimited(w, escapeFamily(f, neg.escaping));
    } else {
      if (w.length > 0) {
        parts.push(w.finish());
        w = new ProtobufWriter();
      }
      parts.push(...(yield* familyDelimitedSteps(f, (part) => escapeFamily(part, neg.escaping))));
    }
    if (w.length >= 1 << 20) {
      parts.push(w.finish());
      w = new ProtobufWriter();
    }
    yield;
  }
  if (w.length > 0 || parts.length === 0) parts.push(w.finish());
  return parts;
}

/** Families as text with UTF-8 names under an escaping scheme, a chunk of metrics per step. */
function* quotedTextSteps(families: MetricFamily[], neg: Negotiated): Steps<Buffer[]> {
  const out = new TextParts();
  for (const f of families) {
    if (f.metrics.length <= METRICS_PER_CHUNK) {
      out.add(renderFamilyQuoted(escapeFamily(f, neg.escaping)));
    } else {
      out.add(renderHeaderQuoted(escapeFamily({ ...f, metrics: [] }, neg.escaping)));
      for (let lo = 0; lo < f.metrics.length; lo += METRICS_PER_CHUNK) {
        const chunk = escapeFamily({ ...f, metrics: f.metrics.slice(lo, lo + METRICS_PER_CHUNK) }, neg.escaping);
        for (const m of chunk.metrics) out.add(renderSeriesQuoted(chunk, m));
        yield;
      }
    }
    yield;
  }
  const parts = out.finish();
  return parts.length === 0 ? [Buffer.alloc(0)] : parts;
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
