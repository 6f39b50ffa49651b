/**
 * Scrape content negotiation as the reference does it (prometheus/common expfmt.Negotiate, v0.6x, over
 * its vendored goautoneg): Accept clauses are sorted by q (goautoneg's comparison: higher q first, a
 * specific type before a wildcard), then walked in that order. The first clause asking for delimited
 * protobuf or for text (`version=0.0.4` or no version) decides the format; every clause walked up to it
 * may set the escaping scheme with a valid `escaping=` parameter. The answered Content-Type carries
 * `; escaping=<scheme>`. OpenMetrics is never chosen (the reference does not enable it).
 *
 * Only the deciding clause and the last escaping walked before it matter, so a long header (1 MiB is
 * allowed, some 100,000 clauses) is answered by selection in one linear pass, never sorted: the fuzzer
 * found 1.3 s for a 200 KB header with an insertion sort and 120–270 ms for 1 MiB with a merge sort.
 * Both headers are read by index, without splitting them into arrays of strings.
 */
import { DEFAULT_ESCAPING, ESCAPING_SCHEMES, type EscapingScheme } from '../model/names.js';
import { PROTOBUF_DELIMITED_CONTENT_TYPE, PROTOBUF_MEDIA_TYPE, PROTOBUF_PROTO } from './protobuf.js';

export const TEXT_CONTENT_TYPE_BASE = 'text/plain; version=0.0.4; charset=utf-8';

export interface Negotiated {
  format: 'text' | 'protobuf';
  escaping: EscapingScheme;
  contentType: string;
}

/** What a clause decides when the walk reaches it. */
enum Decides {
  Nothing,
  Text,
  Protobuf,
}

/** One Accept clause, reduced to what negotiation reads. */
interface AcceptClause {
  q: number;
  /** goautoneg's specificity: 2 for a concrete type, plus 1 for a concrete subtype (3 = no wildcard). */
  rank: number;
  /** The clause's `escaping=` when it names a known scheme (a later `escaping=` replaces an earlier one). */
  escaping: EscapingScheme | undefined;
  decides: Decides;
}

const SPACE = 0x20;
const SEMICOLON = 0x3b;
const SLASH = 0x2f;
const COMMA = 0x2c;

/** Decimal digits a double holds exactly as an integer (below 2^53), and their powers of ten. */
const EXACT_DIGITS = 15;
const POW10 = Array.from({ length: EXACT_DIGITS + 1 }, (_, k) => 10 ** k);

/** strings.Trim(s[a:b], " ") as a pair of indices: spaces only, not tabs. */
function trimStart(s: string, a: number, b: number): number {
  while (a < b && s.charCodeAt(a) === SPACE) a++;
  return a;
}
function trimEnd(s: string, a: number, b: number): number {
  while (b > a && s.charCodeAt(b - 1) === SPACE) b--;
  return b;
}
/**
 * The next index of one character in the header at or after a position, bounded by a limit. The
 * native indexOf is re-run only once the position passes its last answer, so however far apart the
 * characters are, the header is searched once per character looked for (linear), never once per clause.
 */
class NextIndex {
  private at = -1;
  constructor(
    private readonly s: string,
    private readonly c: string,
  ) {}

  find(from: number, limit: number): number {
    if (this.at < from) this.at = this.search(from);
    return Math.min(this.at, limit);
  }

  private search(from: number): number {
    const at = this.s.indexOf(this.c, from);
    return at < 0 ? this.s.length : at;
  }
}

/** header[a:b] === word, without slicing the header. */
function isAt(h: string, a: number, b: number, word: string): boolean {
  return b - a === word.length && h.startsWith(word, a);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Skips the digits of h[i:b]. */
function digitsEnd(h: string, i: number, b: number): number {
  while (i < b && isDigit(h.charCodeAt(i))) i++;
  return i;
}

/**
 * strconv.ParseFloat(h[a:b], 32) with the error ignored: 0 for anything Go would not parse (its
 * decimal syntax, checked in place; a value out of float32's range is ±Inf, as Go returns it).
 */
function goParseFloat32(h: string, a: number, b: number): number {
  let i = a;
  if (i < b && (h.charCodeAt(i) === 0x2b || h.charCodeAt(i) === 0x2d)) i++;
  // The digits are gathered as one integer while they are exact (15 of them): m / 10^k is then the
  // correctly rounded double, as Number() would give, without slicing the header.
  let m = 0;
  let digits = 0;
  let fraction = 0;
  for (; i < b && isDigit(h.charCodeAt(i)); i++, digits++) m = m * 10 + (h.charCodeAt(i) - 0x30);
  if (i < b && h.charCodeAt(i) === 0x2e) {
    for (i++; i < b && isDigit(h.charCodeAt(i)); i++, digits++, fraction++) m = m * 10 + (h.charCodeAt(i) - 0x30);
  }
  if (digits === 0) return 0; // no digit before or after the point
  if (i === b && digits <= EXACT_DIGITS) {
    const v = Math.fround(m / POW10[fraction]!);
    return h.charCodeAt(a) === 0x2d ? -v : v;
  }
  if (i < b && (h.charCodeAt(i) === 0x65 || h.charCodeAt(i) === 0x45)) {
    let e = i + 1;
    if (e < b && (h.charCodeAt(e) === 0x2b || h.charCodeAt(e) === 0x2d)) e++;
    i = digitsEnd(h, e, b);
    if (i === e) return 0;
  }
  if (i !== b) return 0;
  return Math.fround(Number(h.slice(a, b)));
}

const [PROTOBUF_TYPE, PROTOBUF_SUBTYPE] = PROTOBUF_MEDIA_TYPE.split('/') as [string, string];

/**
 * goautoneg.ParseAccept for one clause, header[a:b] (between commas): the media range split on ';' and
 * '/', then `name=value` parameters (the last of a name wins, as in its map; `q` parsed as a float).
 * false where goautoneg drops the clause (no '/' and not `*`, or more than one '/'). Read in place:
 * only the parameters negotiation looks at are kept, as index ranges, and the clause is written into
 * `out` (one object reused for every clause: a 1 MiB header allocates nothing per clause).
 */
function parseClause(h: string, a: number, b: number, next: Scanner, out: AcceptClause): boolean {
  a = trimStart(h, a, b);
  b = trimEnd(h, a, b);
  if (a === b) return false; // an empty clause has no type
  const semi = next.semicolon.find(a, b);
  const slash = next.slash.find(a, semi);
  let rank = 0;
  let textPlain = false;
  let protobuf = false;
  if (slash === semi) {
    const ts = trimStart(h, a, semi);
    if (!isAt(h, ts, trimEnd(h, ts, semi), '*')) return false;
  } else {
    if (next.slash.find(slash + 1, semi) !== semi) return false;
    const ts = trimStart(h, a, slash);
    const te = trimEnd(h, ts, slash);
    const ss = trimStart(h, slash + 1, semi);
    const se = trimEnd(h, ss, semi);
    rank = (isAt(h, ts, te, '*') ? 0 : 2) + (isAt(h, ss, se, '*') ? 0 : 1);
    textPlain = isAt(h, ts, te, 'text') && isAt(h, ss, se, 'plain');
    protobuf = isAt(h, ts, te, PROTOBUF_TYPE) && isAt(h, ss, se, PROTOBUF_SUBTYPE);
  }
  // [start, end) of the last value of each parameter read; start -1 when absent.
  let qs = -1,
    qe = -1,
    escS = -1,
    escE = -1,
    protoS = -1,
    protoE = -1,
    encS = -1,
    encE = -1,
    verS = -1,
    verE = -1;
  for (let p = semi; p < b; ) {
    const end = next.semicolon.find(p + 1, b);
    const eq = next.equals.find(p + 1, end);
    if (eq < end) {
      const ks = trimStart(h, p + 1, eq);
      const ke = trimEnd(h, ks, eq);
      const vs = trimStart(h, eq + 1, end);
      const ve = trimEnd(h, vs, end);
      if (isAt(h, ks, ke, 'q')) {
        qs = eq + 1;
        qe = end;
      } // untrimmed, as Go parses it
      else if (isAt(h, ks, ke, 'escaping')) {
        escS = vs;
        escE = ve;
      } else if (isAt(h, ks, ke, 'proto')) {
        protoS = vs;
        protoE = ve;
      } else if (isAt(h, ks, ke, 'encoding')) {
        encS = vs;
        encE = ve;
      } else if (isAt(h, ks, ke, 'version')) {
        verS = vs;
        verE = ve;
      }
    }
    p = end;
  }
  let decides = Decides.Nothing;
  if (protobuf && protoS >= 0 && isAt(h, protoS, protoE, PROTOBUF_PROTO)) {
    // encoding=text / compact-text (protobuf debug formats) are answered with the text format.
    if (encS < 0) decides = Decides.Nothing;
    else if (isAt(h, encS, encE, 'delimited')) decides = Decides.Protobuf;
    else if (isAt(h, encS, encE, 'text') || isAt(h, encS, encE, 'compact-text')) decides = Decides.Text;
  }
  if (textPlain && (verS < 0 || verS === verE || isAt(h, verS, verE, '0.0.4'))) decides = Decides.Text;
  out.q = qs < 0 ? 1 : goParseFloat32(h, qs, qe);
  out.rank = rank;
  out.escaping = escS < 0 ? undefined : ESCAPING_SCHEMES.find((scheme) => isAt(h, escS, escE, scheme));
  out.decides = decides;
  return true;
}

interface Scanner {
  comma: NextIndex;
  semicolon: NextIndex;
  slash: NextIndex;
  equals: NextIndex;
}

/** Calls `each` with every clause goautoneg.ParseAccept keeps, in header order (the clause object is reused). */
function forEachClause(header: string, each: (clause: AcceptClause, index: number) => void): void {
  const next: Scanner = {
    comma: new NextIndex(header, ','),
    semicolon: new NextIndex(header, ';'),
    slash: new NextIndex(header, '/'),
    equals: new NextIndex(header, '='),
  };
  const clause: AcceptClause = { q: 1, rank: 0, escaping: undefined, decides: Decides.Nothing };
  let index = 0;
  for (let a = 0; a <= header.length; ) {
    const b = next.comma.find(a, header.length);
    if (parseClause(header, a, b, next, clause)) each(clause, index++);
    a = b + 1;
  }
}

/** Go's pdqsort sorts lists up to this length by insertion sort, and so does goautoneg's sort.Sort. */
const GO_INSERTION_SORT_MAX = 12;

/** goautoneg's Less. Not a consistent ordering: `a/b;q=0.1` and `*\/*;q=1` each come before the other. */
function goautonegLess(a: AcceptClause, b: AcceptClause): boolean {
  if (a.q > b.q) return true;
  if ((a.rank & 2) !== 0 && (b.rank & 2) === 0) return true;
  if ((a.rank & 1) !== 0 && (b.rank & 1) === 0) return true;
  return false;
}

interface Walked {
  format: Negotiated['format'];
  escaping: EscapingScheme;
}

/**
 * Up to 12 clauses: Go's insertion sort, reproduced step by step because Less is not a consistent
 * ordering (the algorithm decides the order), then the walk.
 */
function walkShortList(clauses: AcceptClause[]): Walked {
  for (let i = 1; i < clauses.length; i++) {
    for (let j = i; j > 0 && goautonegLess(clauses[j]!, clauses[j - 1]!); j--) {
      [clauses[j - 1], clauses[j]] = [clauses[j]!, clauses[j - 1]!];
    }
  }
  let escaping = DEFAULT_ESCAPING;
  for (const c of clauses) {
    if (c.escaping !== undefined) escaping = c.escaping;
    if (c.decides !== Decides.Nothing) {
      return { format: c.decides === Decides.Protobuf ? 'protobuf' : 'text', escaping };
    }
  }
  return { format: 'text', escaping };
}

/** A clause as the long-list walk keeps it: where it stands in the walk order, and what it sets. */
interface Placed {
  q: number;
  rank: number;
  index: number;
}

/** Whether clause x is walked after clause y in the order of LongListWalk. */
function walkedAfter(x: Placed, y: Placed): boolean {
  if (x.q !== y.q) return x.q < y.q;
  if (x.rank !== y.rank) return x.rank < y.rank;
  return x.index > y.index;
}

/**
 * More than 12 clauses, where Go's pdqsort order follows from its algorithm, not reproduced: the walk
 * order is taken to be a stable sort by q, then specificity (docs/compatibility.md), and is not built.
 * The deciding clauses are all concrete types, so both orders agree on which decides: the one with the
 * highest q, the first of them in the header. The escaping is that of the last clause with a valid
 * `escaping=` walked up to it. Deciders are selected as the clauses go by; escaping clauses are kept
 * (three numbers each) and selected once the decider is known. Linear, no sort.
 */
class LongListWalk {
  private decider: (Placed & { format: Negotiated['format'] }) | undefined;
  private readonly escQ: number[] = [];
  private readonly escRank: number[] = [];
  private readonly escIndex: number[] = [];
  private readonly escScheme: EscapingScheme[] = [];

  add(c: AcceptClause, index: number): void {
    if (c.decides !== Decides.Nothing && (this.decider === undefined || c.q > this.decider.q)) {
      this.decider = { q: c.q, rank: c.rank, index, format: c.decides === Decides.Protobuf ? 'protobuf' : 'text' };
    }
    if (c.escaping !== undefined) {
      this.escQ.push(c.q);
      this.escRank.push(c.rank);
      this.escIndex.push(index);
      this.escScheme.push(c.escaping);
    }
  }

  result(): Walked {
    const decider = this.decider;
    let last: Placed | undefined;
    let escaping = DEFAULT_ESCAPING;
    for (let k = 0; k < this.escQ.length; k++) {
      const c: Placed = { q: this.escQ[k]!, rank: this.escRank[k]!, index: this.escIndex[k]! };
      if (decider !== undefined && walkedAfter(c, decider)) continue;
      if (last === undefined || walkedAfter(c, last)) {
        last = c;
        escaping = this.escScheme[k]!;
      }
    }
    return { format: decider?.format ?? 'text', escaping };
  }
}

export function negotiate(accept: string | undefined): Negotiated {
  const first: AcceptClause[] = [];
  const long = new LongListWalk();
  forEachClause(accept ?? '', (clause, index) => {
    if (first.length <= GO_INSERTION_SORT_MAX) first.push({ ...clause });
    long.add(clause, index);
  });
  const { format, escaping } = first.length <= GO_INSERTION_SORT_MAX ? walkShortList(first) : long.result();
  const base = format === 'protobuf' ? PROTOBUF_DELIMITED_CONTENT_TYPE : TEXT_CONTENT_TYPE_BASE;
  return { format, escaping, contentType: `${base}; escaping=${escaping}` };
}

// ---------------------------------------------------------------------------------------------------
// Response compression: client_golang 1.23's promhttp offers identity, gzip and zstd (in that order) to
// its vendored gddo NegotiateContentEncoding. zstd is not linked into the reference, so choosing it
// falls back to identity, as does a best match with q=0. Codings are compared case-sensitively.

const IS_TOKEN = 1;
const IS_SPACE = 2;
/** gddo's octet types (RFC 2616): token characters, and the spaces it skips. */
const OCTET_TYPES = (() => {
  const t = new Uint8Array(256);
  for (let c = 0; c < 256; c++) {
    const ch = String.fromCharCode(c);
    t[c] =
      (c > 32 && c < 127 && !'()<>@,;:\\"/[]?={} \t'.includes(ch) ? IS_TOKEN : 0) |
      (' \t\r\n'.includes(ch) ? IS_SPACE : 0);
  }
  return t;
})();

function octetType(s: string, i: number): number {
  const c = s.charCodeAt(i);
  return c < 256 ? OCTET_TYPES[c]! : 0;
}

function skipSpace(s: string, i: number): number {
  while (i < s.length && (octetType(s, i) & IS_SPACE) !== 0) i++;
  return i;
}

const INT64_DIGITS_THAT_MATTER = 64; // 10^64 ≡ 0 (mod 2^64): older digits no longer change n or d

/** Where the last expectQuality stopped (a module variable: no tuple allocated per clause). */
let qualityEnd = 0;

/**
 * gddo expectQuality from s[i]: `0` or `1`, optionally `.` and digits, as q + n/d with Go's int n and
 * d (which wrap after 18 digits: d is 0 from 64 digits on, so q is ±Inf or NaN, and some q are
 * negative). -1 when malformed; sets qualityEnd to the index after the digits.
 */
function expectQuality(s: string, i: number): number {
  const lead = s.charCodeAt(i);
  if (lead !== 0x30 && lead !== 0x31) return -1;
  const q = lead === 0x31 ? 1 : 0;
  qualityEnd = ++i;
  if (s.charCodeAt(i) !== 0x2e) return q;
  const start = ++i;
  let n = 0;
  while (i < s.length && isDigit(s.charCodeAt(i))) {
    if (i - start < EXACT_DIGITS) n = n * 10 + (s.charCodeAt(i) - 0x30);
    i++;
  }
  qualityEnd = i;
  const digits = i - start;
  if (digits <= EXACT_DIGITS) return q + n / POW10[digits]!;
  const wrapped = BigInt.asIntN(64, BigInt(s.slice(Math.max(start, i - INT64_DIGITS_THAT_MATTER), i)));
  const d = digits >= INT64_DIGITS_THAT_MATTER ? 0n : BigInt.asIntN(64, 10n ** BigInt(digits));
  return q + Number(wrapped) / Number(d);
}

const OFFERED_ENCODINGS = ['identity', 'gzip', 'zstd'] as const;

/** Which of `*` and the offered codings s[a:b] is, compared in place (case-sensitively, as gddo). */
function codingAt(s: string, a: number, b: number): '*' | (typeof OFFERED_ENCODINGS)[number] | undefined {
  if (isAt(s, a, b, '*')) return '*';
  return OFFERED_ENCODINGS.find((coding) => isAt(s, a, b, coding));
}

/**
 * The response coding the reference would use for this Accept-Encoding: 'gzip' or 'identity'. gddo's
 * ParseAccept (stopping at the first malformed element) and NegotiateContentEncoding (the best q per
 * offer, ties to the earlier offer) in one pass that keeps the best q of `*` and of each offer.
 */
export function negotiateEncoding(header: string | undefined): 'gzip' | 'identity' {
  if (header === undefined) return 'identity';
  // -1: nothing seen. A NaN q (from Go's wrapped digits) never beats anything, as in Go.
  const bestOf = { '*': -1, identity: -1, gzip: -1, zstd: -1 };
  const s = header;
  let i = 0;
  for (;;) {
    const start = i;
    while (i < s.length && ((octetType(s, i) & IS_TOKEN) !== 0 || s.charCodeAt(i) === SLASH)) i++;
    if (i === start) break;
    const end = i;
    i = skipSpace(s, i);
    let q = 1;
    if (s.charCodeAt(i) === SEMICOLON) {
      i = skipSpace(s, i + 1);
      if (!s.startsWith('q=', i)) break;
      q = expectQuality(s, i + 2);
      if (q < 0) break;
      i = qualityEnd;
    }
    const key = codingAt(s, start, end);
    if (key !== undefined && q > bestOf[key]) bestOf[key] = q;
    i = skipSpace(s, i);
    if (s.charCodeAt(i) !== COMMA) break;
    i = skipSpace(s, i + 1);
  }
  let best: string = 'identity';
  let bestQ = -1;
  for (const offer of OFFERED_ENCODINGS) {
    const q = Math.max(bestOf[offer], bestOf['*']);
    if (q > bestQ) {
      bestQ = q;
      best = offer;
    }
  }
  return bestQ !== 0 && best === 'gzip' ? 'gzip' : 'identity';
}
