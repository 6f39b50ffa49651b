/**
 * Scrape content negotiation as the reference does it (prometheus/common expfmt.Negotiate, v0.6x, over
 * its vendored goautoneg): Accept clauses are sorted by q (ties keep their order; a specific type beats a
 * wildcard), then walked in that order. The first clause asking for delimited protobuf or for text
 * (`version=0.0.4` or no version) decides the format; every clause walked up to it may set the escaping
 * scheme with a valid `escaping=` parameter. The answered Content-Type carries `; escaping=<scheme>`.
 * OpenMetrics is never chosen (the reference does not enable it).
 */
import { DEFAULT_ESCAPING, ESCAPING_SCHEMES, type EscapingScheme } from '../model/names.js';
import { PROTOBUF_DELIMITED_CONTENT_TYPE, PROTOBUF_MEDIA_TYPE, PROTOBUF_PROTO } from './protobuf.js';

export const TEXT_CONTENT_TYPE_BASE = 'text/plain; version=0.0.4; charset=utf-8';

export interface Negotiated {
  format: 'text' | 'protobuf';
  escaping: EscapingScheme;
  contentType: string;
}

interface AcceptClause {
  type: string;
  subType: string;
  q: number;
  params: Map<string, string>;
}

/** goautoneg.ParseAccept: split on ',', then ';'; `q` parsed as a float (0 when unparsable). */
export function parseAccept(header: string): AcceptClause[] {
  const clauses: AcceptClause[] = [];
  for (const rawPart of header.split(',')) {
    const part = trimSpaces(rawPart);
    const [mediaRange = '', ...params] = part.split(';');
    const sp = mediaRange.split('/');
    const type = trimSpaces(sp[0]!);
    let subType: string;
    if (sp.length === 1 && type === '*') subType = '*';
    else if (sp.length === 2) subType = trimSpaces(sp[1]!);
    else continue;
    const clause: AcceptClause = { type, subType, q: 1, params: new Map() };
    for (const param of params) {
      const eq = param.indexOf('=');
      if (eq < 0) continue;
      const token = trimSpaces(param.slice(0, eq));
      const value = param.slice(eq + 1);
      if (token === 'q') clause.q = goParseFloat32(value);
      else clause.params.set(token, trimSpaces(value));
    }
    clauses.push(clause);
  }
  return sortClauses(clauses);
}

/** Go's pdqsort sorts lists up to this length by insertion sort. */
const GO_INSERTION_SORT_MAX = 12;

/**
 * Go's sort.Sort with goautoneg's Less. For the short lists real clients send Go uses insertion sort,
 * which is stable, so the same insertion sort reproduces its order (Less is not a strict ordering, so
 * the algorithm matters). A longer list (a header may be 1 MiB, some 100,000 clauses) is merge-sorted:
 * insertion sort is quadratic there (the fuzzer found 1.3 s for 200 KB), and Go's pdqsort order for such
 * a list is not reproduced either way (docs/compatibility.md).
 */
function sortClauses(clauses: AcceptClause[]): AcceptClause[] {
  if (clauses.length <= GO_INSERTION_SORT_MAX) {
    for (let i = 1; i < clauses.length; i++) {
      for (let j = i; j > 0 && acceptLess(clauses[j]!, clauses[j - 1]!); j--) {
        [clauses[j - 1], clauses[j]] = [clauses[j]!, clauses[j - 1]!];
      }
    }
    return clauses;
  }
  // Array.prototype.sort is a stable merge-based sort (TimSort) in V8, O(n log n) for any comparator.
  return clauses.sort((a, b) => (acceptLess(a, b) ? -1 : acceptLess(b, a) ? 1 : 0));
}

function acceptLess(a: AcceptClause, b: AcceptClause): boolean {
  if (a.q > b.q) return true;
  if (a.type !== '*' && b.type === '*') return true;
  if (a.subType !== '*' && b.subType === '*') return true;
  return false;
}

/** strings.Trim(s, " "): spaces only, not tabs. */
function trimSpaces(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s[a] === ' ') a++;
  while (b > a && s[b - 1] === ' ') b--;
  return s.slice(a, b);
}

/** strconv.ParseFloat(s, 32) with the error ignored: 0 for anything Go would not parse. */
function goParseFloat32(s: string): number {
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return 0;
  return Math.fround(Number(s));
}

export function negotiate(accept: string | undefined): Negotiated {
  let escaping: EscapingScheme = DEFAULT_ESCAPING;
  let format: Negotiated['format'] = 'text';
  for (const ac of parseAccept(accept ?? '')) {
    const esc = ac.params.get('escaping');
    if (esc !== undefined && (ESCAPING_SCHEMES as readonly string[]).includes(esc)) escaping = esc as EscapingScheme;
    if (`${ac.type}/${ac.subType}` === PROTOBUF_MEDIA_TYPE && ac.params.get('proto') === PROTOBUF_PROTO) {
      const encoding = ac.params.get('encoding');
      if (encoding === 'delimited') { format = 'protobuf'; break; }
      // encoding=text / compact-text (protobuf debug formats) are answered with the text format.
      if (encoding === 'text' || encoding === 'compact-text') break;
    }
    const version = ac.params.get('version');
    if (ac.type === 'text' && ac.subType === 'plain' && (version === '0.0.4' || version === undefined || version === '')) break;
  }
  const base = format === 'protobuf' ? PROTOBUF_DELIMITED_CONTENT_TYPE : TEXT_CONTENT_TYPE_BASE;
  return { format, escaping, contentType: `${base}; escaping=${escaping}` };
}

// ---------------------------------------------------------------------------------------------------
// Response compression: client_golang 1.23's promhttp offers identity, gzip and zstd (in that order) to
// its vendored gddo NegotiateContentEncoding. zstd is not linked into the reference, so choosing it
// falls back to identity, as does a best match with q=0. Codings are compared case-sensitively.

interface EncodingSpec {
  value: string;
  q: number;
}

const SEPARATORS = '()<>@,;:\\"/[]?={} \t';

function isTokenChar(c: string): boolean {
  const code = c.charCodeAt(0);
  return code > 32 && code < 127 && !SEPARATORS.includes(c);
}

function skipSpace(s: string): string {
  let i = 0;
  while (i < s.length && ' \t\r\n'.includes(s[i]!)) i++;
  return s.slice(i);
}

/** gddo expectQuality: `0`, `1`, optionally followed by `.` and digits; -1 when malformed. */
function expectQuality(s: string): [number, string] {
  if (s.length === 0 || (s[0] !== '0' && s[0] !== '1')) return [-1, ''];
  const q = s[0] === '1' ? 1 : 0;
  s = s.slice(1);
  if (!s.startsWith('.')) return [q, s];
  s = s.slice(1);
  let i = 0;
  let n = 0;
  let d = 1;
  for (; i < s.length && s[i]! >= '0' && s[i]! <= '9'; i++) {
    n = n * 10 + (s.charCodeAt(i) - 48);
    d *= 10;
  }
  return [q + n / d, s.slice(i)];
}

/** gddo header.ParseAccept for one header value: stops at the first malformed element. */
export function parseAcceptEncoding(header: string): EncodingSpec[] {
  const specs: EncodingSpec[] = [];
  let s = header;
  for (;;) {
    let i = 0;
    while (i < s.length && (isTokenChar(s[i]!) || s[i] === '/')) i++;
    const value = s.slice(0, i);
    if (value === '') return specs;
    s = skipSpace(s.slice(i));
    let q = 1;
    if (s.startsWith(';')) {
      s = skipSpace(s.slice(1));
      if (!s.startsWith('q=')) return specs;
      [q, s] = expectQuality(s.slice(2));
      if (q < 0) return specs;
    }
    specs.push({ value, q });
    s = skipSpace(s);
    if (!s.startsWith(',')) return specs;
    s = skipSpace(s.slice(1));
  }
}

const OFFERED_ENCODINGS = ['identity', 'gzip', 'zstd'] as const;

/** The response coding the reference would use for this Accept-Encoding: 'gzip' or 'identity'. */
export function negotiateEncoding(header: string | undefined): 'gzip' | 'identity' {
  if (header === undefined) return 'identity';
  const specs = parseAcceptEncoding(header);
  let best: string = 'identity';
  let bestQ = -1;
  for (const offer of OFFERED_ENCODINGS) {
    for (const spec of specs) {
      if (spec.q > bestQ && (spec.value === '*' || spec.value === offer)) {
        bestQ = spec.q;
        best = offer;
      }
    }
  }
  return bestQ !== 0 && best === 'gzip' ? 'gzip' : 'identity';
}
