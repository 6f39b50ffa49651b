/**
 * Scrape content negotiation (src/format/negotiate.ts) as prometheus/common's expfmt.Negotiate does it:
 * q-ordered Accept clauses, the first protobuf-delimited or text 0.0.4 clause wins, any valid
 * `escaping=` seen on the way sets the scheme, and the Content-Type carries it. Also the name escaping
 * schemes themselves (model.EscapeName).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { negotiate, negotiateEncoding } from '../../src/format/negotiate.js';
import { escapeName } from '../../src/model/names.js';

const PB = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';
const TEXT = 'text/plain; version=0.0.4; charset=utf-8';
const PB_ACCEPT = 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited';

describe('Accept negotiation', () => {
  const table: Array<[string | undefined, string]> = [
    [undefined, `${TEXT}; escaping=underscores`],
    ['', `${TEXT}; escaping=underscores`],
    ['*/*', `${TEXT}; escaping=underscores`],
    [PB_ACCEPT, `${PB}; escaping=underscores`],
    // Prometheus 2.x with native histograms enabled
    [`${PB_ACCEPT};q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.2`, `${PB}; escaping=underscores`],
    // q decides, not the order
    [`text/plain;version=0.0.4;q=0.5,${PB_ACCEPT};q=0.6`, `${PB}; escaping=underscores`],
    [`${PB_ACCEPT};q=0.5,text/plain;q=0.6`, `${TEXT}; escaping=underscores`],
    // the proto parameter is required; encoding=text is a debug format we answer with text
    ['application/vnd.google.protobuf;encoding=delimited', `${TEXT}; escaping=underscores`],
    [
      'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text',
      `${TEXT}; escaping=underscores`,
    ],
    // text with another version is skipped; OpenMetrics is never chosen
    [`text/plain;version=1.0.0,${PB_ACCEPT};q=0.5`, `${PB}; escaping=underscores`],
    ['application/openmetrics-text;version=1.0.0', `${TEXT}; escaping=underscores`],
    // Prometheus 3 default: escaping from a clause not chosen still applies
    [
      'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;' +
        'version=0.0.1;q=0.4,' +
        'text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1',
      `${TEXT}; escaping=allow-utf-8`,
    ],
    [`${PB_ACCEPT};escaping=values`, `${PB}; escaping=values`],
    ['text/plain;escaping=dots', `${TEXT}; escaping=dots`],
    ['text/plain;escaping=bogus', `${TEXT}; escaping=underscores`],
    // an unparsable q is 0; a space after q= makes it unparsable, as in Go
    [`${PB_ACCEPT};q=x,text/plain`, `${TEXT}; escaping=underscores`],
    [`${PB_ACCEPT};q= 1,text/plain;q=0.1`, `${TEXT}; escaping=underscores`],
    // goautoneg's comparison prefers a concrete type over */* whatever the q
    [`*/*;q=1,${PB_ACCEPT};q=0.1`, `${PB}; escaping=underscores`],
  ];
  for (const [accept, contentType] of table) {
    it(`${JSON.stringify(accept)} → ${contentType}`, () => {
      assert.equal(negotiate(accept).contentType, contentType);
    });
  }
});

describe('Accept headers with many clauses', () => {
  it('a list longer than Go sorts by insertion is still ordered by q (PB last in the header, highest q)', () => {
    const others = Array.from({ length: 40 }, (_, i) => `text/plain;version=1.0.0;q=0.${String(i).padStart(2, '0')}`);
    assert.equal(
      negotiate([...others, `${PB_ACCEPT};q=0.9`, 'text/plain;q=0.5'].join(',')).contentType,
      `${PB}; escaping=underscores`,
    );
    assert.equal(
      negotiate([...others, `${PB_ACCEPT};q=0.4`, 'text/plain;q=0.5'].join(',')).contentType,
      `${TEXT}; escaping=underscores`,
    );
  });
  // Found by the fuzzer: the insertion sort took 1.3 s for a 200 KB header (quadratic), the merge sort that
  // replaced it 120–270 ms for 1 MiB; the clauses are now selected in one pass, never sorted.
  it('a 1 MiB header of 100,000 clauses in rising q is negotiated', { timeout: 20_000 }, () => {
    const header = Array.from({ length: 100_000 }, (_, i) => `a/b;q=0.${String(i).padStart(5, '0')}`).join(',');
    assert.ok(header.length > 1_000_000);
    assert.equal(negotiate(`${header},text/plain;escaping=dots`).contentType, `${TEXT}; escaping=dots`);
  });

  it('a 1 MiB header answers as the short header with the same best clause and escaping', { timeout: 20_000 }, () => {
    const short = `text/plain;version=1.0.0;escaping=values;q=0.8,${PB_ACCEPT};q=0.7,text/plain;q=0.3`;
    assert.equal(negotiate(short).contentType, `${PB}; escaping=values`);
    // Before and after: clauses above the best that neither decide nor set an escaping, deciders below it,
    // escapings below it (walked after it, so not applied), wildcards, dropped clauses, empty clauses.
    const filler = (i: number): string =>
      [
        'application/openmetrics-text;version=1.0.0;q=0.9',
        'text/plain;q=0.2',
        'a/b;escaping=dots;q=0.1',
        '*/*;escaping=allow-utf-8;q=0.7',
        `${PB_ACCEPT};q=0.69`,
        'x',
        '',
        ` text/html ; q=0.${i % 7}`,
      ][i % 8]!;
    const fill = (n: number, from: number): string[] => Array.from({ length: n }, (_, i) => filler(from + i));
    const long = [...fill(60_000, 0), short, ...fill(60_000, 3)].join(',');
    assert.ok(long.length > 1 << 20, `${long.length} bytes`);
    assert.equal(negotiate(long).contentType, negotiate(short).contentType);
  });

  it(
    'beyond 12 clauses the escaping is the last one walked up to the decider (q, then specificity, then ' +
      'header order)',
    () => {
      const pad = Array.from({ length: 20 }, () => 'a/b;q=0.01');
      const neg = (...clauses: string[]): string => negotiate([...pad, ...clauses].join(',')).contentType;
      assert.equal(
        neg('a/b;escaping=allow-utf-8;q=0.95', 'a/b;escaping=dots;q=0.9', `${PB_ACCEPT};q=0.5`),
        `${PB}; escaping=dots`,
      );
      assert.equal(neg('a/b;escaping=dots;q=0.5', `${PB_ACCEPT};q=0.5`), `${PB}; escaping=dots`); // same q, before it
      // same q, after it
      assert.equal(neg(`${PB_ACCEPT};q=0.5`, 'a/b;escaping=dots;q=0.5'), `${PB}; escaping=underscores`);
      // a wildcard comes after
      assert.equal(neg('*/*;escaping=dots;q=0.5', `${PB_ACCEPT};q=0.5`), `${PB}; escaping=underscores`);
      // its own
      assert.equal(neg(`${PB_ACCEPT};q=0.5;escaping=values`, 'a/b;escaping=dots;q=0.6'), `${PB}; escaping=values`);
      // equal deciders: the first
      assert.equal(neg('text/plain;q=0.5', `${PB_ACCEPT};q=0.5`), `${TEXT}; escaping=underscores`);
      assert.equal(neg(`${PB_ACCEPT};q=0.5`, 'text/plain;q=0.5'), `${PB}; escaping=underscores`);
      // no decider: all walked
      assert.equal(neg('a/b;escaping=dots;q=0.2', 'a/b;escaping=values;q=0.3'), `${TEXT}; escaping=dots`);
    },
  );

  // With concrete types only, goautoneg's comparison is a consistent order by q, so Go's insertion sort (up to
  // 12 clauses) and the long-list selection must agree: padding a list past 12 with clauses that neither
  // decide nor set an escaping cannot change the answer.
  it('up to 12 concrete clauses answer the same when padded past 12 (insertion sort and selection agree)', () => {
    let seed = 12345;
    const next = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const kinds = [
      'text/plain',
      'text/plain;version=0.0.4',
      'text/plain;version=1.0.0',
      PB_ACCEPT,
      `${PB_ACCEPT.replace('delimited', 'text')}`,
      'application/openmetrics-text;version=1.0.0',
      'a/b',
    ];
    const escapings = ['', ';escaping=dots', ';escaping=values', ';escaping=allow-utf-8', ';escaping=bogus'];
    const qs = ['', ';q=0', ';q=0.1', ';q=0.5', ';q=0.5', ';q=0.9', ';q=1'];
    for (let round = 0; round < 2000; round++) {
      const clauses = Array.from(
        { length: 1 + next(12) },
        () => kinds[next(kinds.length)]! + escapings[next(escapings.length)]! + qs[next(qs.length)]!,
      );
      const padded = [...clauses, ...Array.from({ length: 13 }, () => `a/b${qs[next(qs.length)]!}`)];
      assert.equal(
        negotiate(padded.join(',')).contentType,
        negotiate(clauses.join(',')).contentType,
        clauses.join(','),
      );
    }
  });
});

describe('name escaping schemes', () => {
  const table: Array<[string, Record<string, string>]> = [
    [
      'legacy_name:ok',
      {
        underscores: 'legacy_name:ok',
        dots: 'legacy_name:ok',
        values: 'legacy_name:ok',
        'allow-utf-8': 'legacy_name:ok',
      },
    ],
    [
      'my.metric',
      { underscores: 'my_metric', dots: 'my_dot_metric', values: 'U__my_2e_metric', 'allow-utf-8': 'my.metric' },
    ],
    ['a_b.c-d', { underscores: 'a_b_c_d', dots: 'a__b_dot_c__d', values: 'U__a__b_2e_c_2d_d' }],
    ['1st', { underscores: '_st', dots: '__st', values: 'U___31_st' }],
    ['Προ', { underscores: '___', values: 'U___3a0__3c1__3bf_' }],
  ];
  for (const [name, want] of table) {
    for (const [scheme, escaped] of Object.entries(want)) {
      it(`${scheme}: ${name} → ${escaped}`, () => {
        assert.equal(escapeName(name, scheme as Parameters<typeof escapeName>[1]), escaped);
      });
    }
  }
});

describe('Accept-Encoding negotiation (client_golang 1.23 promhttp over gddo NegotiateContentEncoding)', () => {
  const table: Array<[string | undefined, 'gzip' | 'identity']> = [
    [undefined, 'identity'],
    ['', 'identity'],
    ['gzip', 'gzip'],
    ['gzip, deflate, br', 'gzip'],
    ['br, gzip', 'gzip'],
    ['deflate', 'identity'],
    ['*', 'identity'], // identity is offered first and matches the wildcard
    ['gzip;q=0', 'identity'],
    ['gzip; q=0.000', 'identity'],
    ['GZIP', 'identity'], // codings compared case-sensitively
    ['gzip;q=0.5, identity', 'identity'],
    ['identity;q=0.1, gzip;q=0.2', 'gzip'],
    ['gzip;q=0.5, *;q=0.8', 'identity'],
    ['*;q=0', 'identity'],
    ['zstd', 'identity'], // zstd would win but is not linked into the reference: identity
    ['zstd, gzip', 'gzip'],
    ['zstd;q=1, gzip;q=0.5', 'identity'],
    ['gzip;level=9', 'identity'], // a parameter other than q ends parsing
    ['br;level=9, gzip', 'identity'],
    ['gzip;q=2', 'identity'], // a q that starts with neither 0 nor 1 ends parsing
    ['gzip;q=1.5', 'gzip'],
    ['gzip;q=x', 'identity'],
    ['x-gzip', 'identity'],
    // gddo's q digits accumulate in Go ints, which wrap: 19 digits give a negative q, which ends parsing;
    // from 64 digits the divisor is 0, so q is +Inf (gzip wins) or NaN (never wins)
    ['gzip;q=0.5000000000000000000', 'identity'],
    [`identity;q=0.9, gzip;q=0.${'0'.repeat(64)}1`, 'gzip'],
    [`gzip;q=1.${'0'.repeat(65)}`, 'identity'],
    ['gzip;q=0.9999999999999999, identity;q=0.99', 'gzip'],
  ];
  for (const [header, want] of table) {
    it(`${JSON.stringify(header)} → ${want}`, () => assert.equal(negotiateEncoding(header), want));
  }

  it('a 1 MiB header answers as the short header with the same best coding', { timeout: 20_000 }, () => {
    const short = 'br;q=0.9, gzip;q=0.5, identity;q=0.4';
    const fill = Array.from(
      { length: 90_000 },
      (_, i) => ['br;q=0.9', 'deflate', 'identity;q=0.1', '*;q=0.2'][i % 4]!,
    ).join(', ');
    const long = `${fill}, ${short}, ${fill}`;
    assert.ok(long.length > 1 << 20, `${long.length} bytes`);
    assert.equal(negotiateEncoding(short), 'gzip');
    assert.equal(negotiateEncoding(long), negotiateEncoding(short));
  });
});
