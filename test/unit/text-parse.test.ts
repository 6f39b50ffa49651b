/**
 * The text parser must accept exactly what the reference Pushgateway 1.11 (prometheus/common v0.69
 * TextParser) accepts, build the same model, and reject the rest with the same message and line.
 * Expected messages were checked against the v0.69 parser and, where 1.5.1 behaves the same, against
 * the running Debian reference.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseText } from '../../src/format/text-parse.js';
import { parseTextBody } from '../../src/format/text-body.js';
import { TextParseError } from '../../src/errors.js';
import type { Histogram, LabelPair, Metric, MetricFamily, MetricType, Summary } from '../../src/model/metric.js';

function L(...kv: string[]): LabelPair[] {
  const out: LabelPair[] = [];
  for (let i = 0; i < kv.length; i += 2) out.push({ name: kv[i]!, value: kv[i + 1]! });
  return out;
}

function fam(name: string, type: MetricType, metrics: Metric[], help?: string): MetricFamily {
  const f: MetricFamily = { name, type, metrics };
  if (help !== undefined) f.help = help;
  return f;
}

function val(labels: LabelPair[], value: number, timestampMs?: number): Metric {
  const m: Metric = { labels, value };
  if (timestampMs !== undefined) m.timestampMs = timestampMs;
  return m;
}

function sum(labels: LabelPair[], summary: Partial<Summary>): Metric {
  return { labels, summary: { sampleCount: 0, sampleSum: 0, quantiles: [], ...summary } };
}

function hist(labels: LabelPair[], histogram: Partial<Histogram>): Metric {
  return { labels, histogram: { sampleCount: 0, sampleSum: 0, buckets: [], ...histogram } };
}

interface ValidCase {
  name: string;
  body: string;
  want: MetricFamily[];
  utf8?: boolean;
}

export const VALID: ValidCase[] = [
  { name: 'empty body', body: '', want: [] },
  { name: 'blank and whitespace-only lines', body: '\n  \n\t\n', want: [] },
  { name: 'single untyped sample', body: 'a 1\n', want: [fam('a', 'UNTYPED', [val([], 1)])] },
  { name: 'leading blanks, tabs between tokens', body: '  \tm\t 2\n', want: [fam('m', 'UNTYPED', [val([], 2)])] },
  {
    name: 'prom-client body: blank lines between families, Nan',
    body:
      '# HELP jobs_total Jobs done\n# TYPE jobs_total counter\njobs_total{kind="a"} 3\n\n' +
      '# HELP temp Temperature\n# TYPE temp gauge\ntemp Nan\n\n',
    want: [
      fam('jobs_total', 'COUNTER', [val(L('kind', 'a'), 3)], 'Jobs done'),
      fam('temp', 'GAUGE', [val([], NaN)], 'Temperature'),
    ],
  },
  {
    name: 'Python client body: 3.0 values, le="1.0", _created gauges',
    body:
      '# HELP req_total Requests\n# TYPE req_total counter\nreq_total 3.0\n' +
      '# HELP req_created Requests\n# TYPE req_created gauge\nreq_created 1.7955303369179597e+09\n' +
      '# HELP lat Latency\n# TYPE lat histogram\nlat_bucket{le="1.0"} 1.0\nlat_bucket{le="+Inf"} 2.0\n' +
      'lat_count 2.0\nlat_sum 3.5\n',
    want: [
      fam('req_total', 'COUNTER', [val([], 3)], 'Requests'),
      fam('req_created', 'GAUGE', [val([], 1795530336.9179597)], 'Requests'),
      fam(
        'lat',
        'HISTOGRAM',
        [
          hist([], {
            sampleCount: 2,
            sampleSum: 3.5,
            buckets: [
              { cumulativeCount: 1, upperBound: 1 },
              { cumulativeCount: 2, upperBound: Infinity },
            ],
          }),
        ],
        'Latency',
      ),
    ],
  },
  {
    name: 'OpenMetrics # EOF and # UNIT are comments; X_total after TYPE X is its own untyped family',
    body:
      '# HELP om_requests Requests\n# TYPE om_requests counter\n# UNIT om_requests ' +
      'seconds\nom_requests_total 1\n# EOF\n',
    want: [fam('om_requests_total', 'UNTYPED', [val([], 1)])],
  },
  {
    name: 'special and unusual float spellings',
    body: 'a Nan\nb inf\nc -Infinity\nd +inf\ne .5\nf -0\ng 1e3\nh NaN\ni +Inf\nj 5.\n',
    want: [
      fam('a', 'UNTYPED', [val([], NaN)]),
      fam('b', 'UNTYPED', [val([], Infinity)]),
      fam('c', 'UNTYPED', [val([], -Infinity)]),
      fam('d', 'UNTYPED', [val([], Infinity)]),
      fam('e', 'UNTYPED', [val([], 0.5)]),
      fam('f', 'UNTYPED', [val([], -0)]),
      fam('g', 'UNTYPED', [val([], 1000)]),
      fam('h', 'UNTYPED', [val([], NaN)]),
      fam('i', 'UNTYPED', [val([], Infinity)]),
      fam('j', 'UNTYPED', [val([], 5)]),
    ],
  },
  {
    name: 'timestamps are parsed (the store rejects them later)',
    body: 'a 1 1712345678901\nb 2 -5\n',
    want: [fam('a', 'UNTYPED', [val([], 1, 1712345678901)]), fam('b', 'UNTYPED', [val([], 2, -5)])],
  },
  {
    name: 'trailing comma, empty braces, blanks around label tokens',
    body: 'a{x="1",} 1\nb{} 2\nc { x = "1" , y="2" } 3\n',
    want: [
      fam('a', 'UNTYPED', [val(L('x', '1'), 1)]),
      fam('b', 'UNTYPED', [val([], 2)]),
      fam('c', 'UNTYPED', [val(L('x', '1', 'y', '2'), 3)]),
    ],
  },
  {
    name: 'label value escapes and UTF-8',
    body: 'a{x="q\\"b\\\\s\\nl",y="Προ é"} 1\n',
    want: [fam('a', 'UNTYPED', [val(L('x', 'q"b\\s\nl', 'y', 'Προ é'), 1)])],
  },
  {
    name: 'label order is kept as written; labels starting with __ pass the parser',
    body: 'a{z="1",__b="2",a="3"} 1\n',
    want: [fam('a', 'UNTYPED', [val(L('z', '1', '__b', '2', 'a', '3'), 1)])],
  },
  {
    name: 'HELP escapes \\\\, \\n and \\" (1.11 also \\"); trailing text kept',
    body: '# HELP a x\\\\y\\nz \\"q\\" \na 1\n',
    want: [fam('a', 'UNTYPED', [val([], 1)], 'x\\y\nz "q" ')],
  },
  {
    name: 'HELP without text sets no help; #HELP without blank is still HELP',
    body: '# HELP a \n#HELP b bee\na 1\nb 2\n',
    want: [fam('a', 'UNTYPED', [val([], 1)]), fam('b', 'UNTYPED', [val([], 2)], 'bee')],
  },
  {
    name: 'lowercase keywords and other comments are ignored',
    body: '# type a gauge\n# help a x\n#\n# just a comment\na 1\n',
    want: [fam('a', 'UNTYPED', [val([], 1)])],
  },
  {
    name: 'TYPE names are case-insensitive; gauge_histogram and gaugehistogram',
    body:
      '# TYPE a COUNTER\na 1\n# TYPE b Gauge\nb 2\n# TYPE c gauge_histogram\nc_bucket{le="1"} 1\n' +
      '# TYPE d GaugeHistogram\nd_count 4\n# TYPE e UnTyped\ne 5\n',
    want: [
      fam('a', 'COUNTER', [val([], 1)]),
      fam('b', 'GAUGE', [val([], 2)]),
      fam('c', 'GAUGE_HISTOGRAM', [hist([], { buckets: [{ cumulativeCount: 1, upperBound: 1 }] })]),
      fam('d', 'GAUGE_HISTOGRAM', [hist([], { sampleCount: 4 })]),
      fam('e', 'UNTYPED', [val([], 5)]),
    ],
  },
  {
    name: 'backslashes vanish from a TYPE keyword, as in the reference',
    body: '# TYPE a gau\\ge\na 1\n',
    want: [fam('a', 'GAUGE', [val([], 1)])],
  },
  {
    name: 'families without samples are dropped',
    body: '# HELP a x\n# TYPE a counter\n# TYPE b gauge\nb 1\n# HELP c only help\n',
    want: [fam('b', 'GAUGE', [val([], 1)])],
  },
  {
    name: 'family order is first appearance, including HELP/TYPE lines',
    body: '# HELP z zed\ny 1\nz 2\na 3\n',
    want: [
      fam('z', 'UNTYPED', [val([], 2)], 'zed'),
      fam('y', 'UNTYPED', [val([], 1)]),
      fam('a', 'UNTYPED', [val([], 3)]),
    ],
  },
  {
    name: 'duplicate series are kept for the consistency check',
    body: 'a{x="1"} 1\na{x="1"} 2\n',
    want: [fam('a', 'UNTYPED', [val(L('x', '1'), 1), val(L('x', '1'), 2)])],
  },
  {
    name: 'non-contiguous lines of one family join it',
    body: 'a 1\nb 2\na{x="1"} 3\n',
    want: [fam('a', 'UNTYPED', [val([], 1), val(L('x', '1'), 3)]), fam('b', 'UNTYPED', [val([], 2)])],
  },
  {
    name: 'summary folding by label set, quantile label removed, non-contiguous lines',
    body:
      '# TYPE s summary\ns{quantile="0.5",a="1"} 1\ns{a="2",quantile="0.5"} 2\ns_sum{a="1"} 3\n' +
      's_count{a="1"} 4\nother 0\ns{quantile="0.9",a="1"} 5\ns_count{a="2"} 6\n',
    want: [
      fam('s', 'SUMMARY', [
        sum(L('a', '1'), {
          sampleCount: 4,
          sampleSum: 3,
          quantiles: [
            { quantile: 0.5, value: 1 },
            { quantile: 0.9, value: 5 },
          ],
        }),
        sum(L('a', '2'), { sampleCount: 6, quantiles: [{ quantile: 0.5, value: 2 }] }),
      ]),
      fam('other', 'UNTYPED', [val([], 0)]),
    ],
  },
  {
    name: '_sum/_count fold only into a family declared summary or histogram',
    body: 'x_sum 1\nx_count 2\n# TYPE g gauge\ng 1\ng_count 3\n',
    want: [
      fam('x_sum', 'UNTYPED', [val([], 1)]),
      fam('x_count', 'UNTYPED', [val([], 2)]),
      fam('g', 'GAUGE', [val([], 1)]),
      fam('g_count', 'UNTYPED', [val([], 3)]),
    ],
  },
  {
    name: 'summary _count is stored as Go uint64(value) without checks',
    body: '# TYPE s summary\ns_count 2.7\n# TYPE t summary\nt_count -1\n',
    want: [
      fam('s', 'SUMMARY', [sum([], { sampleCount: 2 })]),
      fam('t', 'SUMMARY', [sum([], { sampleCount: 2 ** 64 }) /* uint64(-1) = 2^64 - 1, as the nearest double */]),
    ],
  },
  {
    name: 'summary line without quantile creates the metric but stores nothing',
    body: '# TYPE s summary\ns{a="1"} 7\n',
    want: [fam('s', 'SUMMARY', [sum(L('a', '1'), {})])],
  },
  {
    name: 'histogram: missing +Inf tolerated, _bucket without le dropped, labels folded',
    body:
      '# TYPE h histogram\nh_bucket{a="1",le="0.5"} 1\nh_bucket{a="1",le="1"} 2\nh_bucket{a="1"} 9\n' +
      'h_sum{a="1"} 1.5\nh_count{a="1"} 2\nh_bucket{a="2",le="1"} 0\n',
    want: [
      fam('h', 'HISTOGRAM', [
        hist(L('a', '1'), {
          sampleCount: 2,
          sampleSum: 1.5,
          buckets: [
            { cumulativeCount: 1, upperBound: 0.5 },
            { cumulativeCount: 2, upperBound: 1 },
          ],
        }),
        hist(L('a', '2'), { buckets: [{ cumulativeCount: 0, upperBound: 1 }] }),
      ]),
    ],
  },
  {
    name: 'histogram with a non-integer count becomes a float histogram throughout',
    body: '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2.5\nh_count 2.5\nh_sum 4\n',
    want: [
      fam('h', 'HISTOGRAM', [
        hist([], {
          sampleCount: 0,
          sampleCountFloat: 2.5,
          sampleSum: 4,
          buckets: [
            { cumulativeCount: 0, cumulativeCountFloat: 1, upperBound: 1 },
            { cumulativeCount: 0, cumulativeCountFloat: 2.5, upperBound: Infinity },
          ],
        }),
      ]),
    ],
  },
  {
    name: 'histogram counts beyond 2^53 stay integer while they are exact uint64 values; 2^64 is float',
    body: '# TYPE h histogram\nh_bucket{le="1"} 1e18\nh_count 1e18\n# TYPE k histogram\nk_count 18446744073709551616\n',
    want: [
      fam('h', 'HISTOGRAM', [hist([], { sampleCount: 1e18, buckets: [{ cumulativeCount: 1e18, upperBound: 1 }] })]),
      fam('k', 'HISTOGRAM', [hist([], { sampleCountFloat: 2 ** 64 })]),
    ],
  },
  {
    name: 'quoted metric name syntax with UTF-8 names enabled',
    body: '{"my.metric", "label.name"="v"} 1\n# TYPE "a.b" gauge\n{"a.b"} 2\n',
    utf8: true,
    want: [fam('my.metric', 'UNTYPED', [val(L('label.name', 'v'), 1)]), fam('a.b', 'GAUGE', [val([], 2)])],
  },
  {
    name: 'quoted syntax with legacy-valid names is accepted without UTF-8 names',
    body: '{"valid_name", a="b"} 1\nplain{"x"="y"} 2\n',
    want: [fam('valid_name', 'UNTYPED', [val(L('a', 'b'), 1)]), fam('plain', 'UNTYPED', [val(L('x', 'y'), 2)])],
  },
  {
    name: 'a quote inside an unquoted name continues it, as in the reference',
    body: 'a"b" 1\n',
    want: [fam('ab', 'UNTYPED', [val([], 1)])],
  },
  {
    name: 'a nameless {labels} line re-uses the previous sample, as in the reference',
    body: 'a 1\n{x="y"} 2\n',
    want: [fam('a', 'UNTYPED', [val(L('x', 'y'), 2), val(L('x', 'y'), 2)])],
  },
  {
    name: 'colons and underscores in metric names',
    body: 'job:rate_5m:sum 1\n_under 2\n',
    want: [fam('job:rate_5m:sum', 'UNTYPED', [val([], 1)]), fam('_under', 'UNTYPED', [val([], 2)])],
  },
];

/** Bodies the reference rejects, with its exact message (line numbers are 1-based). */
export const INVALID: Array<{ name: string; body: string; msg: string; utf8?: boolean }> = [
  { name: 'missing final newline', body: 'z 1', msg: 'line 1: unexpected end of input stream' },
  { name: 'missing final newline on a later line', body: 'a 1\n\nb 2', msg: 'line 3: unexpected end of input stream' },
  { name: 'comment without final newline', body: 'a 1\n# EOF', msg: 'line 2: unexpected end of input stream' },
  { name: 'HELP without final newline', body: '# HELP a text', msg: 'line 1: unexpected end of input stream' },
  { name: 'CRLF line ending', body: 'm 1\r\n', msg: 'line 1: expected float as value, got "1\\r"' },
  { name: 'hex value', body: 'm 0x1A\n', msg: 'line 1: expected float as value, got "0x1A"' },
  { name: 'underscore digits', body: 'm 1_000\n', msg: 'line 1: expected float as value, got "1_000"' },
  { name: 'hex float with p exponent', body: 'm 0x1p3\n', msg: 'line 1: expected float as value, got "0x1p3"' },
  { name: 'word value', body: 'm abc\n', msg: 'line 1: expected float as value, got "abc"' },
  { name: 'overflowing value', body: 'm 1e400\n', msg: 'line 1: expected float as value, got "1e400"' },
  { name: 'signed NaN', body: 'm -nan\n', msg: 'line 1: expected float as value, got "-nan"' },
  { name: 'missing value', body: 'm\n', msg: 'line 1: expected float as value, got ""' },
  { name: 'trailing blank after value', body: 'm 1 \n', msg: 'line 1: expected integer as timestamp, got ""' },
  { name: 'float timestamp', body: 'm 1 1.5\n', msg: 'line 1: expected integer as timestamp, got "1.5"' },
  {
    name: 'out-of-range timestamp',
    body: 'm 1 9223372036854775808\n',
    msg: 'line 1: expected integer as timestamp, got "9223372036854775808"',
  },
  { name: 'text after timestamp', body: 'm 1 123 x\n', msg: 'line 1: spurious string after timestamp: " x"' },
  { name: '__name__ label', body: 'm{__name__="x"} 1\n', msg: 'line 1: label name "__name__" is reserved' },
  { name: 'duplicate label', body: 'm{a="1",a="2"} 1\n', msg: 'line 1: duplicate label names for metric "m"' },
  { name: 'dash in label name', body: 'm{a-b="1"} 1\n', msg: "line 1: expected '=' after label name, found '-'" },
  {
    name: 'non-ASCII after label name (Go shows the lead byte)',
    body: 'm{aé="1"} 1\n',
    msg: "line 1: expected '=' after label name, found 'Ã'",
  },
  { name: 'label without value', body: 'm{a} 1\n', msg: "line 1: expected '=' after label name, found '}'" },
  { name: 'label name starting with digit', body: 'm{1="a"} 1\n', msg: 'line 1: invalid label name for metric "m"' },
  { name: 'newline after comma', body: 'm{a="1",\n', msg: 'line 1: invalid label name for metric "m"' },
  {
    name: 'quoted dotted label name in legacy mode',
    body: 'm{"a.b"="1"} 1\n',
    msg: 'line 1: invalid label name "a.b"',
  },
  { name: 'unquoted label value', body: 'm{a=1} 1\n', msg: "line 1: expected '\"' at start of label value, found '1'" },
  {
    name: 'missing comma between labels',
    body: 'm{a="1" b="2"} 1\n',
    msg: 'line 1: unexpected end of label value "1"',
  },
  { name: 'unterminated label set', body: 'm{a="1"\n', msg: 'line 1: unexpected end of label value "1"' },
  { name: 'tab escape in label value', body: 'm{a="x\\ty"} 1\n', msg: "line 1: invalid escape sequence '\\t'" },
  {
    name: 'raw newline in label value',
    body: 'm{a="x\ny"} 1\n',
    msg: 'line 1: label value "x" contains unescaped new-line',
  },
  { name: 'metric name starting with a digit', body: '1abc 2\n', msg: 'line 1: invalid metric name' },
  { name: 'dotted metric name', body: 'my.metric 1\n', msg: 'line 1: expected float as value, got ".metric"' },
  {
    name: 'quoted dotted metric name in legacy mode',
    body: '{"my.metric", "label.name"="v"} 1\n',
    msg: 'line 1: invalid metric name "my.metric"',
  },
  {
    name: 'quoted dotted name in HELP in legacy mode',
    body: '# HELP "a.b" x\n',
    msg: 'line 1: invalid metric name "a.b"',
  },
  {
    name: 'two names in braces',
    body: '{"x", "y"} 1\n',
    msg: 'line 1: multiple metric names for metric "x"',
    utf8: true,
  },
  { name: 'two bare words in braces', body: '{x y} 1\n', msg: "line 1: unexpected end of metric name 'y'" },
  { name: 'empty braces with no metric', body: '{} 1\n', msg: 'line 1: invalid metric name' },
  { name: 'labels without metric on the first line', body: '{a="b"} 1\n', msg: 'line 1: invalid metric name' },
  {
    name: 'newline inside a quoted name',
    body: '"x\n',
    msg: 'line 1: metric name "x" contains unescaped new-line',
    utf8: true,
  },
  {
    name: 'newline inside a quoted label name',
    body: '{"x\n',
    msg: 'line 1: label name "x" contains unescaped new-line',
    utf8: true,
  },
  {
    name: 'bad escape inside a quoted name',
    body: '{"a\\qb"} 1\n',
    msg: "line 1: invalid escape sequence '\\q'",
    utf8: true,
  },
  { name: 'unknown type', body: '# TYPE x foo\n', msg: 'line 1: unknown metric type "foo"' },
  { name: 'blank after type keyword', body: '# TYPE x gauge \n', msg: 'line 1: unknown metric type "gauge "' },
  {
    name: 'second TYPE',
    body: '# TYPE x counter\n# TYPE x gauge\n',
    msg: 'line 2: second TYPE line for metric name "x", or TYPE reported after samples',
  },
  {
    name: 'TYPE after samples',
    body: 'x 1\n\n# TYPE x gauge\n',
    msg: 'line 3: second TYPE line for metric name "x", or TYPE reported after samples',
  },
  {
    name: 'TYPE of a folded _count name hits the base family',
    body: '# TYPE s summary\n# TYPE s_count counter\n',
    msg: 'line 2: second TYPE line for metric name "s", or TYPE reported after samples',
  },
  { name: 'second HELP', body: '# HELP x a\n# HELP x b\n', msg: 'line 2: second HELP line for metric name "x"' },
  { name: 'bad escape in HELP', body: '# HELP x a\\tb\n', msg: "line 1: invalid escape sequence '\\t'" },
  { name: 'dotted name in HELP', body: '# HELP x.y z\n', msg: 'line 1: invalid metric name in comment' },
  {
    name: 'bad le',
    body: '# TYPE h histogram\nh_bucket{le="abc"} 1\n',
    msg: 'line 2: expected float as value for \'le\' label, got "abc"',
  },
  {
    name: 'bad quantile',
    body: '# TYPE s summary\ns{quantile="x"} 1\n',
    msg: 'line 2: expected float as value for \'quantile\' label, got "x"',
  },
  {
    name: 'negative histogram count',
    body: '# TYPE h histogram\nh_count -1\n',
    msg: 'line 2: negative count for histogram "h"',
  },
  {
    name: 'negative bucket',
    body: '# TYPE h histogram\nh_bucket{le="1"} -0.5\n',
    msg: 'line 2: negative bucket population for histogram "h"',
  },
  {
    name: 'error line counts blank and comment lines',
    body: '\n# c\n\na 1\nb x\n',
    msg: 'line 5: expected float as value, got "x"',
  },
  {
    name: 'control character quoted like Go',
    body: 'm 1\u0001\n',
    msg: 'line 1: expected float as value, got "1\\x01"',
  },
];

test('parseText builds the reference model for valid bodies', () => {
  for (const c of VALID) {
    const got = parseText(c.body, { utf8Names: c.utf8 ?? false });
    assert.deepStrictEqual(got, c.want, c.name);
  }
});

test('parseText rejects invalid bodies with the reference message and line', () => {
  for (const c of INVALID) {
    assert.throws(
      () => parseText(c.body, { utf8Names: c.utf8 ?? false }),
      (err: unknown) => {
        assert.ok(err instanceof TextParseError, c.name);
        assert.equal(err.message, `text format parsing error in ${c.msg}`, c.name);
        assert.equal(err.status, 400);
        assert.equal(err.code, 'PGW_ERR_TEXT_PARSE');
        return true;
      },
      c.name,
    );
  }
});

test('parseText defaults to legacy names when no options are given', () => {
  assert.throws(() => parseText('{"a.b"} 1\n'), /invalid metric name "a\.b"/);
  assert.deepEqual(
    parseText('{"a.b"} 1\n', { utf8Names: true }).map((f) => f.name),
    ['a.b'],
  );
});

test('a nameless label line before any sample is an error (the reference panics on it)', () => {
  assert.throws(() => parseText('# TYPE x gauge\n{a="b"} 1\n'), /line 2: invalid metric name/);
});

test('parseText keeps help undefined without a HELP line and sets it with one', () => {
  const [a, b] = parseText('a 1\n# HELP b hi\nb 1\n');
  assert.equal('help' in a!, false);
  assert.equal(b!.help, 'hi');
});

test('parseText handles a 10k-line body of ten families in one pass', () => {
  let body = '';
  for (let f = 0; f < 10; f++) {
    body += `# HELP fam_${f} Family ${f}\n# TYPE fam_${f} gauge\n`;
    for (let i = 0; i < 1000; i++) body += `fam_${f}{instance="host-${i}",code="200"} ${i}.5\n`;
  }
  const fams = parseText(body);
  assert.equal(fams.length, 10);
  assert.equal(fams[9]!.metrics.length, 1000);
  assert.deepEqual(fams[3]!.metrics[7], { labels: L('instance', 'host-7', 'code', '200'), value: 7.5 });
});

test('bodies with invalid UTF-8: errors quote the bytes as Go does; HELP keeps U+FFFD (checked against 1.5.1)', () => {
  const cases: Array<[string, string]> = [
    ['m\xff 1\n', 'line 1: expected float as value, got "\\xff"'],
    ['m{l\xff="1"} 1\n', "line 1: expected '=' after label name, found 'ÿ'"],
    ['m{l="a"}\x80 1\n', 'line 1: expected float as value, got "\\x80"'],
    ['m 1 \xff\n', 'line 1: expected integer as timestamp, got "\\xff"'],
    ['# TYPE m gauge\xff\nm 1\n', 'line 1: unknown metric type "gauge\\xff"'],
    ['\n\nm{a="\xff",b="\xfe"} 1\n', 'line 3: invalid label value "\\xff"'],
    ['m{l="\xe9\xff"} 1\n', 'line 1: invalid label value "\\xe9\\xff"'],
  ];
  for (const [body, msg] of cases) {
    assert.throws(
      () => parseTextBody(Buffer.from(body, 'latin1'), { utf8Names: false }),
      (err: unknown) => err instanceof TextParseError && err.message === `text format parsing error in ${msg}`,
      JSON.stringify(body),
    );
  }
  // A valid multi-byte character next to an invalid byte is still a character.
  assert.throws(
    () =>
      parseTextBody(Buffer.concat([Buffer.from('m{l="a"}é'), Buffer.from([0xff]), Buffer.from(' 1\n')]), {
        utf8Names: false,
      }),
    { message: 'text format parsing error in line 1: expected float as value, got "é\\xff"' },
  );
  const [f] = parseTextBody(Buffer.concat([Buffer.from('# HELP q é'), Buffer.from([0xff]), Buffer.from('b\nq 1\n')]), {
    utf8Names: false,
  });
  assert.equal(f!.help, 'é\ufffdb');
});
