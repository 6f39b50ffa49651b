/**
 * The differential case table: request sequences replayed against the reference Pushgateway and against
 * ours, whose answers and resulting expositions must match. Exported with a replay function so a script
 * can run any case against any gateway URL.
 *
 * Placeholders keep cases independent on one shared server pair: `{{J}}` expands to a job prefix unique
 * to the case and `{{M}}` to a metric-name prefix unique to the case, so the comparison only looks at
 * the case's own families and at the push-time series of the case's own jobs. `{{b64:TEXT}}` and
 * `{{b64pad:TEXT}}` are the URL-safe base64 of TEXT without and with padding (after expanding J/M).
 */
import http from 'node:http';
import { gunzipSync, gzipSync } from 'node:zlib';
import { snappyFramed } from '../../src/format/body.js';
import { parseProtobufBody } from '../../src/format/protobuf.js';
import { renderFamily, renderLabelInner } from '../../src/format/text-write.js';
import { isNativeHistogram } from '../../src/model/metric.js';
import {
  compareTranscripts,
  normaliseContentType,
  normaliseExposition,
  type CaseTranscript,
  type ScrapeResult,
  type StepResult,
} from './exposition.js';

export { compareTranscripts, type CaseTranscript, type ScrapeResult, type StepResult };

export interface Step {
  method: string;
  path: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Gzip the (expanded) body before sending; set `Content-Encoding: gzip` yourself. */
  gzip?: boolean;
  /** Snappy-frame the (expanded) body before sending; set `Content-Encoding: snappy` yourself. */
  snappy?: boolean;
  /** Send the body with chunked transfer encoding, as prom-client does. */
  chunked?: boolean;
  /** Compare the exposition after this step too (the last step is always followed by one). */
  scrape?: boolean;
  /** A length-delimited protobuf body, encoded after placeholder expansion (lengths depend on it). */
  pb?: PbFamily[];
  /** Drop this many bytes from the end of the encoded protobuf body (a truncated stream). */
  pbTruncate?: number;
}

/** The subset of io.prometheus.client.MetricFamily the cases push. */
export interface PbFamily {
  name: string;
  help?: string;
  type: 'COUNTER' | 'GAUGE' | 'SUMMARY' | 'UNTYPED' | 'HISTOGRAM';
  metrics: PbMetric[];
}

export interface PbMetric {
  labels?: [string, string][];
  value?: number;
  timestampMs?: number;
  summary?: { count: number; sum: number; quantiles: [number, number][] };
  histogram?: { count: number; sum: number; buckets: [number, number][]; native?: PbNative };
}

/** The native part of a histogram: spans as [offset, length], deltas of the positive buckets. */
export interface PbNative {
  schema: number;
  zeroThreshold: number;
  zeroCount: number;
  spans: [number, number][];
  deltas: number[];
}

export interface DiffCase {
  name: string;
  steps: Step[];
  /** Own-instrumentation families the case pushes into; only its jobs' samples are compared. */
  sharedFamilies?: string[];
  /** Families whose HELP the reference chooses non-deterministically (first group in map order). */
  dropHelp?: string[];
  /** Why the case needs its own fresh server pair (it leaves the reference unusable). */
  isolated?: string;
  /**
   * Why the reference's consistency-error detail is random for this case; its error bodies are then
   * compared up to the `existing metrics: ` prefix only (the status is still compared).
   */
  unstableErrorDetail?: string;
  /** Request headers for the case's scrapes of /metrics (content negotiation, compression). */
  scrapeHeaders?: Record<string, string>;
}

export interface ExpandedCase extends Omit<DiffCase, 'steps'> {
  jobPrefix: string;
  metricPrefix: string;
  steps: (Omit<Step, 'body'> & { body?: Buffer | undefined })[];
}

// ---------------------------------------------------------------------------------------------------
// Table helpers

const G = '/metrics/job/{{J}}';
const text = (...lines: string[]): string => `${lines.join('\n')}\n`;
const req =
  (method: string) =>
  (path: string, body?: string | Buffer, extra: Partial<Step> = {}): Step => ({
    method,
    path,
    ...(body === undefined ? {} : { body }),
    ...extra,
  });
const put = req('PUT');
const post = req('POST');
const del = req('DELETE');
const get = req('GET');
const head = req('HEAD');
const options = req('OPTIONS');
const c = (name: string, steps: Step[], extra: Omit<DiffCase, 'name' | 'steps'> = {}): DiffCase => ({
  name,
  steps,
  ...extra,
});

/** A one-push case: PUT the body to the case's job and compare status, body and exposition. */
const push1 = (name: string, body: string, path = G): DiffCase => c(name, [put(path, body)]);

// ---------------------------------------------------------------------------------------------------
// The cases

const basics: DiffCase[] = [
  push1('put-single-untyped', text('{{M}}a 1')),
  c('post-single-untyped', [post(G, text('{{M}}a 1'))]),
  push1('put-help-and-type', text('# HELP {{M}}c A counter.', '# TYPE {{M}}c counter', '{{M}}c 3')),
  push1('put-instance-in-path', text('{{M}}a 1'), `${G}/instance/i1`),
  push1('put-several-path-labels', text('{{M}}a 1'), `${G}/instance/i1/zone/eu/rack/r7`),
  c('put-replaces-group', [put(G, text('{{M}}a 1', '{{M}}b 2'), { scrape: true }), put(G, text('{{M}}c 3'))]),
  c('post-merges-by-family', [put(G, text('{{M}}a 1', '{{M}}b 2')), post(G, text('{{M}}a 5'))]),
  c('post-same-family-other-labels', [put(G, text('{{M}}f{x="1"} 1')), post(G, text('{{M}}f{x="2"} 2'))]),
  c('post-new-family-keeps-others', [post(G, text('{{M}}a 1')), post(G, text('{{M}}b 2'))]),
  c('put-empty-body-clears-group', [put(G, text('{{M}}a 1'), { scrape: true }), put(G, '')]),
  c('put-empty-body-new-group', [put(G, '')]),
  c('post-empty-body-new-group', [post(G, '')]),
  c('post-empty-body-keeps-families', [put(G, text('{{M}}a 1')), post(G, '')]),
  c('delete-group', [put(G, text('{{M}}a 1'), { scrape: true }), del(G)]),
  c('delete-unknown-group', [del(G), del(`${G}/instance/nope`)]),
  c('delete-shorter-key-keeps-longer', [put(`${G}/instance/x`, text('{{M}}a 1')), del(G)]),
  c('delete-longer-key-keeps-shorter', [
    put(G, text('{{M}}a 1')),
    put(`${G}/instance/x`, text('{{M}}a 2'), { scrape: true }),
    del(`${G}/instance/x`),
  ]),
  c('delete-ignores-body', [put(G, text('{{M}}a 1')), del(G, 'this is not metrics')]),
  c('delete-then-repush-resets-failure-time', [
    put(`${G}-other`, text('# TYPE {{M}}t counter', '{{M}}t 1')),
    put(G, text('{{M}}a 1')),
    put(G, text('# TYPE {{M}}t gauge', '{{M}}t 1'), { scrape: true }),
    del(G),
    put(G, text('{{M}}a 2')),
  ]),
  c('two-groups-same-family', [put(`${G}/instance/2`, text('{{M}}a 2')), put(`${G}/instance/1`, text('{{M}}a 1'))]),
  c('series-order-across-groups', [
    put(`${G}-b`, text('{{M}}a 1')),
    put(`${G}-a/instance/z`, text('{{M}}a 2')),
    put(`${G}-a`, text('{{M}}a{b=""} 3', '{{M}}a{instance="i2"} 4')),
    put(`${G}-c/x/y`, text('{{M}}a 5')),
  ]),
  c('put-post-put-sequence', [
    put(G, text('{{M}}a 1', '{{M}}b 1')),
    post(G, text('{{M}}b 2', '{{M}}c 2'), { scrape: true }),
    put(G, text('{{M}}d 3')),
  ]),
];

const paths: DiffCase[] = [
  c('path-percent2f-in-job', [put('/metrics/job/{{J}}a%2Fb', text('{{M}}a 1'))]),
  c('path-percent2f-in-label-value', [put(`${G}/path/a%2Fb`, text('{{M}}a 1'))]),
  c('path-plus-and-percent20', [put('/metrics/job/{{J}}a+b/inst/x%20y', text('{{M}}a 1'))]),
  c('path-percent-encoded-utf8', [put(`${G}/city/K%C3%B6ln`, text('{{M}}a 1'))]),
  c('path-double-slash-put-301', [put(`${G}/a//b`, text('{{M}}a 1'))]),
  c('path-double-slash-get-301', [get('/metrics/job//{{J}}')]),
  c('path-dot-segment-301', [put(`${G}/a/./b`, text('{{M}}a 1'))]),
  c('path-dotdot-segment-301', [put(`${G}/a/b/../c/d`, text('{{M}}a 1'))]),
  c('path-dotdot-get-metrics-301', [get('/metrics/../metrics')]),
  c('path-trailing-slash-ok', [put(`${G}/`, text('{{M}}a 1'))]),
  c('path-trailing-slash-after-pair', [put(`${G}/instance/x/`, text('{{M}}a 1'))]),
  c('path-name-then-slash-is-empty-value', [put(`${G}/a/`, text('{{M}}a 1'))]),
  c('path-metrics-job-slash-307', [put('/metrics/job/', text('{{M}}a 1')), post('/metrics/job/', '')]),
  c('path-metrics-job-slash-get-404', [get('/metrics/job/')]),
  c('path-metrics-job-404', [put('/metrics/job', text('{{M}}a 1')), del('/metrics/job')]),
  c('path-unknown-404', [get('/nope'), put('/metrics/jobs/{{J}}', text('{{M}}a 1')), get('/metrics/job/{{J}}x/')]),
  c('path-get-on-push-path-405', [get(G), get(`${G}/a/b`), get('/metrics/job@base64/{{b64:{{J}}}}')]),
  c('path-methods-on-metrics-405', [
    post('/metrics', text('{{M}}a 1')),
    put('/metrics', ''),
    del('/metrics'),
    head('/metrics'),
  ]),
  c('path-options', [options(G), options(`${G}/a/b`), options('/metrics'), options('/-/healthy')]),
  c('path-get-metrics-trailing-slash-301', [get('/metrics/')]),
  c('path-fully-percent-encoded', [
    put('/metrics%2Fjob%2F{{J}}%2Finstance%2Fi1', text('{{M}}a 1'), { scrape: true }),
    del('/metrics%2Fjob%2F{{J}}%2Finstance%2Fi1'),
  ]),
  c('path-health-and-ready', [get('/-/healthy'), get('/-/ready'), head('/-/healthy'), post('/-/ready', '')]),
  c('path-quit-disabled', [put('/-/quit', ''), post('/-/quit', ''), get('/-/quit')]),
  c('path-job-with-at-sign', [put('/metrics/job/{{J}}@x/l/v@z', text('{{M}}a 1'))]),
  c('path-label-name-with-at-sign', [put(`${G}/l@y/v`, text('{{M}}a 1'))]),
  c('path-job-with-colon-and-tilde', [put('/metrics/job/{{J}}:x~y/l/a:b', text('{{M}}a 1'))]),
  c('path-equals-and-semicolon', [put('/metrics/job/{{J}}=x;y/l/a=b;c', text('{{M}}a 1'))]),
  c('path-percent-encoded-percent', [put(`${G}/pct/100%25`, text('{{M}}a 1'))]),
  c('path-query-string-ignored', [put(`${G}/instance/q?x=1&y=%2F`, text('{{M}}a 1')), del(`${G}/instance/q?z`)]),
  c('path-encoded-dotdot', [put(`${G}/a/%2e%2e/b/c`, text('{{M}}a 1'))]),
  c('path-encoded-double-slash', [put(`${G}/a%2F%2Fb/c`, text('{{M}}a 1'))]),
  c('path-invalid-percent-encoding', [put(`${G}/x/%zz`, text('{{M}}a 1'))]),
  c('path-wrong-case-redirects', [put('/METRICS/job/{{J}}', text('{{M}}a 1')), get('/Metrics')]),
  c('path-unsupported-method-405', [req('PATCH')(G, text('{{M}}a 1')), req('PATCH')('/metrics')]),
  c('path-b64-job-trailing-slash', [put('/metrics/job@base64/{{b64:{{J}}/t}}/', text('{{M}}a 1'))]),
  c('path-b64-empty-value-without-padding', [put(`${G}/e@base64/`, text('{{M}}a 1'))]),
  c('grouping-key-label-order-irrelevant', [
    put(`${G}/b/1/a/2`, text('{{M}}a 1')),
    put(`${G}/a/2/b/1`, text('{{M}}b 2'), { scrape: true }),
    del(`${G}/b/1/a/2`),
  ]),
];

const base64: DiffCase[] = [
  c('b64-job-unpadded', [put('/metrics/job@base64/{{b64:{{J}}/x}}', text('{{M}}a 1'))]),
  c('b64-job-padded', [put('/metrics/job@base64/{{b64pad:{{J}}/ab}}', text('{{M}}a 1'))]),
  c('b64-label-unpadded', [put(`${G}/dir@base64/{{b64:/var/tmp}}`, text('{{M}}a 1'))]),
  c('b64-label-padded', [put(`${G}/dir@base64/{{b64pad:/tmp/a}}`, text('{{M}}a 1'))]),
  c('b64-label-empty-value', [put(`${G}/first_label@base64/=/second_label/foobar`, text('{{M}}a 1'))]),
  c('b64-label-extra-padding', [put(`${G}/name@base64/bGFiZWwvdmFsdWUy==`, text('{{M}}a 1'))]),
  c('b64-label-std-alphabet-plus', [put(`${G}/a@base64/a+b`, text('{{M}}a 1'))]),
  c('b64-label-dot', [put(`${G}/a@base64/foo.bar`, text('{{M}}a 1'))]),
  c('b64-job-empty', [put('/metrics/job@base64/=', text('{{M}}a 1')), del('/metrics/job@base64/=')]),
  c('b64-job-and-empty-label', [put('/metrics/job@base64/{{b64:{{J}}/5}}/e@base64/=', text('{{M}}a 1'))]),
  c('b64-job-delete', [
    put('/metrics/job@base64/{{b64:{{J}}/d}}', text('{{M}}a 1'), { scrape: true }),
    del('/metrics/job@base64/{{b64:{{J}}/d}}'),
  ]),
  c('b64-job-label-in-path-overwritten', [put(`${G}/job@base64/{{b64:someone/else}}`, text('{{M}}a 1'))]),
  c('b64-improper-label-name', [put(`${G}/__x@base64/YQ`, text('{{M}}a 1'))]),
  c('b64-utf8-value', [put(`${G}/city@base64/{{b64:Köln "quoted"}}`, text('{{M}}a 1'))]),
  // Bytes that are not UTF-8 in a grouping value: the reference's check rejects every metric of the
  // group; it also keeps a failure group under that key that breaks later scrapes, hence the DELETE.
  c(
    'path-invalid-utf8-label-value',
    [
      put(`${G}/l/%FF`, text('{{M}}a 1', '{{M}}b{x="1"} 2')),
      post(`${G}/l/%FF`, ''),
      put(`${G}/l/%FF`, text('{{M}}a 1 1700000000000')),
      del(`${G}/l/%FF`),
    ],
    { isolated: 'a failed push with a non-UTF-8 key leaves the reference with a group that breaks scrapes' },
  ),
  c(
    'b64-invalid-utf8-values',
    [
      put(`${G}/l@base64/Y-8`, text('{{M}}a 1')),
      del(`${G}/l@base64/Y-8`),
      put('/metrics/job@base64/_w_w/l/v', text('{{M}}a 1')),
      del('/metrics/job@base64/_w_w/l/v'),
    ],
    { isolated: 'a failed push with a non-UTF-8 key leaves the reference with a group that breaks scrapes' },
  ),
  // Go reads up to 1 MiB of request line and headers; Node's default is 16 KiB.
  c('path-long-grouping-key', [
    put(`${G}/l/${'v'.repeat(40_000)}/b@base64/{{b64:${'w'.repeat(30_000)}}}`, text('{{M}}a 1')),
    put(G, text('{{M}}b 1'), { headers: { 'X-Padding': 'p'.repeat(100_000) } }),
  ]),
  c('path-asterisk-form', [options('*'), get('*'), put('*', text('{{M}}a 1'))]),
  c('path-absolute-form', [
    put('http://example.com/metrics/job/{{J}}/a%2Fb', text('{{M}}a 1')),
    put('HTTP://example.com:80/metrics/job/{{J}}//x', text('{{M}}a 1')),
    get('http://example.com?x=1'),
  ]),
  c('path-invalid-utf8-label-name-and-redirect', [
    put(`${G}/%FF/v`, text('{{M}}a 1')),
    put(`${G}//l/%FF`, text('{{M}}a 1')),
  ]),
  c(
    'b64-job-invalid',
    [
      put('/metrics/job@base64/foo.bar', text('{{M}}a 1')),
      post('/metrics/job@base64/foo.bar/a/b', text('{{M}}a 1')),
      del('/metrics/job@base64/foo.bar'),
    ],
    {
      isolated:
        '1.5.1 leaves a mutex locked after an invalid base64 job name, hanging that route ' +
        '(fixed upstream in 1.6.1, prometheus/pushgateway commit 5ad8650)',
    },
  ),
];

const groupingLabels: DiffCase[] = [
  c('label-odd-components', [put(`${G}/a`, text('{{M}}a 1'))]),
  c('label-odd-components-three', [put(`${G}/a/b/c`, text('{{M}}a 1'))]),
  c('label-improper-dunder', [put(`${G}/__x/1`, text('{{M}}a 1'))]),
  c('label-improper-dash', [put(`${G}/a-b/1`, text('{{M}}a 1'))]),
  c('label-improper-digit', [put(`${G}/1a/1`, text('{{M}}a 1')), del(`${G}/1a/1`)]),
  c('label-duplicate-last-wins', [put(`${G}/x/1/x/2`, text('{{M}}a 1'))]),
  c('label-job-in-path-overwritten', [put(`${G}/job/other`, text('{{M}}a 1'))]),
  c('label-body-overwritten-by-url', [put(`${G}/instance/a`, text('{{M}}m{instance="b",job="z",x="1"} 1'))]),
  c('label-body-instance-kept', [put(G, text('{{M}}m{instance="i1"} 1'))]),
  c('label-body-job-overwritten', [put(G, text('{{M}}m{job="other",y="2"} 1'))]),
  c('label-overwrite-makes-duplicates', [put(G, text('{{M}}m{job="a"} 1', '{{M}}m{job="b"} 2'))]),
  c('label-many-labels-ordering', [
    put(
      G,
      text(
        '{{M}}m{z="1",a="2"} 1',
        '{{M}}m{b="1"} 2',
        '{{M}}m 3',
        '{{M}}m{a="1",b="1",c="1"} 4',
        '{{M}}m{b="0"} 5',
        '{{M}}m{a="10"} 6',
        '{{M}}m{a="9"} 7',
        '{{M}}m{a=""} 8',
      ),
    ),
  ]),
];

const floats = [
  'Nan',
  'NaN',
  'nan',
  'inf',
  '+inf',
  '-inf',
  'Inf',
  '+Inf',
  '-Inf',
  'Infinity',
  '-Infinity',
  '.5',
  '-0',
  '0',
  '1e6',
  '1e-5',
  '1E6',
  '123456789',
  '1.5e300',
  '5e-324',
  '12345678901234567890',
  '0.0001',
  '1234567',
  '100000',
  '123456',
  '2.50',
  '-1',
  '1e21',
  '1.7976931348623157e308',
  '0.1',
  '1e-7',
  '3.141592653589793',
  '+5',
  '007',
  '1.',
  '0.000123456',
];

const textFormat: DiffCase[] = [
  push1('text-missing-final-newline', '{{M}}a 1'),
  push1('text-crlf', '{{M}}a 1\r\n{{M}}b 2\r\n'),
  push1('text-hex-value', text('{{M}}a 0x1A')),
  push1('text-hex-float-value', text('{{M}}a 0x1p3')),
  push1('text-underscore-value', text('{{M}}a 1_000')),
  push1('text-garbage-value', text('{{M}}a abc')),
  push1(
    'text-special-and-float-values',
    text(...floats.map((v, i) => `{{M}}v{i="${String(i).padStart(2, '0')}",src="${v}"} ${v}`)),
  ),
  push1('text-timestamp-int', text('{{M}}a 1 1700000000000')),
  push1('text-timestamp-float', text('{{M}}a 1 1.5')),
  push1('text-spurious-after-timestamp', text('{{M}}a 1 1700000000000 x')),
  push1('text-type-after-sample', text('{{M}}a 1', '# TYPE {{M}}a gauge')),
  push1('text-second-help', text('# HELP {{M}}a one', '# HELP {{M}}a two', '{{M}}a 1')),
  push1('text-second-type', text('# TYPE {{M}}a gauge', '# TYPE {{M}}a gauge', '{{M}}a 1')),
  push1('text-unknown-type', text('# TYPE {{M}}a foo', '{{M}}a 1')),
  push1('text-lowercase-type-is-comment', text('# type {{M}}a gauge', '{{M}}a 1')),
  push1(
    'text-type-keyword-case-insensitive',
    text('# TYPE {{M}}a GAUGE', '{{M}}a 1', '# TYPE {{M}}b Counter', '{{M}}b 2'),
  ),
  push1('text-help-escapes', text('# HELP {{M}}a back\\\\slash and new\\nline, tab\there', '{{M}}a 1')),
  push1('text-help-escaped-quote', text('# HELP {{M}}a say \\"hi\\"', '{{M}}a 1')),
  push1('text-help-invalid-escape', text('# HELP {{M}}a bad \\t escape', '{{M}}a 1')),
  push1('text-help-empty', text('# HELP {{M}}a', '{{M}}a 1', '# HELP {{M}}b ', '{{M}}b 2')),
  push1('text-help-utf8', text('# HELP {{M}}a Größe in €', '{{M}}a 1')),
  push1('text-label-value-escapes', text('{{M}}a{v="q\\"b\\\\s\\nn"} 1')),
  push1('text-label-value-tab-escape', text('{{M}}a{v="a\\tb"} 1')),
  push1('text-label-value-raw-newline', '{{M}}a{v="a\nb"} 1\n'),
  push1('text-label-trailing-comma', text('{{M}}a{x="1",} 1')),
  push1('text-empty-braces', text('{{M}}a{} 1')),
  push1('text-whitespace-variants', text('  {{M}}a 1', '{{M}}b\t\t2', '{{M}}c { x = "1" , y="2" } 3', '\t{{M}}d  4')),
  push1('text-trailing-blank-after-value', text('{{M}}a 4   ')),
  push1(
    'text-comments-and-blank-lines',
    text('', '#', '# just a comment', '   ', '#HELP {{M}}a no space', '{{M}}a 1', ''),
  ),
  push1('text-name-label-reserved', text('{{M}}a{__name__="x"} 1')),
  push1('text-dunder-label', text('{{M}}a{__foo="1"} 1')),
  push1('text-duplicate-label-names', text('{{M}}a{x="1",x="2"} 1')),
  push1('text-invalid-metric-name', text('{{M}}a-b 1')),
  push1('text-digit-leading-name', text('1{{M}}a 1')),
  push1('text-quoted-utf8-name', text('{"{{M}}a.b", c="d"} 1')),
  push1('text-invalid-label-name', text('{{M}}a{1x="1"} 1')),
  push1('text-unquoted-label-value', text('{{M}}a{x=1} 1')),
  push1('text-unterminated-labels', text('{{M}}a{x="1" 1')),
  push1('text-missing-value', text('{{M}}a')),
  push1('text-help-only-family-dropped', text('# HELP {{M}}a lonely', '# TYPE {{M}}b gauge', '{{M}}c 1')),
  push1('text-type-for-other-name', text('# TYPE {{M}}a counter', '{{M}}b 1')),
  push1('text-colon-in-name', text('{{M}}a:b:c 1', ':{{M}}d 2')),
  push1('text-counter-total-suffix', text('# TYPE {{M}}a counter', '{{M}}a_total 1', '{{M}}a 2')),
  push1('text-utf8-label-value', text('{{M}}a{v="日本語 ✓"} 1')),
  c('text-invalid-utf8-label-value', [put(G, Buffer.from('{{M}}a{v="\xff\xfe"} 1\n', 'latin1'))]),
  c('text-invalid-utf8-error-quoting', [
    put(G, Buffer.from('{{M}}a\xff 1\n', 'latin1')),
    put(G, Buffer.from('{{M}}a{l\xff="1"} 1\n', 'latin1')),
    put(G, Buffer.from('{{M}}a{l="a"}\x80 1\n', 'latin1')),
    put(G, Buffer.from('# TYPE {{M}}a gauge\xff\n{{M}}a 1\n', 'latin1')),
    put(G, Buffer.concat([Buffer.from('{{M}}a 1 é'), Buffer.from([0xff]), Buffer.from('\n')])),
  ]),
  c('text-invalid-utf8-help', [put(G, Buffer.from('# HELP {{M}}a bad \xff\n{{M}}a 1\n', 'latin1'))]),
  push1('text-long-label-value', text(`{{M}}a{v="${'x'.repeat(2000)}"} 1`)),
  push1(
    'text-mixed-types',
    text(
      '# TYPE {{M}}g gauge',
      '{{M}}g 1',
      '# TYPE {{M}}c counter',
      '{{M}}c 2',
      '{{M}}u 3',
      '# TYPE {{M}}x untyped',
      '{{M}}x 4',
    ),
  ),
  push1('text-families-sorted-by-name', text('{{M}}zz 1', '{{M}}a 2', '{{M}}B 3', '{{M}}_ 4', '{{M}}a_b 5')),
  push1('text-duplicate-series', text('{{M}}a{x="1"} 1', '{{M}}a{x="1"} 2')),
  push1('text-help-trailing-spaces', text('# HELP {{M}}a  two leading, two trailing  ', '{{M}}a 1')),
  push1('text-type-trailing-space', text('# TYPE {{M}}a gauge ', '{{M}}a 1')),
  push1('text-only-comments-body', text('# HELP {{M}}a nothing', '# just words')),
  push1('text-whitespace-only-body', '   \n\t\n'),
  push1('text-nul-byte-in-label-value', text('{{M}}a{v="a\u0000b"} 1')),
  push1('text-empty-label-value', text('{{M}}a{x=""} 1', '{{M}}a{x="1"} 2', '{{M}}b{instance=""} 3')),
  push1('text-unicode-escape-in-label-value', text('{{M}}a{v="\\u00e9"} 1')),
  push1('text-negative-counter', text('# TYPE {{M}}c counter', '{{M}}c -5')),
  push1('text-long-metric-name', text(`{{M}}${'n'.repeat(300)} 1`)),
  push1('text-nondefault-series-interleaved', text('{{M}}a{x="2"} 1', '{{M}}b 1', '{{M}}a{x="1"} 2')),
];

const summariesAndHistograms: DiffCase[] = [
  push1(
    'summary-basic',
    text(
      '# HELP {{M}}s A summary.',
      '# TYPE {{M}}s summary',
      '{{M}}s{quantile="0.5"} 1',
      '{{M}}s{quantile="0.99"} 2',
      '{{M}}s_sum 10',
      '{{M}}s_count 5',
    ),
  ),
  push1(
    'summary-multiple-label-sets',
    text(
      '# TYPE {{M}}s summary',
      '{{M}}s{m="b",quantile="0.5"} 1',
      '{{M}}s_sum{m="b"} 2',
      '{{M}}s_count{m="b"} 3',
      '{{M}}s{m="a",quantile="0.5"} 4',
      '{{M}}s_sum{m="a"} 5',
      '{{M}}s_count{m="a"} 6',
    ),
  ),
  push1(
    'summary-non-contiguous',
    text(
      '# TYPE {{M}}s summary',
      '{{M}}s{m="a",quantile="0.9"} 1',
      '{{M}}s{m="b",quantile="0.9"} 2',
      '{{M}}s_count{m="a"} 3',
      '{{M}}s{m="a",quantile="0.1"} 4',
      '{{M}}s_sum{m="b"} 5',
    ),
  ),
  push1('summary-without-type', text('{{M}}s{quantile="0.5"} 1', '{{M}}s_sum 2', '{{M}}s_count 3')),
  push1('summary-sum-count-only', text('# TYPE {{M}}s summary', '{{M}}s_sum 2.5', '{{M}}s_count 3')),
  push1(
    'summary-float-count-and-nan',
    text('# TYPE {{M}}s summary', '{{M}}s{quantile="0.5"} NaN', '{{M}}s_sum 1e6', '{{M}}s_count 3.7'),
  ),
  push1('summary-bad-quantile', text('# TYPE {{M}}s summary', '{{M}}s{quantile="x"} 1')),
  push1(
    'histogram-basic',
    text(
      '# HELP {{M}}h A histogram.',
      '# TYPE {{M}}h histogram',
      '{{M}}h_bucket{le="0.1"} 1',
      '{{M}}h_bucket{le="1"} 2',
      '{{M}}h_bucket{le="+Inf"} 3',
      '{{M}}h_sum 4.5',
      '{{M}}h_count 3',
    ),
  ),
  push1(
    'histogram-missing-inf-bucket',
    text('# TYPE {{M}}h histogram', '{{M}}h_bucket{le="1"} 2', '{{M}}h_sum 4.5', '{{M}}h_count 3'),
  ),
  push1(
    'histogram-negative-counts',
    text('# TYPE {{M}}h histogram', '{{M}}h_bucket{le="1"} -1', '{{M}}h_sum 0', '{{M}}h_count 0'),
  ),
  push1(
    'histogram-float-counts',
    text(
      '# TYPE {{M}}h histogram',
      '{{M}}h_bucket{le="1"} 1.5',
      '{{M}}h_bucket{le="+Inf"} 2.5',
      '{{M}}h_sum 3',
      '{{M}}h_count 2.5',
    ),
  ),
  push1('histogram-bucket-without-le', text('# TYPE {{M}}h histogram', '{{M}}h_bucket 1', '{{M}}h_count 1')),
  push1('histogram-bad-le', text('# TYPE {{M}}h histogram', '{{M}}h_bucket{le="x"} 1')),
  push1('histogram-count-only', text('# TYPE {{M}}h histogram', '{{M}}h_count 7')),
  push1(
    'histogram-le-formatting',
    text(
      '# TYPE {{M}}h histogram',
      '{{M}}h_bucket{le="1.0"} 1',
      '{{M}}h_bucket{le="1e3"} 2',
      '{{M}}h_bucket{le="0.000001"} 0',
      '{{M}}h_bucket{le="+inf"} 3',
      '{{M}}h_sum 1',
      '{{M}}h_count 3',
    ),
  ),
  push1(
    'histogram-with-labels',
    text(
      '# TYPE {{M}}h histogram',
      '{{M}}h_bucket{p="/b",le="1"} 1',
      '{{M}}h_bucket{p="/a",le="1"} 2',
      '{{M}}h_count{p="/b"} 1',
      '{{M}}h_count{p="/a"} 2',
      '{{M}}h_sum{p="/a"} 0.5',
    ),
  ),
  push1(
    'histogram-buckets-unsorted',
    text(
      '# TYPE {{M}}h histogram',
      '{{M}}h_bucket{le="+Inf"} 3',
      '{{M}}h_bucket{le="1"} 1',
      '{{M}}h_sum 2',
      '{{M}}h_count 3',
    ),
  ),
  push1(
    'histogram-duplicate-le',
    text('# TYPE {{M}}h histogram', '{{M}}h_bucket{le="1"} 1', '{{M}}h_bucket{le="1"} 2', '{{M}}h_count 2'),
  ),
  push1(
    'summary-quantiles-unsorted',
    text(
      '# TYPE {{M}}s summary',
      '{{M}}s{quantile="0.9"} 3',
      '{{M}}s{quantile="0.1"} 1',
      '{{M}}s{quantile="0.5"} 2',
      '{{M}}s_count 3',
    ),
  ),
  push1(
    'gauge-histogram-type',
    text(
      '# TYPE {{M}}gh gauge_histogram',
      '{{M}}gh_bucket{le="1"} 1',
      '{{M}}gh_bucket{le="+Inf"} 2',
      '{{M}}gh_count 2',
      '{{M}}gh_sum 1',
    ),
  ),
];

const consistency: DiffCase[] = [
  c('families-order-across-groups', [
    put(`${G}-1`, text('{{M}}c 1', '{{M}}a 1')),
    put(`${G}-2`, text('{{M}}b 2', '{{M}}a 2')),
  ]),
  c('same-family-identical-help', [
    put(`${G}-1`, text('# HELP {{M}}a Same.', '{{M}}a 1')),
    put(`${G}-2`, text('# HELP {{M}}a Same.', '{{M}}a 2')),
  ]),
  c(
    'same-family-different-help',
    [put(`${G}-1`, text('# HELP {{M}}a One.', '{{M}}a 1')), put(`${G}-2`, text('# HELP {{M}}a Two.', '{{M}}a 2'))],
    { dropHelp: ['{{M}}a'] },
  ),
  c(
    'same-family-help-and-no-help',
    [put(`${G}-1`, text('# HELP {{M}}a One.', '{{M}}a 1')), put(`${G}-2`, text('{{M}}a 2'))],
    { dropHelp: ['{{M}}a'] },
  ),
  c('type-clash-across-groups', [
    put(`${G}-1`, text('# TYPE {{M}}t counter', '{{M}}t 1')),
    put(`${G}-2`, text('# TYPE {{M}}t gauge', '{{M}}t 2')),
  ]),
  c('type-clash-across-groups-post', [
    post(`${G}-1`, text('# TYPE {{M}}t gauge', '{{M}}t 1')),
    post(`${G}-2`, text('{{M}}t 2')),
  ]),
  c('type-change-within-group-put', [
    put(G, text('# TYPE {{M}}t counter', '{{M}}t 1')),
    put(G, text('# TYPE {{M}}t gauge', '{{M}}t 2')),
  ]),
  c('type-change-within-group-post', [
    put(G, text('# TYPE {{M}}t counter', '{{M}}t 1', '{{M}}u 1')),
    post(G, text('# TYPE {{M}}t gauge', '{{M}}t 2')),
  ]),
  c(
    'own-metric-type-clash',
    [put(G, text('# TYPE process_resident_memory_bytes counter', 'process_resident_memory_bytes 1'))],
    { sharedFamilies: ['process_resident_memory_bytes'] },
  ),
  c(
    'own-metric-same-type-help-replaced',
    [
      put(
        G,
        text(
          '# HELP process_resident_memory_bytes Mine.',
          '# TYPE process_resident_memory_bytes gauge',
          'process_resident_memory_bytes 1',
        ),
      ),
    ],
    { sharedFamilies: ['process_resident_memory_bytes'] },
  ),
  // The reference fixes the HELP only of own families that existed when its store was created; its HTTP
  // vectors must be pushed with their own HELP (the warm-up push makes sure they have series by then).
  c(
    'own-http-vector-help-must-match',
    [
      put(G, text('{{M}}w 1')),
      put(
        `${G}/k/1`,
        text(
          '# TYPE pushgateway_http_push_size_bytes summary',
          'pushgateway_http_push_size_bytes{method="put",quantile="0.5"} 1',
        ),
      ),
      put(
        `${G}/k/2`,
        text(
          '# HELP pushgateway_http_requests_total mine',
          '# TYPE pushgateway_http_requests_total counter',
          'pushgateway_http_requests_total{code="200",handler="push",method="put"} 1',
        ),
      ),
      put(
        `${G}/k/3`,
        text(
          '# HELP pushgateway_http_requests_total Total HTTP requests processed by the Pushgateway, excluding scrapes.',
          '# TYPE pushgateway_http_requests_total counter',
          'pushgateway_http_requests_total{code="x"} 1',
        ),
      ),
      put(
        `${G}/k/4`,
        text(
          '# HELP pushgateway_http_push_duration_seconds HTTP request duration for pushes to the Pushgateway.',
          '# TYPE pushgateway_http_push_duration_seconds summary',
          'pushgateway_http_push_duration_seconds{method="put",quantile="0.5"} 1',
        ),
      ),
    ],
    {
      sharedFamilies: [
        'pushgateway_http_requests_total',
        'pushgateway_http_push_duration_seconds',
        'pushgateway_http_push_size_bytes',
      ],
    },
  ),
  c(
    'own-go-metric-counter',
    [
      put(G, text('# TYPE go_goroutines counter', 'go_goroutines 1'), { scrape: true }),
      // A gateway that accepts the counter must not let it clash with the gauge case below.
      del(G),
    ],
    { sharedFamilies: ['go_goroutines'] },
  ),
  c('own-go-metric-gauge', [put(G, text('# TYPE go_goroutines gauge', 'go_goroutines 1'))], {
    sharedFamilies: ['go_goroutines'],
  }),
  c('duplicate-series-across-groups', [
    put(G, text('{{M}}a{instance="i"} 1')),
    put(`${G}/instance/i`, text('{{M}}a 2')),
  ]),
  c('suffix-collision-summary-count', [
    put(`${G}-1`, text('# TYPE {{M}}s summary', '{{M}}s_sum 1', '{{M}}s_count 1')),
    put(`${G}-2`, text('{{M}}s_count 2')),
  ]),
  c('suffix-collision-reverse-order', [
    put(`${G}-1`, text('# TYPE {{M}}s_count gauge', '{{M}}s_count 2')),
    put(`${G}-2`, text('# TYPE {{M}}s summary', '{{M}}s_sum 1', '{{M}}s_count 1')),
  ]),
  c('suffix-collision-histogram-bucket', [
    put(`${G}-1`, text('# TYPE {{M}}h histogram', '{{M}}h_bucket{le="1"} 1', '{{M}}h_count 1')),
    put(`${G}-2`, text('{{M}}h_bucket 1')),
  ]),
  c('suffix-collision-histogram-sum', [
    put(`${G}-1`, text('# TYPE {{M}}h histogram', '{{M}}h_count 1')),
    put(`${G}-2`, text('# TYPE {{M}}h_sum gauge', '{{M}}h_sum 2')),
  ]),
  c('summary-and-bucket-gauge-coexist', [
    put(`${G}-1`, text('# TYPE {{M}}s summary', '{{M}}s_count 1')),
    put(`${G}-2`, text('{{M}}s_bucket 2')),
  ]),
  c('failed-push-group-deleted', [
    put(`${G}-1`, text('# TYPE {{M}}t counter', '{{M}}t 1')),
    put(`${G}-2`, text('{{M}}t 2'), { scrape: true }),
    del(`${G}-2`),
  ]),
  push1(
    'suffix-collision-within-push',
    text('{{M}}s_count 1', '# TYPE {{M}}s summary', '{{M}}s{quantile="0.5"} 1', '{{M}}s_sum 2'),
  ),
  c('failed-push-creates-group', [
    put(`${G}-1`, text('# TYPE {{M}}t counter', '{{M}}t 1')),
    put(`${G}-2/instance/i`, text('# TYPE {{M}}t gauge', '{{M}}t 2')),
  ]),
  c('failed-push-keeps-metrics', [
    put(`${G}-1`, text('# TYPE {{M}}t counter', '{{M}}t 1')),
    put(`${G}-2`, text('{{M}}keep 1')),
    put(`${G}-2`, text('# TYPE {{M}}t gauge', '{{M}}t 2'), { scrape: true }),
    post(`${G}-2`, text('{{M}}more 3')),
  ]),
  c('failed-timestamp-push-sets-failure', [put(G, text('{{M}}a 1')), post(G, text('{{M}}b 1 1000'))]),
  c('parse-error-sets-no-failure', [put(G, text('{{M}}a 1')), post(G, text('{{M}}b x'))]),
  c('pushed-push-time-gauge-overridden', [
    put(G, text('# TYPE push_time_seconds gauge', 'push_time_seconds 42', '{{M}}a 1')),
  ]),
  c('pushed-push-time-untyped', [put(G, text('push_time_seconds 42', '{{M}}a 1'))]),
  c(
    'pushed-push-failure-time-gauge',
    [
      put(G, text('{{M}}a 1')),
      post(G, text('# TYPE push_failure_time_seconds gauge', 'push_failure_time_seconds 7'), { scrape: true }),
      // The pushed family has no HELP; deleting the group keeps later cases' HELP deterministic.
      del(G),
    ],
    { dropHelp: ['push_failure_time_seconds'] },
  ),
  c('pushed-push-failure-time-untyped', [put(G, text('{{M}}a 1')), post(G, text('push_failure_time_seconds 7'))], {
    unstableErrorDetail:
      'every group has a push_failure_time_seconds gauge; when the reference happens to gather ' +
      'the untyped one first it reports one "is not a UNTYPED" error per other group',
  }),
  // The gateway sets push_time_seconds itself, and push_failure_time_seconds (0) on a group it creates:
  // a pushed family of either name is overridden whatever its type, while other groups exist too.
  c('pushed-push-time-counter-overridden', [
    put(`${G}-1`, text('{{M}}a 1')),
    put(`${G}-2`, text('# TYPE push_time_seconds counter', 'push_time_seconds 1')),
    post(`${G}-1`, text('# TYPE push_time_seconds counter', 'push_time_seconds 1', '{{M}}b 2')),
  ]),
  c('pushed-push-failure-time-counter-new-group-overridden', [
    put(`${G}-1`, text('{{M}}a 1')),
    put(`${G}-2`, text('# TYPE push_failure_time_seconds counter', 'push_failure_time_seconds 1', '{{M}}a 2')),
    put(`${G}-3`, text('push_failure_time_seconds 1')),
  ]),
  c('pushed-push-failure-time-gauge-new-group-zeroed', [
    put(`${G}-1`, text('# TYPE push_failure_time_seconds gauge', 'push_failure_time_seconds 7', '{{M}}a 1')),
  ]),
  c('pushed-push-time-with-labels', [put(G, text('# TYPE push_time_seconds gauge', 'push_time_seconds{x="1"} 42'))]),
  c('many-series-ordering', [
    put(
      G,
      text(
        ...Array.from(
          { length: 60 },
          (_, i) => `{{M}}m{k="${(i * 37) % 60}",${i % 3 === 0 ? 'extra="y",' : ''}z="${i % 7}"} ${i}`,
        ),
      ),
    ),
  ]),
];

const clients: DiffCase[] = [
  push1('openmetrics-eof-body', text('# TYPE {{M}}a gauge', '{{M}}a 1', '# EOF')),
  push1('openmetrics-exemplar-rejected', text('# TYPE {{M}}a counter', '{{M}}a_total 1 # {t="x"} 1')),
  c('openmetrics-content-type', [
    put(G, text('{{M}}a 1'), {
      headers: { 'Content-Type': 'application/openmetrics-text; version=1.0.0; charset=utf-8' },
    }),
  ]),
  c('prom-client-style-body', [
    post(
      G,
      `${[
        '# HELP {{M}}requests_total Requests.',
        '# TYPE {{M}}requests_total counter',
        '{{M}}requests_total{code="200"} 3',
        '',
        '# HELP {{M}}ratio Ratio.',
        '# TYPE {{M}}ratio gauge',
        '{{M}}ratio Nan',
        '',
        '# HELP {{M}}lat Latency.',
        '# TYPE {{M}}lat histogram',
        '{{M}}lat_bucket{le="0.5"} 1',
        '{{M}}lat_bucket{le="+Inf"} 1',
        '{{M}}lat_sum 0.25',
        '{{M}}lat_count 1',
        '',
      ].join('\n')}\n`,
      { chunked: true },
    ),
  ]),
  c('python-client-style-body', [
    put(
      `${G}/instance/py`,
      text(
        '# HELP {{M}}job_last_success_unixtime Last time a batch job successfully finished',
        '# TYPE {{M}}job_last_success_unixtime gauge',
        '{{M}}job_last_success_unixtime 1.7e+09',
        '# HELP {{M}}rows_total Rows processed',
        '# TYPE {{M}}rows_total counter',
        '{{M}}rows_total 42.0',
        '# HELP {{M}}rows_created Rows processed',
        '# TYPE {{M}}rows_created gauge',
        '{{M}}rows_created 1.7000000001e+09',
      ),
      { headers: { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' } },
    ),
  ]),
  c('gzip-body', [put(G, text('{{M}}a 1', '{{M}}b 2'), { gzip: true, headers: { 'Content-Encoding': 'gzip' } })]),
  c('gzip-header-short-plain-body', [put(G, text('{{M}}a 1'), { headers: { 'Content-Encoding': 'gzip' } })]),
  c('gzip-header-plain-body', [put(G, text('{{M}}a 1', '{{M}}b 2'), { headers: { 'Content-Encoding': 'gzip' } })]),
  c('gzip-header-empty-body', [put(G, '', { headers: { 'Content-Encoding': 'gzip' } })]),
  c('gzip-header-on-delete', [
    put(G, text('{{M}}a 1')),
    del(G, undefined, { headers: { 'Content-Encoding': 'gzip' } }),
  ]),
  c('gzip-post-delete-sequence', [
    post(G, text('{{M}}a 1'), { gzip: true, headers: { 'Content-Encoding': 'gzip' } }),
    post(G, text('{{M}}b 2'), { gzip: true, headers: { 'Content-Encoding': 'gzip' }, scrape: true }),
    del(G),
  ]),
  c('gzip-uppercase-content-encoding', [
    put(G, text('{{M}}a 1'), { gzip: true, headers: { 'Content-Encoding': 'GZIP' } }),
  ]),
  c('content-encoding-unknown-ignored', [put(G, text('{{M}}a 1'), { headers: { 'Content-Encoding': 'br' } })]),
  c('content-type-text-plain', [put(G, text('{{M}}a 1'), { headers: { 'Content-Type': 'text/plain' } })]),
  c('content-type-form-urlencoded', [
    put(G, text('{{M}}a 1'), { headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }),
  ]),
  c('content-type-json-parsed-as-text', [put(G, '{"a": 1}\n', { headers: { 'Content-Type': 'application/json' } })]),
  c('content-type-none', [put(G, text('{{M}}a 1'))]),
];

const PB_TYPE = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';
const PB_ACCEPT = 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited';
const pbPush = (method: string, path: string, pb: PbFamily[], extra: Partial<Step> = {}): Step => ({
  method,
  path,
  pb,
  headers: { 'Content-Type': PB_TYPE },
  ...extra,
});

const protobuf: DiffCase[] = [
  c('pb-pushed-timestamps-counter-overridden', [
    put(`${G}-1`, text('{{M}}a 1')),
    pbPush('PUT', `${G}-2`, [
      { name: 'push_time_seconds', type: 'COUNTER', metrics: [{ value: 1 }] },
      { name: 'push_failure_time_seconds', type: 'COUNTER', metrics: [{ value: 1 }] },
      { name: '{{M}}b', type: 'GAUGE', metrics: [{ value: 2 }] },
    ]),
  ]),
  c('pb-gauge-counter-untyped', [
    pbPush('PUT', G, [
      {
        name: '{{M}}g',
        help: 'A gauge.',
        type: 'GAUGE',
        metrics: [{ labels: [['l', 'v']], value: 2.5 }, { value: 1 }],
      },
      { name: '{{M}}c', type: 'COUNTER', metrics: [{ value: 7 }] },
      { name: '{{M}}u', type: 'UNTYPED', metrics: [{ value: -1e-7 }] },
    ]),
  ]),
  c('pb-summary-and-histogram', [
    pbPush('PUT', G, [
      {
        name: '{{M}}s',
        type: 'SUMMARY',
        metrics: [
          {
            summary: {
              count: 3,
              sum: 1.5,
              quantiles: [
                [0.5, 0.4],
                [0.9, 1],
              ],
            },
          },
        ],
      },
      {
        name: '{{M}}h',
        type: 'HISTOGRAM',
        metrics: [
          {
            histogram: {
              count: 4,
              sum: 2,
              buckets: [
                [0.1, 1],
                [1, 3],
              ],
            },
          },
        ],
      },
    ]),
  ]),
  c('pb-duplicate-family-last-wins', [
    pbPush('PUT', G, [
      { name: '{{M}}d', type: 'GAUGE', metrics: [{ value: 1 }] },
      { name: '{{M}}d', type: 'GAUGE', metrics: [{ value: 2 }] },
    ]),
  ]),
  c('pb-labels-overwritten-by-url', [
    pbPush('PUT', `${G}/instance/i`, [
      {
        name: '{{M}}g',
        type: 'GAUGE',
        metrics: [
          {
            labels: [
              ['job', 'x'],
              ['instance', 'y'],
              ['z', '1'],
            ],
            value: 1,
          },
        ],
      },
    ]),
  ]),
  c('pb-post-merges', [
    pbPush('PUT', G, [{ name: '{{M}}a', type: 'GAUGE', metrics: [{ value: 1 }] }]),
    pbPush('POST', G, [{ name: '{{M}}b', type: 'COUNTER', metrics: [{ value: 2 }] }]),
  ]),
  // A family without metrics is stored by the reference: a POST replaces the stored family with nothing.
  c('pb-family-without-metrics', [
    pbPush(
      'PUT',
      G,
      [
        { name: '{{M}}a', type: 'GAUGE', metrics: [{ value: 1 }] },
        { name: '{{M}}b', type: 'GAUGE', metrics: [{ value: 2 }] },
      ],
      { scrape: true },
    ),
    pbPush(
      'POST',
      G,
      [
        { name: '{{M}}a', type: 'GAUGE', metrics: [] },
        { name: '{{M}}c', type: 'GAUGE', metrics: [{ value: 3 }] },
      ],
      { scrape: true },
    ),
    pbPush(
      'POST',
      G,
      [
        { name: '{{M}}b', type: 'GAUGE', metrics: [{ value: 4 }] },
        { name: '{{M}}b', type: 'GAUGE', metrics: [] },
      ],
      { scrape: true },
    ),
    pbPush('POST', `${G}/other/x`, [{ name: '{{M}}d', type: 'COUNTER', metrics: [] }]),
  ]),
  c('pb-family-without-metrics-own-type-clash', [
    pbPush('POST', G, [{ name: 'process_open_fds', type: 'COUNTER', metrics: [] }]),
    pbPush('PUT', G, [{ name: 'process_max_fds', type: 'GAUGE', metrics: [] }]),
  ]),
  c('pb-empty-body', [pbPush('PUT', G, [])]),
  c('pb-truncated-stream', [
    pbPush('PUT', G, [{ name: '{{M}}a', type: 'GAUGE', metrics: [{ value: 1 }] }], { pbTruncate: 3 }),
  ]),
  c('pb-timestamp-rejected', [
    pbPush('PUT', G, [{ name: '{{M}}a', type: 'GAUGE', metrics: [{ value: 1, timestampMs: 1000 }] }]),
  ]),
  c('pb-type-clash-with-text-group', [
    put(`${G}-t`, text('# TYPE {{M}}t counter', '{{M}}t 1')),
    pbPush('PUT', `${G}-p`, [{ name: '{{M}}t', type: 'GAUGE', metrics: [{ value: 1 }] }]),
  ]),
  c('pb-content-type-params-reordered', [
    pbPush('PUT', G, [{ name: '{{M}}a', type: 'GAUGE', metrics: [{ value: 1 }] }], {
      headers: {
        'Content-Type': 'application/vnd.google.protobuf; encoding=delimited; proto=io.prometheus.client.MetricFamily',
      },
    }),
  ]),
  // Content-Types mime.ParseMediaType refuses (or accepts) although they carry the protobuf parameters.
  c('pb-content-type-mime-syntax', [
    ...[
      `${PB_TYPE}; a=b/c`,
      `${PB_TYPE}; foo`,
      `application/vnd.google.protobuf;; proto=io.prometheus.client.MetricFamily; encoding=delimited`,
      `${PB_TYPE}; a="b`,
      `${PB_TYPE}; a=\u00e9`,
      `${PB_TYPE}; proto=x`,
    ].map((ct) =>
      pbPush('PUT', G, [{ name: '{{M}}a', type: 'GAUGE', metrics: [{ value: 1 }] }], {
        headers: { 'Content-Type': ct },
      }),
    ),
    ...[
      `${PB_TYPE};`,
      `${PB_TYPE}; a="b\\"c"`,
      `${PB_TYPE}; a=""`,
      'Application/Vnd.Google.Protobuf ; Proto = "io.prometheus.client.MetricFamily" ; Encoding = delimited',
    ].map((ct) =>
      pbPush('PUT', G, [{ name: '{{M}}b', type: 'GAUGE', metrics: [{ value: 2 }] }], {
        headers: { 'Content-Type': ct },
      }),
    ),
  ]),
  c('pb-content-type-identical-duplicate', [
    pbPush('PUT', G, [{ name: '{{M}}a', type: 'GAUGE', metrics: [{ value: 1 }] }], {
      headers: { 'Content-Type': `${PB_TYPE}; encoding=delimited` },
    }),
  ]),
  c('pb-gzip-compressed', [
    pbPush('PUT', G, [{ name: '{{M}}a', type: 'GAUGE', metrics: [{ value: 1 }] }], {
      gzip: true,
      headers: { 'Content-Type': PB_TYPE, 'Content-Encoding': 'gzip' },
    }),
  ]),
  c('pb-native-histogram', [
    pbPush('PUT', G, [
      {
        name: '{{M}}nh',
        help: 'native',
        type: 'HISTOGRAM',
        metrics: [
          {
            histogram: {
              count: 4,
              sum: 3.5,
              buckets: [],
              native: {
                schema: 3,
                zeroThreshold: 0.001,
                zeroCount: 1,
                spans: [
                  [0, 2],
                  [2, 1],
                ],
                deltas: [1, 0, 1],
              },
            },
          },
        ],
      },
    ]),
  ]),
  c(
    'pb-native-histogram-protobuf-scrape',
    [
      pbPush('PUT', G, [
        {
          name: '{{M}}nh',
          type: 'HISTOGRAM',
          metrics: [
            {
              labels: [['x', 'y']],
              histogram: {
                count: 6,
                sum: -1,
                buckets: [
                  [0.5, 2],
                  [1, 3],
                ],
                native: { schema: -2, zeroThreshold: 0, zeroCount: 0, spans: [[-1, 3]], deltas: [2, -1, 2] },
              },
            },
          ],
        },
      ]),
    ],
    { scrapeHeaders: { Accept: PB_ACCEPT } },
  ),
  c(
    'pb-every-type-protobuf-scrape',
    [
      pbPush('PUT', G, [
        {
          name: '{{M}}c',
          help: 'a counter',
          type: 'COUNTER',
          metrics: [
            { labels: [['k', 'v']], value: 2 },
            { labels: [['k', 'w']], value: 3 },
          ],
        },
        { name: '{{M}}g', type: 'GAUGE', metrics: [{ value: -1.5 }] },
        { name: '{{M}}u', help: '', type: 'UNTYPED', metrics: [{ value: 0 }] },
        {
          name: '{{M}}s',
          type: 'SUMMARY',
          metrics: [
            {
              summary: {
                count: 3,
                sum: 6,
                quantiles: [
                  [0.5, 2],
                  [0.9, 3],
                ],
              },
            },
          ],
        },
        {
          name: '{{M}}h',
          type: 'HISTOGRAM',
          metrics: [
            {
              histogram: {
                count: 3,
                sum: 6,
                buckets: [
                  [1, 1],
                  [5, 3],
                ],
              },
            },
          ],
        },
      ]),
    ],
    { scrapeHeaders: { Accept: PB_ACCEPT, 'Accept-Encoding': 'gzip' } },
  ),
  c('pb-gzip-summary-and-histogram', [
    pbPush('PUT', G, [{ name: '{{M}}keep', type: 'GAUGE', metrics: [{ value: 1 }] }]),
    pbPush(
      'POST',
      G,
      [
        {
          name: '{{M}}s',
          type: 'SUMMARY',
          metrics: [{ labels: [['q', 'x']], summary: { count: 10, sum: 1.5, quantiles: [[0.99, 0.3]] } }],
        },
        {
          name: '{{M}}h',
          type: 'HISTOGRAM',
          metrics: [
            {
              histogram: {
                count: 2,
                sum: 0.5,
                buckets: [
                  [0.1, 1],
                  [1, 2],
                ],
              },
            },
          ],
        },
      ],
      { gzip: true, headers: { 'Content-Type': PB_TYPE, 'Content-Encoding': 'gzip' } },
    ),
  ]),
  c('pb-gzip-truncated-stream', [
    pbPush('PUT', G, [{ name: '{{M}}a', type: 'GAUGE', metrics: [{ value: 1 }] }], {
      pbTruncate: 2,
      gzip: true,
      headers: { 'Content-Type': PB_TYPE, 'Content-Encoding': 'gzip' },
    }),
  ]),
  c('pb-malformed-wire-type', [put(G, Buffer.from([2, 0x0f, 0x00]), { headers: { 'Content-Type': PB_TYPE } })]),
  // MetricFamily{name:"a", type:GAUGE, metric:[{label:[{name:"l", value:"\xff"}], gauge:{}}]}
  c('pb-label-value-invalid-utf8', [
    put(
      G,
      Buffer.from([
        17, 0x0a, 0x01, 0x61, 0x18, 0x01, 0x22, 0x0a, 0x0a, 0x06, 0x0a, 0x01, 0x6c, 0x12, 0x01, 0xff, 0x12, 0x00,
      ]),
      { headers: { 'Content-Type': PB_TYPE } },
    ),
  ]),
  c('pb-empty-metric-name', [pbPush('PUT', G, [{ name: '', type: 'GAUGE', metrics: [{ value: 1 }] }])], {
    isolated: 'the reference stores a family with an empty name, which breaks every later scrape',
  }),
  c('pb-invalid-metric-name', [pbPush('PUT', G, [{ name: '{{M}}bad.name', type: 'GAUGE', metrics: [{ value: 1 }] }])], {
    isolated: 'the reference stores the name and exposes an unparsable line',
  }),
  c('pb-snappy-compressed', [
    pbPush('PUT', G, [{ name: '{{M}}a', type: 'GAUGE', metrics: [{ value: 1 }] }], {
      snappy: true,
      headers: { 'Content-Type': PB_TYPE, 'Content-Encoding': 'snappy' },
    }),
  ]),
  c('text-snappy-compressed', [put(G, text('{{M}}a 1'), { snappy: true, headers: { 'Content-Encoding': 'snappy' } })]),
  c('pb-body-without-protobuf-content-type', [
    pbPush('PUT', G, [{ name: '{{M}}a', type: 'GAUGE', metrics: [{ value: 1 }] }], {
      headers: {
        'Content-Type': 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=text',
      },
    }),
  ]),
];

const scrapes: DiffCase[] = [
  c('scrape-accept-openmetrics', [put(G, text('# TYPE {{M}}c counter', '{{M}}c 1'))], {
    scrapeHeaders: { Accept: 'application/openmetrics-text; version=1.0.0; charset=utf-8' },
  }),
  c('scrape-accept-encoding-gzip', [put(G, text('{{M}}a 1'))], { scrapeHeaders: { 'Accept-Encoding': 'gzip' } }),
  c('scrape-accept-protobuf', [put(G, text('{{M}}a 1'))], {
    scrapeHeaders: {
      Accept: 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited',
    },
  }),
  c('scrape-accept-protobuf-by-q', [put(G, text('# TYPE {{M}}a gauge', '{{M}}a 1'))], {
    scrapeHeaders: { Accept: `text/plain;version=0.0.4;q=0.3,${PB_ACCEPT};q=0.7,*/*;q=0.1` },
  }),
  c('scrape-accept-text-by-q', [put(G, text('{{M}}a 1'))], {
    scrapeHeaders: { Accept: `${PB_ACCEPT};q=0.2,text/plain;q=0.5` },
  }),
  c('scrape-accept-protobuf-text-encoding', [put(G, text('{{M}}a 1'))], {
    scrapeHeaders: { Accept: 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text' },
  }),
  c('scrape-accept-escaping-allow-utf-8', [put(G, text('{{M}}a 1'))], {
    scrapeHeaders: { Accept: 'text/plain;version=0.0.4;escaping=allow-utf-8' },
  }),
  c('scrape-accept-text-wildcard', [put(G, text('{{M}}a 1'))], {
    scrapeHeaders: { Accept: 'text/*;q=0.9, */*;q=0.1' },
  }),
];

/** Every case, in the order the suite runs them. */
export const CASES: readonly DiffCase[] = [
  ...basics,
  ...paths,
  ...base64,
  ...groupingLabels,
  ...textFormat,
  ...summariesAndHistograms,
  ...consistency,
  ...clients,
  ...protobuf,
  ...scrapes,
];

// ---------------------------------------------------------------------------------------------------
// Protobuf encoding (just enough of metrics.proto to push; field numbers from client_model)

const PB_TYPES = { COUNTER: 0, GAUGE: 1, SUMMARY: 2, UNTYPED: 3, HISTOGRAM: 4 } as const;

function varint(n: number): Buffer {
  const out: number[] = [];
  let v = BigInt(n);
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v === 0n ? byte : byte | 0x80);
  } while (v !== 0n);
  return Buffer.from(out);
}

const tag = (field: number, wireType: number): Buffer => varint((field << 3) | wireType);
const pbBytes = (field: number, b: Buffer): Buffer => Buffer.concat([tag(field, 2), varint(b.length), b]);
const pbString = (field: number, v: string): Buffer => pbBytes(field, Buffer.from(v, 'utf8'));
const pbVarint = (field: number, v: number): Buffer => Buffer.concat([tag(field, 0), varint(v)]);
function pbDouble(field: number, v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(v);
  return Buffer.concat([tag(field, 1), b]);
}

function encodeMetric(m: PbMetric, type: PbFamily['type']): Buffer {
  const parts = (m.labels ?? []).map(([n, v]) => pbBytes(1, Buffer.concat([pbString(1, n), pbString(2, v)])));
  if (m.value !== undefined) {
    const field = type === 'GAUGE' ? 2 : type === 'COUNTER' ? 3 : 5;
    parts.push(pbBytes(field, pbDouble(1, m.value)));
  }
  if (m.summary !== undefined) {
    const q = m.summary.quantiles.map(([qq, v]) => pbBytes(3, Buffer.concat([pbDouble(1, qq), pbDouble(2, v)])));
    parts.push(pbBytes(4, Buffer.concat([pbVarint(1, m.summary.count), pbDouble(2, m.summary.sum), ...q])));
  }
  if (m.histogram !== undefined) {
    const bk = m.histogram.buckets.map(([le, n]) => pbBytes(3, Buffer.concat([pbVarint(1, n), pbDouble(2, le)])));
    const nh = m.histogram.native;
    // Native fields as client_golang writes them: sint32/sint64 zig-zag, repeated scalars unpacked.
    const zz = (v: number) => (v >= 0 ? v * 2 : -v * 2 - 1);
    const native =
      nh === undefined
        ? []
        : [
            pbVarint(5, zz(nh.schema)),
            pbDouble(6, nh.zeroThreshold),
            pbVarint(7, nh.zeroCount),
            ...nh.spans.map(([o, l]) => pbBytes(12, Buffer.concat([pbVarint(1, zz(o)), pbVarint(2, l)]))),
            ...nh.deltas.map((d) => pbVarint(13, zz(d))),
          ];
    parts.push(
      pbBytes(7, Buffer.concat([pbVarint(1, m.histogram.count), pbDouble(2, m.histogram.sum), ...bk, ...native])),
    );
  }
  if (m.timestampMs !== undefined) parts.push(pbVarint(6, m.timestampMs));
  return Buffer.concat(parts);
}

/** Families as a varint-length-delimited MetricFamily stream, the Go client's push format. */
export function encodeDelimited(families: PbFamily[]): Buffer {
  return Buffer.concat(
    families.map((f) => {
      const msg = Buffer.concat([
        pbString(1, f.name),
        ...(f.help === undefined ? [] : [pbString(2, f.help)]),
        pbVarint(3, PB_TYPES[f.type]),
        ...f.metrics.map((m) => pbBytes(4, encodeMetric(m, f.type))),
      ]);
      return Buffer.concat([varint(msg.length), msg]);
    }),
  );
}

// ---------------------------------------------------------------------------------------------------
// Expansion

function b64url(s: string, pad: boolean): string {
  const enc = Buffer.from(s, 'utf8').toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
  return pad ? enc : enc.replace(/=+$/, '');
}

/** Expands `{{J}}`, `{{M}}`, then `{{b64:…}}` / `{{b64pad:…}}` in one string. */
export function expandText(s: string, jobPrefix: string, metricPrefix: string): string {
  const plain = s.replaceAll('{{J}}', jobPrefix).replaceAll('{{M}}', metricPrefix);
  return plain.replace(/\{\{b64(pad)?:(.*?)\}\}/g, (_m, pad: string | undefined, inner: string) =>
    b64url(inner, pad !== undefined),
  );
}

/** A case with its placeholders filled in for table position `index` (bodies become bytes). */
export function expandCase(dc: DiffCase, index: number): ExpandedCase {
  const jobPrefix = `d${String(index).padStart(3, '0')}`;
  const metricPrefix = `${jobPrefix}_`;
  const x = (s: string) => expandText(s, jobPrefix, metricPrefix);
  return {
    ...dc,
    jobPrefix,
    metricPrefix,
    ...(dc.dropHelp === undefined ? {} : { dropHelp: dc.dropHelp.map(x) }),
    steps: dc.steps.map((s) => {
      let body: Buffer | undefined =
        typeof s.body === 'string'
          ? Buffer.from(x(s.body), 'utf8')
          : s.body === undefined
            ? undefined
            : Buffer.from(x(s.body.toString('latin1')), 'latin1');
      if (s.pb !== undefined) {
        const families = s.pb.map((f) => ({
          ...f,
          name: x(f.name),
          ...(f.help === undefined ? {} : { help: x(f.help) }),
          metrics: f.metrics.map((m) =>
            m.labels === undefined ? m : { ...m, labels: m.labels.map(([n, v]): [string, string] => [x(n), x(v)]) },
          ),
        }));
        const encoded = encodeDelimited(families);
        body = encoded.subarray(0, encoded.length - (s.pbTruncate ?? 0));
      }
      if (s.gzip === true && body !== undefined) body = gzipSync(body);
      if (s.snappy === true && body !== undefined) body = snappyFramed(body);
      return { ...s, path: x(s.path), body };
    }),
  };
}

// ---------------------------------------------------------------------------------------------------
// Replay

const REQUEST_TIMEOUT_MS = 5_000;

/** One raw HTTP request over loopback: the path is sent byte for byte (no URL normalisation). */
export function sendRaw(baseUrl: string, step: ExpandedCase['steps'][number]): Promise<StepResult> {
  const base = new URL(baseUrl);
  const headers: Record<string, string | number> = { ...(step.headers ?? {}) };
  if (step.body !== undefined && step.chunked !== true) headers['Content-Length'] = step.body.length;
  return new Promise((resolve) => {
    const r = http.request(
      {
        host: base.hostname,
        port: base.port,
        method: step.method,
        path: base.pathname.replace(/\/$/, '') + step.path,
        headers,
        agent: false,
        timeout: REQUEST_TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () => {
          const encoding = res.headers['content-encoding'];
          let body = Buffer.concat(chunks);
          try {
            if (encoding === 'gzip') body = gunzipSync(body);
          } catch (err) {
            return resolve({ status: res.statusCode ?? 0, body: '', error: `bad gzip response: ${String(err)}` });
          }
          resolve({
            status: res.statusCode ?? 0,
            ...(res.headers.allow === undefined ? {} : { allow: res.headers.allow }),
            ...(res.headers.location === undefined ? {} : { location: res.headers.location }),
            ...(res.headers['content-type'] === undefined ? {} : { contentType: res.headers['content-type'] }),
            ...(encoding === undefined ? {} : { contentEncoding: encoding }),
            body: body.toString('latin1'),
          });
        });
        res.on('error', (err) => resolve({ status: 0, body: '', error: String(err) }));
      },
    );
    r.on('timeout', () => r.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    r.on('error', (err) => resolve({ status: 0, body: '', error: String(err) }));
    if (step.body !== undefined && step.chunked === true) r.write(step.body);
    r.end(step.chunked === true ? undefined : step.body);
  });
}

/**
 * A checked push waits for every earlier write in the reference's FIFO queue, so a DELETE (answered
 * 202 before it is applied) is visible to the scrape that follows. The job is outside every case.
 */
const BARRIER: ExpandedCase['steps'][number] = {
  method: 'POST',
  path: '/metrics/job/zz_barrier',
  body: Buffer.alloc(0),
};

async function scrape(baseUrl: string, dc: ExpandedCase, afterStep: number): Promise<ScrapeResult> {
  await sendRaw(baseUrl, BARRIER);
  const res = await sendRaw(baseUrl, { method: 'GET', path: '/metrics', headers: dc.scrapeHeaders ?? {} });
  const contentType = normaliseContentType(res.contentType);
  // A delimited protobuf exposition is decoded and compared as text plus its native-histogram fields;
  // other non-text formats by Content-Type only.
  const isProtobuf =
    contentType.startsWith('application/vnd.google.protobuf') && contentType.includes('encoding=delimited');
  const asText = isProtobuf ? protobufAsText(Buffer.from(res.body, 'latin1')) : res.body;
  const opaque = !contentType.startsWith('text/plain') && !isProtobuf;
  const exposition = opaque
    ? `<${contentType} body>`
    : normaliseExposition(asText, {
        ownsFamily: (name) => name.startsWith(dc.metricPrefix),
        ownsJob: (job) => job.startsWith(dc.jobPrefix),
        ...(dc.sharedFamilies === undefined ? {} : { sharedFamilies: dc.sharedFamilies }),
        ...(dc.dropHelp === undefined ? {} : { dropHelp: dc.dropHelp }),
      });
  return { afterStep, status: res.status, contentType, contentEncoding: res.contentEncoding ?? '', exposition };
}

/**
 * A protobuf exposition as comparable text: each family in the text format, followed for every native
 * histogram by a `<name>_native{labels} {…}` line with its schema, zero bucket, spans and deltas.
 */
function protobufAsText(body: Buffer): string {
  // Family by family, so one family our decoder refuses (e.g. another case's invalid UTF-8 HELP on the
  // shared reference) does not hide the others.
  const families = [];
  let pos = 0;
  while (pos < body.length) {
    let len = 0;
    let shift = 0;
    const start = pos;
    let b: number;
    do {
      b = body[pos++]!;
      len += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b >= 0x80 && pos < body.length);
    const one = body.subarray(start, pos + len);
    pos += len;
    try {
      families.push(...parseProtobufBody(one, { utf8Names: true }));
    } catch {
      // not this case's family
    }
  }
  let out = '';
  for (const f of families.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    out += renderFamily(f);
    for (const m of f.metrics) {
      const h = m.histogram;
      if (h === undefined || !isNativeHistogram(h)) continue;
      const native = {
        schema: h.schema,
        zeroThreshold: h.zeroThreshold,
        zeroCount: h.zeroCount,
        positiveSpans: h.positiveSpans,
        positiveDeltas: h.positiveDeltas,
        negativeSpans: h.negativeSpans,
        negativeDeltas: h.negativeDeltas,
      };
      out += `${f.name}_native{${renderLabelInner(m.labels)}} ${JSON.stringify(native)}\n`;
    }
  }
  return out;
}

/** Runs a case's steps in order against one gateway, scraping where the case asks and at the end. */
export async function replayCase(baseUrl: string, dc: ExpandedCase): Promise<CaseTranscript> {
  const steps: StepResult[] = [];
  const scrapes: ScrapeResult[] = [];
  for (const [i, step] of dc.steps.entries()) {
    steps.push(await sendRaw(baseUrl, step));
    if (step.scrape === true || i === dc.steps.length - 1) scrapes.push(await scrape(baseUrl, dc, i));
  }
  return { steps, scrapes };
}

// ---------------------------------------------------------------------------------------------------
// Known differences: reported, not failed, but ours is still held to a stated expectation.

export interface KnownDifference {
  reason: string;
  /** Problems with our transcript measured against what we expect of ours (empty = as expected). */
  checkOurs(ours: CaseTranscript, dc: ExpandedCase, ref: CaseTranscript): string[];
}

function expectStatuses(ours: CaseTranscript, statuses: number[]): string[] {
  const got = ours.steps.map((s) => s.status);
  return got.join(',') === statuses.join(',') ? [] : [`statuses: expected ${statuses.join(',')}, got ${got.join(',')}`];
}

function expectBody(ours: CaseTranscript, step: number, body: string): string[] {
  const got = ours.steps[step]!.body;
  return got === body ? [] : [`step ${step + 1} body: expected ${JSON.stringify(body)}, got ${JSON.stringify(got)}`];
}

/** The case's families in the first scrape, push-time families left out (they are compared as usual). */
function expectFamilies(ours: CaseTranscript, dc: ExpandedCase, lines: string[]): string[] {
  const got = ours.scrapes[0]!.exposition.split('\n').filter(
    (l) => l !== '' && !/push_(failure_)?time_seconds/.test(l),
  );
  const want = lines.map((l) => expandText(l, dc.jobPrefix, dc.metricPrefix));
  return got.join('\n') === want.join('\n') ? [] : [`exposition: expected\n${want.join('\n')}\ngot\n${got.join('\n')}`];
}

const SERIES = '{instance="",job="{{J}}"}';

export const KNOWN_DIFFERENCES: Readonly<Record<string, KnownDifference>> = {
  'text-help-escaped-quote': {
    reason: '1.5.1\'s parser rejects \\" in HELP; 1.11 (prometheus/common 0.69) reads it as a quote, and 1.11 wins',
    checkOurs: (ours, dc) => [
      ...expectStatuses(ours, [200]),
      ...expectFamilies(ours, dc, ['# HELP {{M}}a say "hi"', '# TYPE {{M}}a untyped', `{{M}}a${SERIES} 1`]),
    ],
  },
  'text-quoted-utf8-name': {
    reason:
      '1.5.1 cannot parse the quoted-name syntax ("invalid metric name"); 1.11 parses it and rejects the ' +
      'name under legacy validation, quoting it',
    checkOurs: (ours, dc) => [
      ...expectStatuses(ours, [400]),
      ...expectBody(ours, 0, `text format parsing error in line 1: invalid metric name "${dc.metricPrefix}a.b"\n`),
    ],
  },
  'content-type-json-parsed-as-text': {
    reason:
      '1.5.1 says "invalid metric name" for a line starting with `{"a":`; 1.11\'s parser reads `"a"` as a ' +
      'quoted name and reports the `:` after it',
    checkOurs: (ours) => [
      ...expectStatuses(ours, [400]),
      ...expectBody(ours, 0, "text format parsing error in line 1: unexpected end of metric name ':'\n"),
    ],
  },
  'pb-content-type-identical-duplicate': {
    reason:
      'a parameter repeated with the same value is a mime.ParseMediaType error in Go 1.19 (1.5.1, so the body ' +
      'is read as text) but allowed since Go 1.21 (1.11.3 is built with Go 1.26), so the body is protobuf',
    checkOurs: (ours, dc) => [
      ...expectStatuses(ours, [200]),
      ...expectFamilies(ours, dc, ['# TYPE {{M}}a gauge', `{{M}}a${SERIES} 1`]),
    ],
  },
  'histogram-negative-counts': {
    reason:
      '1.5.1 wraps a negative histogram bucket count to a huge uint64 and accepts it; 1.11 (prometheus/common ' +
      '0.69) refuses negative counts while parsing',
    checkOurs: (ours, dc) => [
      ...expectStatuses(ours, [400]),
      ...expectBody(
        ours,
        0,
        `text format parsing error in line 2: negative bucket population for histogram "${dc.metricPrefix}h"\n`,
      ),
      ...expectFamilies(ours, dc, []),
    ],
  },
  'histogram-float-counts': {
    reason: '1.5.1 truncates non-integer histogram counts to integers; 1.11 keeps them (a float histogram)',
    checkOurs: (ours, dc) => [
      ...expectStatuses(ours, [200]),
      ...expectFamilies(ours, dc, [
        '# TYPE {{M}}h histogram',
        '{{M}}h_bucket{instance="",job="{{J}}",le="1"} 1.5',
        '{{M}}h_bucket{instance="",job="{{J}}",le="+Inf"} 2.5',
        `{{M}}h_sum${SERIES} 3`,
        `{{M}}h_count${SERIES} 2.5`,
      ]),
    ],
  },
  'gauge-histogram-type': {
    reason:
      "1.5.1's parser does not fold gauge_histogram samples (they become untyped families); 1.11 parses a " +
      'gauge histogram and renders it as `# TYPE x histogram`',
    checkOurs: (ours, dc) => [
      ...expectStatuses(ours, [200]),
      ...expectFamilies(ours, dc, [
        '# TYPE {{M}}gh histogram',
        '{{M}}gh_bucket{instance="",job="{{J}}",le="1"} 1',
        '{{M}}gh_bucket{instance="",job="{{J}}",le="+Inf"} 2',
        `{{M}}gh_sum${SERIES} 1`,
        `{{M}}gh_count${SERIES} 2`,
      ]),
    ],
  },
  'gzip-uppercase-content-encoding': {
    reason: '1.5.1 matches Content-Encoding case-sensitively (GZIP is ignored); 1.11 matches it case-insensitively',
    checkOurs: (ours, dc) => [
      ...expectStatuses(ours, [200]),
      ...expectFamilies(ours, dc, ['# TYPE {{M}}a untyped', `{{M}}a${SERIES} 1`]),
    ],
  },
  'own-go-metric-counter': {
    reason: 'ours has no Go runtime metrics, so go_goroutines is an ordinary pushed name: no own-metric type clash',
    checkOurs: (ours, dc) => [
      ...expectStatuses(ours, [200, 202]),
      ...expectFamilies(ours, dc, ['# TYPE go_goroutines counter', `go_goroutines${SERIES} 1`]),
    ],
  },
  'text-invalid-utf8-help': {
    reason:
      'our model holds strings, not bytes: an invalid UTF-8 byte in HELP is exposed as U+FFFD, the ' +
      'reference passes the byte through',
    checkOurs: (ours, dc) => [
      ...expectStatuses(ours, [200]),
      ...expectFamilies(ours, dc, [
        '# HELP {{M}}a bad \u00ef\u00bf\u00bd',
        '# TYPE {{M}}a untyped',
        `{{M}}a${SERIES} 1`,
      ]),
    ],
  },
  'pb-malformed-wire-type': {
    reason:
      "both answer 400; the wording of protobuf wire errors is Go protobuf's (`proto: can't skip unknown " +
      'wire type 7`) ' +
      'there and names the message and field here',
    checkOurs: (ours) => [
      ...expectStatuses(ours, [400]),
      ...expectBody(ours, 0, 'invalid MetricFamily #1: invalid wire type 7 in field 1\n'),
    ],
  },
  'pb-label-value-invalid-utf8': {
    reason:
      'both answer 400; the reference fails the consistency check ("whose value is not utf8"), which also ' +
      'creates the ' +
      'group with a failure timestamp; ours refuses the body while decoding it, so nothing is stored',
    checkOurs: (ours, dc) => [
      ...expectStatuses(ours, [400]),
      ...expectBody(ours, 0, 'invalid LabelPair: value of label "l" is not valid UTF-8\n'),
      ...(ours.scrapes[0]!.exposition.includes(`job="${dc.jobPrefix}"`)
        ? ['the rejected push left a group behind']
        : []),
    ],
  },
  'pb-empty-metric-name': {
    reason:
      'the reference accepts a protobuf family without a name, and every later scrape then breaks (200 with an empty ' +
      'body); ours refuses it (a deliberate improvement, docs/compatibility.md)',
    checkOurs: (ours) => [...expectStatuses(ours, [400]), ...expectBody(ours, 0, 'MetricFamily #1 has no name\n')],
  },
  'pb-invalid-metric-name': {
    reason:
      'the reference does not validate protobuf metric names and exposes an unparsable line; ours validates ' +
      'them like ' +
      'text names (legacy rules unless --push.enable-utf8-names)',
    checkOurs: (ours, dc) => [
      ...expectStatuses(ours, [400]),
      ...expectBody(ours, 0, `invalid metric name "${dc.metricPrefix}bad.name"\n`),
    ],
  },
  'pb-snappy-compressed': {
    reason: '1.5.1 has no snappy support (added in 1.6.0) and reads the framed bytes as protobuf; ours decodes them',
    checkOurs: (ours, dc) => [
      ...expectStatuses(ours, [200]),
      ...expectFamilies(ours, dc, ['# TYPE {{M}}a gauge', `{{M}}a${SERIES} 1`]),
    ],
  },
  'text-snappy-compressed': {
    reason: '1.5.1 has no snappy support (added in 1.6.0) and parses the framed bytes as text; ours decodes them',
    checkOurs: (ours, dc) => [
      ...expectStatuses(ours, [200]),
      ...expectFamilies(ours, dc, ['# TYPE {{M}}a untyped', `{{M}}a${SERIES} 1`]),
    ],
  },
  'scrape-accept-protobuf-text-encoding': {
    reason:
      'the protobuf debug formats (encoding=text / compact-text) are not implemented; ours answers the text format',
    checkOurs: (ours) => {
      const s = ours.scrapes[0]!;
      return s.status === 200 && s.contentType === 'text/plain; version=0.0.4; charset=utf-8'
        ? []
        : [`expected a text/plain 0.0.4 scrape, got ${s.status} ${s.contentType}`];
    },
  },
  'scrape-accept-escaping-allow-utf-8': {
    reason:
      '1.5.1 knows no escaping schemes; 1.11 echoes the requested one in the Content-Type (the body is the same ' +
      'while every name is a legacy name)',
    checkOurs: (ours, _dc, ref) => {
      const s = ours.scrapes[0]!;
      const problems =
        s.contentType === 'text/plain; version=0.0.4; charset=utf-8; escaping=allow-utf-8'
          ? []
          : [`expected escaping=allow-utf-8 in the Content-Type, got ${s.contentType}`];
      if (s.exposition !== ref.scrapes[0]!.exposition) problems.push('exposition differs from the reference');
      return problems;
    },
  },
  'gzip-header-on-delete': {
    reason:
      'the reference runs every request body through its gzip reader, so a DELETE (or even a GET) carrying ' +
      '`Content-Encoding: gzip` without a gzip body is 400 `EOF`; ours only decodes push bodies and deletes the ' +
      'group',
    checkOurs: (ours, dc) => [...expectStatuses(ours, [200, 202]), ...expectFamilies(ours, dc, [])],
  },
  'own-go-metric-gauge': {
    reason: "ours has no Go runtime metrics, so the pushed go_goroutines keeps its own (absent) HELP instead of Go's",
    checkOurs: (ours, dc) => [
      ...expectStatuses(ours, [200]),
      ...expectFamilies(ours, dc, ['# TYPE go_goroutines gauge', `go_goroutines${SERIES} 1`]),
    ],
  },
};
