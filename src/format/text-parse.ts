/**
 * Parser for pushed bodies in the Prometheus text exposition format 0.0.4.
 *
 * It reproduces the reference's parser (prometheus/common v0.69 expfmt TextParser, used by Pushgateway
 * 1.11.3) state for state: the same inputs are accepted, the same model comes out (including its
 * quirks, e.g. summary/histogram lines fold by label set only after a TYPE line, `{labels} value` lines
 * without a name re-use the previous sample's metric, trailing blanks after a value are an error), and
 * rejected inputs produce the same error text and line number. It is a single pass over the string with
 * charCodeAt; tokens are slices of the input unless they contain escapes.
 */
import { TextParseError } from '../errors.js';
import type { Histogram, LabelPair, Metric, MetricFamily, MetricType } from '../model/metric.js';
import { goFloatToUint64, isExactUint64, parseGoFloat, parseGoInt64 } from './float.js';
import { goQuote, NAMED_ESCAPES } from '../model/go-quote.js';
import { escapedByte } from '../model/raw-bytes.js';
import { runSync, type Steps } from '../slicer.js';

export interface TextParseOptions {
  /** Accept any non-empty UTF-8 metric and label name (quoted syntax); otherwise legacy names only. */
  utf8Names: boolean;
  /** Given, once parsed, every family name the body mentions (a map the parser built anyway). */
  onNames?: (names: ReadonlyMap<string, unknown>) => void;
}

/** Parses a whole body; throws TextParseError exactly where the reference parser fails. */
export function parseText(body: string, opts?: TextParseOptions): MetricFamily[] {
  return runSync(parseTextSteps(body, opts));
}

/** parseText as steps that may pause every few thousand tokens (slicer.ts), for big bodies. */
export function parseTextSteps(body: string, opts?: TextParseOptions): Steps<MetricFamily[]> {
  const parser = new TextParser(body, opts?.utf8Names ?? false);
  return opts?.onNames === undefined ? parser.parse() : parser.parseWithNames(opts.onNames);
}

/** State transitions between two points where a sliced parse may pause (a few hundred microseconds). */
const STEPS_PER_YIELD = 1024;

// Typed as number so TypeScript does not narrow `this.ch` across calls that move the cursor.
const NL: number = 10,
  TAB: number = 9,
  SP: number = 32,
  QUOTE: number = 34,
  HASH: number = 35;
const COMMA: number = 44,
  COLON: number = 58,
  EQ: number = 61,
  BACKSLASH: number = 92;
const UNDERSCORE: number = 95,
  LBRACE: number = 123,
  RBRACE: number = 125;

// States of the machine; each method handles one and returns the next.
const DONE = 0,
  START_OF_LINE = 1,
  START_COMMENT = 2,
  METRIC_NAME = 3,
  LABELS = 4,
  LABEL_NAME = 5;
const LABEL_VALUE = 6,
  VALUE = 7,
  TIMESTAMP = 8,
  HELP = 9,
  TYPE = 10;

/** A family while parsing: `type` stays undefined until a TYPE line or the first sample fixes it. */
interface FamilyState {
  name: string;
  help: string | undefined;
  type: MetricType | undefined;
  metrics: Metric[];
}

function isLetter(c: number): boolean {
  const l = c | 0x20;
  return l >= 97 && l <= 122;
}

/** Unquoted name characters; metric names also allow ':'. A '"' switches to the quoted syntax. */
function isNameChar(c: number, metric: boolean): boolean {
  return isLetter(c) || (c >= 48 && c <= 57) || c === UNDERSCORE || (metric && c === COLON);
}

function isNameStart(c: number, metric: boolean): boolean {
  return isLetter(c) || c === UNDERSCORE || c === QUOTE || (metric && c === COLON);
}

function isLegacyName(name: string, metric: boolean): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!(isLetter(c) || c === UNDERSCORE || (metric && c === COLON) || (i > 0 && c >= 48 && c <= 57))) return false;
  }
  return true;
}

class TextParser {
  private readonly s: string;
  private readonly n: number;
  private readonly utf8: boolean;
  /** Index of the current character (Go's currentByte); -1 before the first read. */
  private pos = -1;
  private ch = 0;
  private line = 0;
  private token = '';
  /** The last name token used the quoted syntax, so it still needs validating. */
  private tokenQuoted = false;
  private readonly families = new Map<string, FamilyState>();
  private mf: FamilyState | undefined;
  private metric: Metric | undefined;
  private pair: LabelPair | undefined;
  private pairs: LabelPair[] = [];
  /** Names in `pairs`, kept once a series has many labels so the duplicate check stays linear. */
  private pairNames: Set<string> | undefined;
  // Summary/histogram folding: labels (with the family name, without quantile/le) identify the metric.
  private sigLabels: Map<string, string> | undefined;
  private readonly summaries = new Map<string, Metric>();
  private readonly histograms = new Map<string, Metric>();
  private quantile = NaN;
  private bucket = NaN;
  private isSummaryCount = false;
  private isSummarySum = false;
  private isHistogramCount = false;
  private isHistogramSum = false;
  private insideBraces = false;
  private nameInBraces = false;

  constructor(body: string, utf8: boolean) {
    this.s = body;
    this.n = body.length;
    this.utf8 = utf8;
  }

  *parseWithNames(onNames: (names: ReadonlyMap<string, unknown>) => void): Steps<MetricFamily[]> {
    const families = yield* this.parse();
    onNames(this.families);
    return families;
  }

  *parse(): Steps<MetricFamily[]> {
    let state = START_OF_LINE;
    let steps = 0;
    while (state !== DONE) {
      if (++steps === STEPS_PER_YIELD) {
        steps = 0;
        yield;
      }
      switch (state) {
        case START_OF_LINE:
          state = this.startOfLine();
          break;
        case START_COMMENT:
          state = this.startComment();
          break;
        case METRIC_NAME:
          state = this.readingMetricName();
          break;
        case LABELS:
          state = this.readingLabels();
          break;
        case LABEL_NAME:
          state = this.startLabelName();
          break;
        case LABEL_VALUE:
          state = this.startLabelValue();
          break;
        case VALUE:
          state = this.readingValue();
          break;
        case TIMESTAMP:
          state = this.startTimestamp();
          break;
        case HELP:
          state = this.readingHelp();
          break;
        case TYPE:
          state = this.readingType();
          break;
        default:
          state = DONE;
      }
    }
    return yield* this.finish();
  }

  private fail(detail: string): never {
    throw new TextParseError(this.line, detail);
  }

  /** Input ended somewhere other than the start of a line (the reference's io.EOF case). */
  private eof(): never {
    this.fail('unexpected end of input stream');
  }

  private advance(): void {
    if (++this.pos >= this.n) this.eof();
    this.ch = this.s.charCodeAt(this.pos);
  }

  private skipBlankTab(): void {
    const s = this.s;
    let p = this.pos;
    let c: number;
    do {
      if (++p >= this.n) this.eof();
      c = s.charCodeAt(p);
    } while (c === SP || c === TAB);
    this.pos = p;
    this.ch = c;
  }

  private skipBlankTabIfCurrent(): void {
    if (this.ch === SP || this.ch === TAB) this.skipBlankTab();
  }

  /** Token from the current character up to (not including) a blank, tab or newline. */
  private readTokenUntilWhitespace(): void {
    const s = this.s;
    const start = this.pos;
    let p = start;
    let c = this.ch;
    while (c !== SP && c !== TAB && c !== NL) {
      if (++p >= this.n) this.eof();
      c = s.charCodeAt(p);
    }
    this.token = s.slice(start, p);
    this.pos = p;
    this.ch = c;
  }

  /**
   * Token from the current character up to the newline. HELP text unescapes \\, \n and \"; elsewhere
   * (TYPE keyword, text after a timestamp) the reference drops every backslash without a trace.
   */
  private readTokenUntilNewline(unescapes: boolean): void {
    const s = this.s;
    const end = s.indexOf('\n', this.pos);
    // Without a newline, only an escape error found on the way can beat "unexpected end".
    const tok = end < 0 ? s.slice(this.pos) : s.slice(this.pos, end);
    const hasSlash = tok.indexOf('\\') >= 0;
    if (!hasSlash || !unescapes) {
      if (end < 0) this.eof();
      this.token = hasSlash ? tok.split('\\').join('') : tok;
      this.pos = end;
      this.ch = NL;
      return;
    }
    let out = '';
    let seg = this.pos;
    for (let p = this.pos; ; p++) {
      if (p >= this.n) this.eof();
      const c = s.charCodeAt(p);
      if (c === NL) {
        this.token = out + s.slice(seg, p);
        this.pos = p;
        this.ch = NL;
        return;
      }
      if (c !== BACKSLASH) continue;
      out += s.slice(seg, p);
      if (++p >= this.n) this.eof();
      const e = s.charCodeAt(p);
      if (e === BACKSLASH) out += '\\';
      else if (e === 110) out += '\n';
      else if (e === QUOTE) out += '"';
      else this.fail(`invalid escape sequence '\\${goByteChar(s, p)}'`);
      seg = p + 1;
    }
  }

  /**
   * A metric or label name starting at the current character: unquoted name characters, or the quoted
   * UTF-8 syntax (a quote may also start after unquoted characters, as in the reference). Leaves an
   * empty token when the current character cannot start a name.
   */
  private readName(metric: boolean): void {
    const s = this.s;
    let p = this.pos;
    let c = this.ch;
    this.tokenQuoted = false;
    if (!isNameStart(c, metric)) {
      this.token = '';
      return;
    }
    const start = p;
    while (c !== QUOTE) {
      if (++p >= this.n) this.eof();
      c = s.charCodeAt(p);
      if (!isNameChar(c, metric) && c !== QUOTE) {
        this.token = s.slice(start, p);
        this.pos = p;
        this.ch = c;
        return;
      }
    }
    this.pos = p;
    this.readQuotedName(s.slice(start, p), metric);
  }

  /** Continues readName at an opening quote; escapes \\, \n and \" are allowed inside. */
  private readQuotedName(prefix: string, metric: boolean): void {
    const s = this.s;
    let tok = prefix;
    let p = this.pos + 1;
    for (;;) {
      if (p >= this.n) this.eof();
      let c = s.charCodeAt(p);
      if (c === QUOTE) break;
      if (c === NL) this.fail(`${metric ? 'metric' : 'label'} name ${goQuote(tok)} contains unescaped new-line`);
      if (c === BACKSLASH) {
        if (++p >= this.n) this.eof();
        c = s.charCodeAt(p);
        if (c === 110) tok += '\n';
        else if (c === BACKSLASH || c === QUOTE) tok += String.fromCharCode(c);
        else this.fail(`invalid escape sequence '\\${goByteChar(s, p)}'`);
      } else {
        tok += String.fromCharCode(c);
      }
      p++;
    }
    this.pos = p;
    this.advance();
    this.token = tok;
    this.tokenQuoted = true;
  }

  /** A label value after its opening quote; only \\, \" and \n escapes, no raw newline. */
  private readLabelValue(): void {
    const s = this.s;
    let out: string | undefined;
    let seg = this.pos + 1;
    let p = this.pos;
    for (;;) {
      if (++p >= this.n) this.eof();
      const c = s.charCodeAt(p);
      if (c === QUOTE) break;
      if (c === NL) {
        this.fail(`label value ${goQuote((out ?? '') + s.slice(seg, p))} contains unescaped new-line`);
      }
      if (c !== BACKSLASH) continue;
      out = (out ?? '') + s.slice(seg, p);
      if (++p >= this.n) this.eof();
      const e = s.charCodeAt(p);
      if (e === QUOTE || e === BACKSLASH) out += String.fromCharCode(e);
      else if (e === 110) out += '\n';
      else this.fail(`invalid escape sequence '\\${goByteChar(s, p)}'`);
      seg = p + 1;
    }
    this.token = out === undefined ? s.slice(seg, p) : out + s.slice(seg, p);
    this.pos = p;
    this.ch = QUOTE;
  }

  private startOfLine(): number {
    this.line++;
    this.insideBraces = false;
    this.nameInBraces = false;
    const s = this.s;
    let p = this.pos;
    let c: number;
    do {
      // End of input at the start of a line is the one legitimate end.
      if (++p >= this.n) return DONE;
      c = s.charCodeAt(p);
    } while (c === SP || c === TAB);
    this.pos = p;
    this.ch = c;
    if (c === HASH) return START_COMMENT;
    if (c === NL) return START_OF_LINE;
    if (c === LBRACE) {
      this.insideBraces = true;
      return LABELS;
    }
    return METRIC_NAME;
  }

  private startComment(): number {
    this.skipBlankTab();
    if (this.ch === NL) return START_OF_LINE;
    this.readTokenUntilWhitespace();
    if (this.ch === NL) return START_OF_LINE;
    const keyword = this.token;
    if (keyword !== 'HELP' && keyword !== 'TYPE') {
      // Any other comment (including OpenMetrics "# EOF" and "# UNIT") is skipped to its newline.
      const end = this.s.indexOf('\n', this.pos);
      if (end < 0) this.eof();
      this.pos = end;
      this.ch = NL;
      return START_OF_LINE;
    }
    this.skipBlankTab();
    this.readName(true);
    if (this.ch === NL) return START_OF_LINE;
    if (this.ch !== SP && this.ch !== TAB) this.fail('invalid metric name in comment');
    this.setOrCreateCurrentMF();
    this.skipBlankTab();
    if (this.ch === NL) return START_OF_LINE;
    return keyword === 'HELP' ? HELP : TYPE;
  }

  private readingMetricName(): number {
    this.readName(true);
    if (this.token.length === 0) this.fail('invalid metric name');
    this.setOrCreateCurrentMF();
    const mf = this.mf!;
    if (mf.type === undefined) mf.type = 'UNTYPED';
    this.metric = { labels: [] };
    this.skipBlankTabIfCurrent();
    return LABELS;
  }

  private readingLabels(): number {
    const t = familyType(this.mf);
    if (t === 'SUMMARY' || t === 'HISTOGRAM' || t === 'GAUGE_HISTOGRAM') {
      this.sigLabels = new Map([['__name__', this.mf!.name]]);
      this.quantile = NaN;
      this.bucket = NaN;
    }
    return this.ch === LBRACE ? LABEL_NAME : VALUE;
  }

  private startLabelName(): number {
    this.skipBlankTab();
    if (this.ch === RBRACE) {
      if (this.mf === undefined) this.fail('invalid metric name');
      this.attachLabels();
      this.skipBlankTab();
      return VALUE;
    }
    this.readName(false);
    if (this.token.length === 0) this.fail(`invalid label name for metric ${goQuote(familyName(this.mf))}`);
    this.skipBlankTabIfCurrent();
    if (this.ch !== EQ) return this.nameInsteadOfLabel();
    const name = this.token;
    const pair: LabelPair = { name, value: '' };
    this.pair = pair;
    if (name === '__name__') this.fail('label name "__name__" is reserved');
    if (this.tokenQuoted && !this.validName(name, false)) this.fail(`invalid label name ${goQuote(name)}`);
    const t = familyType(this.mf);
    const folded =
      (t === 'SUMMARY' && name === 'quantile') || ((t === 'HISTOGRAM' || t === 'GAUGE_HISTOGRAM') && name === 'le');
    if (!folded) {
      if (this.hasPairNamed(name)) this.fail(`duplicate label names for metric ${goQuote(familyName(this.mf))}`);
      this.pairs.push(pair);
      this.pairNames?.add(name);
    }
    return LABEL_VALUE;
  }

  /** A label-name token not followed by '=': the metric name of the `{"name", ...}` syntax, or an error. */
  private nameInsteadOfLabel(): number {
    if (!this.insideBraces) {
      this.fail(`expected '=' after label name, found ${goQuoteByte(this.s, this.pos)}`);
    }
    if (this.nameInBraces) this.fail(`multiple metric names for metric ${goQuote(familyName(this.mf))}`);
    if (this.ch !== COMMA && this.ch !== RBRACE) {
      this.fail(`unexpected end of metric name ${goQuoteByte(this.s, this.pos)}`);
    }
    this.setOrCreateCurrentMF();
    const mf = this.mf!;
    if (mf.type === undefined) mf.type = 'UNTYPED';
    this.metric = { labels: [] };
    if (this.ch === COMMA) {
      this.nameInBraces = true;
      return LABEL_NAME;
    }
    this.attachLabels();
    this.skipBlankTab();
    return VALUE;
  }

  private startLabelValue(): number {
    this.skipBlankTab();
    if (this.ch !== QUOTE) this.fail(`expected '"' at start of label value, found ${goQuoteByte(this.s, this.pos)}`);
    this.readLabelValue();
    const pair = this.pair!;
    const value = this.token;
    pair.value = value;
    const t = familyType(this.mf);
    if (t === 'SUMMARY') {
      if (pair.name === 'quantile') {
        const q = parseGoFloat(value);
        if (q === undefined) this.fail(`expected float as value for 'quantile' label, got ${goQuote(value)}`);
        this.quantile = q;
      } else {
        this.sigLabel(pair.name, value);
      }
    } else if (t === 'HISTOGRAM' || t === 'GAUGE_HISTOGRAM') {
      if (pair.name === 'le') {
        const b = parseGoFloat(value);
        if (b === undefined) this.fail(`expected float as value for 'le' label, got ${goQuote(value)}`);
        this.bucket = b;
      } else {
        this.sigLabel(pair.name, value);
      }
    }
    this.skipBlankTab();
    if (this.ch === COMMA) return LABEL_NAME;
    if (this.ch !== RBRACE) this.fail(`unexpected end of label value ${goQuote(value)}`);
    if (this.mf === undefined) this.fail('invalid metric name');
    this.attachLabels();
    this.skipBlankTab();
    return VALUE;
  }

  private readingValue(): number {
    const mf = this.mf!;
    const t = mf.type ?? 'COUNTER';
    // Only now, with all labels read, can a summary/histogram line find the metric it belongs to.
    if (t === 'SUMMARY') this.metric = this.foldInto(this.summaries, mf);
    else if (t === 'HISTOGRAM' || t === 'GAUGE_HISTOGRAM') this.metric = this.foldInto(this.histograms, mf);
    else mf.metrics.push(this.metric!);
    this.readTokenUntilWhitespace();
    const v = parseGoFloat(this.token);
    if (v === undefined) this.fail(`expected float as value, got ${goQuote(this.token)}`);
    const m = this.metric!;
    if (t === 'SUMMARY') this.setSummaryValue(m, v);
    else if (t === 'HISTOGRAM' || t === 'GAUGE_HISTOGRAM') this.setHistogramValue(m, v, mf.name);
    else m.value = v;
    return this.ch === NL ? START_OF_LINE : TIMESTAMP;
  }

  private foldInto(seen: Map<string, Metric>, mf: FamilyState): Metric {
    const key = signature(this.sigLabels);
    const existing = seen.get(key);
    if (existing !== undefined) return existing;
    const m = this.metric!;
    seen.set(key, m);
    mf.metrics.push(m);
    return m;
  }

  private setSummaryValue(m: Metric, v: number): void {
    const sm = (m.summary ??= { sampleCount: 0, sampleSum: 0, quantiles: [] });
    // The reference stores uint64(value) unchecked, so odd counts wrap rather than fail.
    if (this.isSummaryCount) sm.sampleCount = goFloatToUint64(v);
    else if (this.isSummarySum) sm.sampleSum = v;
    else if (!Number.isNaN(this.quantile)) sm.quantiles.push({ quantile: this.quantile, value: v });
  }

  private setHistogramValue(m: Metric, v: number, name: string): void {
    const h = (m.histogram ??= { sampleCount: 0, sampleSum: 0, buckets: [] });
    // Counts that are not exact uint64 values make a float histogram; negative ones are refused.
    if (this.isHistogramCount) {
      if (isExactUint64(v)) h.sampleCount = v + 0;
      else if (v < 0) this.fail(`negative count for histogram ${goQuote(name)}`);
      else h.sampleCountFloat = v;
    } else if (this.isHistogramSum) {
      h.sampleSum = v;
    } else if (!Number.isNaN(this.bucket)) {
      if (isExactUint64(v)) h.buckets.push({ cumulativeCount: v + 0, upperBound: this.bucket });
      else if (v < 0) this.fail(`negative bucket population for histogram ${goQuote(name)}`);
      else h.buckets.push({ cumulativeCount: 0, cumulativeCountFloat: v, upperBound: this.bucket });
    }
  }

  private startTimestamp(): number {
    this.skipBlankTab();
    this.readTokenUntilWhitespace();
    const ts = parseGoInt64(this.token);
    if (ts === undefined) this.fail(`expected integer as timestamp, got ${goQuote(this.token)}`);
    this.metric!.timestampMs = ts;
    this.readTokenUntilNewline(false);
    if (this.token.length > 0) this.fail(`spurious string after timestamp: ${goQuote(this.token)}`);
    return START_OF_LINE;
  }

  private readingHelp(): number {
    const mf = this.mf!;
    if (mf.help !== undefined) this.fail(`second HELP line for metric name ${goQuote(mf.name)}`);
    this.readTokenUntilNewline(true);
    mf.help = this.token;
    return START_OF_LINE;
  }

  private readingType(): number {
    const mf = this.mf!;
    if (mf.type !== undefined) {
      this.fail(`second TYPE line for metric name ${goQuote(mf.name)}, or TYPE reported after samples`);
    }
    this.readTokenUntilNewline(false);
    const type = metricTypeFromKeyword(this.token);
    if (type === undefined) this.fail(`unknown metric type ${goQuote(this.token)}`);
    mf.type = type;
    return START_OF_LINE;
  }

  /** Moves the labels read so far onto the current metric. */
  private attachLabels(): void {
    const m = this.metric;
    // The reference dereferences a nil metric here and panics (a `{labels} v` line before any sample).
    if (m === undefined) this.fail('invalid metric name');
    if (m.labels.length === 0) m.labels = this.pairs;
    else for (const p of this.pairs) m.labels.push(p);
    this.pairs = [];
    this.pairNames = undefined;
  }

  /** A scan for the few labels of a normal series; a set from 16 on (100,000 labels were quadratic). */
  private hasPairNamed(name: string): boolean {
    const pairs = this.pairs;
    if (this.pairNames !== undefined) return this.pairNames.has(name);
    for (let i = 0; i < pairs.length; i++) if (pairs[i]!.name === name) return true;
    if (pairs.length >= 16) this.pairNames = new Set(pairs.map((p) => p.name));
    return false;
  }

  private sigLabel(name: string, value: string): void {
    // The reference writes into a map it may never have created (and panics); we create it instead.
    (this.sigLabels ??= new Map()).set(name, value);
  }

  private validName(name: string, metric: boolean): boolean {
    return this.utf8 ? name.length > 0 : isLegacyName(name, metric);
  }

  /**
   * Finds the family for the current name token. A `_sum`/`_count` (and for histograms `_bucket`) name
   * joins its base family only if that family already exists with TYPE summary/histogram.
   */
  private setOrCreateCurrentMF(): void {
    this.isSummaryCount = this.isSummarySum = this.isHistogramCount = this.isHistogramSum = false;
    const name = this.token;
    if (this.tokenQuoted && !this.validName(name, true)) this.fail(`invalid metric name ${goQuote(name)}`);
    const families = this.families;
    let mf = families.get(name);
    if (mf !== undefined) {
      this.mf = mf;
      return;
    }
    const suffix =
      name.length > 6 && name.endsWith('_count')
        ? 6
        : name.length > 4 && name.endsWith('_sum')
          ? 4
          : name.length > 7 && name.endsWith('_bucket')
            ? 7
            : 0;
    if (suffix > 0) {
      const base = families.get(name.slice(0, name.length - suffix));
      const t = base?.type;
      if (t === 'SUMMARY' && suffix !== 7) {
        this.isSummaryCount = suffix === 6;
        this.isSummarySum = suffix === 4;
        this.mf = base;
        return;
      }
      if (t === 'HISTOGRAM' || t === 'GAUGE_HISTOGRAM') {
        this.isHistogramCount = suffix === 6;
        this.isHistogramSum = suffix === 4;
        this.mf = base;
        return;
      }
    }
    mf = { name, help: undefined, type: undefined, metrics: [] };
    families.set(name, mf);
    this.mf = mf;
  }

  /** Drops families without samples and makes each histogram all-integer or all-float, like Go. */
  private *finish(): Steps<MetricFamily[]> {
    for (const m of this.histograms.values()) {
      if (m.histogram !== undefined) normalizeHistogram(m.histogram);
    }
    const out: MetricFamily[] = [];
    let n = 0;
    for (const f of this.families.values()) {
      if (++n % 1024 === 0) yield;
      if (f.metrics.length === 0) continue;
      // A family can only get samples without a type through a nameless `{...}` line; Go reads that as
      // the proto default, COUNTER.
      const fam: MetricFamily = { name: f.name, type: f.type ?? 'COUNTER', metrics: f.metrics };
      if (f.help !== undefined) fam.help = f.help;
      out.push(fam);
    }
    return out;
  }
}

/** Go's GetType() on a possibly missing family or unset type: the proto default COUNTER. */
function familyType(mf: FamilyState | undefined): MetricType {
  return mf?.type ?? 'COUNTER';
}

function familyName(mf: FamilyState | undefined): string {
  return mf === undefined ? '' : mf.name;
}

/** Stable key of a label map (order-independent), standing in for Go's LabelsToSignature hash. */
function signature(labels: Map<string, string> | undefined): string {
  if (labels === undefined || labels.size === 0) return '';
  if (labels.size === 1) {
    for (const [k, v] of labels) return `${k.length}:${k}${v.length}:${v}`;
  }
  const keys = [...labels.keys()].sort();
  let key = '';
  for (const k of keys) {
    const v = labels.get(k)!;
    key += `${k.length}:${k}${v.length}:${v}`;
  }
  return key;
}

function normalizeHistogram(h: Histogram): void {
  let anyFloat = (h.sampleCountFloat ?? 0) !== 0;
  for (let i = 0; !anyFloat && i < h.buckets.length; i++) anyFloat = (h.buckets[i]!.cumulativeCountFloat ?? 0) !== 0;
  if (!anyFloat) return;
  if ((h.sampleCountFloat ?? 0) === 0) {
    h.sampleCountFloat = h.sampleCount;
    h.sampleCount = 0;
  }
  for (const b of h.buckets) {
    if ((b.cumulativeCountFloat ?? 0) === 0) {
      b.cumulativeCountFloat = b.cumulativeCount;
      b.cumulativeCount = 0;
    }
  }
}

/**
 * TYPE keywords are matched case-insensitively like Go's strings.ToUpper, whose only non-ASCII letters
 * mapping into ASCII are dotless ı and long ſ. "gaugehistogram" (OpenMetrics spelling) is tolerated.
 */
function metricTypeFromKeyword(token: string): MetricType | undefined {
  let up = '';
  for (let i = 0; i < token.length; i++) {
    const c = token.charCodeAt(i);
    if (c >= 97 && c <= 122) up += String.fromCharCode(c - 32);
    else if (c === 0x131) up += 'I';
    else if (c === 0x17f) up += 'S';
    else up += token[i];
  }
  switch (up) {
    case 'COUNTER':
      return 'COUNTER';
    case 'GAUGE':
      return 'GAUGE';
    case 'SUMMARY':
      return 'SUMMARY';
    case 'UNTYPED':
      return 'UNTYPED';
    case 'HISTOGRAM':
      return 'HISTOGRAM';
    case 'GAUGE_HISTOGRAM':
    case 'GAUGEHISTOGRAM':
      return 'GAUGE_HISTOGRAM';
    default:
      return undefined;
  }
}

/**
 * The single byte Go's byte-wise parser holds at s[p], as a character: ASCII as is, otherwise the lead
 * byte of the character's UTF-8 encoding read as Latin-1 (what Go's %c prints for that byte).
 */
function goByte(s: string, p: number): number {
  const c = s.charCodeAt(p);
  if (c < 0x80) return c;
  const kept = escapedByte(c); // an invalid UTF-8 byte of the body (model/raw-bytes.ts)
  if (kept >= 0) return kept;
  const cp = s.codePointAt(p)!;
  if (cp < 0x800) return 0xc0 | (cp >> 6);
  if (cp < 0x10000) return 0xe0 | (cp >> 12);
  return 0xf0 | (cp >> 18);
}

function goByteChar(s: string, p: number): string {
  return String.fromCharCode(goByte(s, p));
}

function hex(c: number, width: number): string {
  return c.toString(16).padStart(width, '0');
}

/** Go's %q of a byte value: a single-quoted rune literal. */
function goQuoteByte(s: string, p: number): string {
  const b = goByte(s, p);
  if (b === 0x27) return "'\\''";
  if (b === BACKSLASH) return "'\\\\'";
  if (b >= 0x20 && b < 0x7f) return `'${String.fromCharCode(b)}'`;
  if (NAMED_ESCAPES[b] !== undefined) return `'${NAMED_ESCAPES[b]}'`;
  if (b < 0x80) return `'\\x${hex(b, 2)}'`;
  // The byte as the rune U+0080..U+00FF: printable Latin-1 letters as they are, the others escaped.
  return `'${goQuote(String.fromCharCode(b)).slice(1, -1)}'`;
}

export { goQuote };
