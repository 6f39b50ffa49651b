/**
 * GET /api/v1/metrics and /api/v1/status against the reference for the same pushes: the bodies must be
 * byte-identical once group order (random in the reference) and the values that are times of day
 * (time_stamp, push_time_seconds, push_failure_time_seconds, start_time) are set aside, the latter after
 * checking their format. Headers (Content-Type, CORS) and the routing around /api/v1 are compared too.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { referenceSkipReason, startOurs, startReference, type RunningGateway } from '../helpers/servers.js';

const skip = referenceSkipReason();

const b64 = (s: string): string => Buffer.from(s).toString('base64url');

/** Pushes valid on both 1.5.1 and ours (no float/gauge histograms, no protobuf: see compatibility.md). */
const PUSHES: Array<[string, string, string]> = [
  [
    'PUT',
    '/metrics/job/batch/instance/i1',
    `# HELP requests_total Requests <served> & "counted" é\u2028 \\\\ \\n.
# TYPE requests_total counter
requests_total{code="200",path="/a<b>&c"} 1027
requests_total{code="500",path="q\\"uote\\\\back\\nnl"} -0
# TYPE temperature gauge
temperature{room="a"} NaN
temperature{room="b"} +Inf
temperature{room="c"} -Inf
temperature{room="d"} 1e6
temperature{room="e"} 1234567
temperature{room="f"} 0.0001
temperature{room="g"} 0.00001
temperature{room="h"} 5e-324
temperature{room="i"} 12345678901234567890
temperature{room="j"} 2.50
# HELP empty_help
empty_help 3
untyped_thing 1
# HELP latency_seconds Latency.
# TYPE latency_seconds summary
latency_seconds{quantile="0.5"} 0.05
latency_seconds{quantile="0.99"} 1.5
latency_seconds{quantile="0.9"} NaN
latency_seconds_sum 123.4
latency_seconds_count 18446744073709
# TYPE bare_summary summary
bare_summary_sum 0
bare_summary_count 0
# TYPE size_bytes histogram
size_bytes_bucket{le="0.005"} 3
size_bytes_bucket{le="1"} 17
size_bytes_bucket{le="1e+06"} 19
size_bytes_bucket{le="+Inf"} 20
size_bytes_sum 99.23
size_bytes_count 20
# TYPE no_inf histogram
no_inf_bucket{le="1"} 2
no_inf_sum 1
no_inf_count 2
`,
  ],
  [
    'PUT',
    `/metrics/job@base64/${b64('Björn/x')}/instance@base64/${b64('inst\'a"n\\ce1')}/empty@base64/=`,
    'requests_total{code="201"} 5\n',
  ],
  ['POST', '/metrics/job/batch/instance/i1', 'late_family 42\n'],
  ['PUT', '/metrics/job/failing', 'm 1 1000\n'],
  ['PUT', '/metrics/job/clash', 'clash_metric 1\n'],
  ['POST', '/metrics/job/clash', '# TYPE requests_total gauge\nrequests_total 1\n'],
  ['PUT', '/metrics/job/quirk', 'labels 1\nlast_push_successful 2\n'],
  ['PUT', '/metrics/job/emptied', ''],
  ['PUT', '/metrics/job/gone', 'x 1\n'],
  ['DELETE', '/metrics/job/gone', ''],
];

interface Reply {
  status: number;
  text: string;
  headers: Headers;
}

async function send(gw: RunningGateway, method: string, path: string, body?: string): Promise<Reply> {
  const res = await fetch(gw.url + path, { method, body: body ?? null, redirect: 'manual' });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** Splits a JSON array's text into its top-level elements, byte for byte. */
function splitArray(text: string): string[] {
  assert.ok(text.startsWith('[') && text.endsWith(']'), text.slice(0, 80));
  const out: string[] = [];
  let depth = 0;
  let inString = false;
  let start = 1;
  for (let i = 1; i < text.length - 1; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === ',' && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (text.length > 2) out.push(text.slice(start, text.length - 1));
  return out;
}

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/;

/** Times of day replaced by placeholders after their format is checked; groups sorted by their labels. */
function normaliseMetrics(body: string): string {
  const prefix = '{"status":"success","data":';
  assert.ok(body.startsWith(prefix) && body.endsWith('}'), body.slice(0, 80));
  const groups = splitArray(body.slice(prefix.length, -1)).map((g) =>
    g
      .replace(/"time_stamp":"([^"]*)"/g, (_, t: string) => {
        assert.match(t, RFC3339);
        return '"time_stamp":"T"';
      })
      .replace(/("push(?:_failure)?_time_seconds":\{.*?"value":")([^"]*)"/g, (_, head: string, v: string) => {
        assert.match(v, /^(0|1\.\d+e\+09)$/, `push time value ${v}`);
        return `${head}${v === '0' ? '0' : 'V'}"`;
      }),
  );
  const key = (g: string): string => /"labels":(\{[^}]*\})/.exec(g)?.[1] ?? g;
  return groups.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)).join('\n');
}

describe('JSON API compared with the reference', () => {
  let ours: RunningGateway;
  let ref: RunningGateway;
  before(async () => {
    if (skip !== false) return;
    [ours, ref] = await Promise.all([startOurs(), startReference()]);
    for (const [method, path, body] of PUSHES) {
      const [a, b] = [await send(ours, method, path, body), await send(ref, method, path, body)];
      assert.equal(a.status, b.status, `${method} ${path}: ours ${a.text} / reference ${b.text}`);
    }
  });
  after(async () => {
    await Promise.all([ours?.stop(), ref?.stop()]);
  });

  it('GET /api/v1/metrics: the same groups, families, values and formatting', { skip }, async () => {
    const [a, b] = [await send(ours, 'GET', '/api/v1/metrics'), await send(ref, 'GET', '/api/v1/metrics')];
    assert.equal(a.status, 200);
    assert.equal(b.status, 200);
    const [na, nb] = [normaliseMetrics(a.text), normaliseMetrics(b.text)];
    assert.equal(na.split('\n').length, 6);
    assert.equal(na, nb);
    // Spot checks of what the comparison covers.
    assert.match(a.text, /"help":"Requests \\u003cserved\\u003e \\u0026 \\"counted\\" é\\u2028 \\\\ \\n\."/);
    assert.match(a.text, /"value":"-0"/);
    assert.match(a.text, /"last_push_successful":false/);
    assert.match(a.text, /"labels":\{"empty":"","instance":"inst'a\\"n\\\\ce1","job":"Björn\/x"\}/);
  });

  it('an empty store is exactly {"status":"success","data":[]}', { skip }, async () => {
    const [e1, e2] = await Promise.all([startOurs(), startReference()]);
    try {
      const [a, b] = [await send(e1, 'GET', '/api/v1/metrics'), await send(e2, 'GET', '/api/v1/metrics')];
      assert.equal(a.text, '{"status":"success","data":[]}');
      assert.equal(a.text, b.text);
    } finally {
      await Promise.all([e1.stop(), e2.stop()]);
    }
  });

  it('GET /api/v1/status: same layout, flags and build keys', { skip }, async () => {
    const [a, b] = [await send(ours, 'GET', '/api/v1/status'), await send(ref, 'GET', '/api/v1/status')];
    const [ja, jb] = [JSON.parse(a.text), JSON.parse(b.text)] as Array<{
      status: string;
      data: Record<string, Record<string, string>> & { start_time: string };
    }>;
    assert.equal(ja!.status, 'success');
    assert.deepEqual(Object.keys(ja!.data), Object.keys(jb!.data));
    assert.deepEqual(Object.keys(ja!.data.build_information!), Object.keys(jb!.data.build_information!));
    assert.match(ja!.data.start_time, RFC3339);
    const flagsA = { ...ja!.data.flags };
    const flagsB = { ...jb!.data.flags };
    // 1.5.1 has Debian's web.local-assets and lacks 1.11's push.enable-utf8-names; push.max-body-size is ours.
    delete flagsB['web.local-assets'];
    assert.equal(flagsA['push.enable-utf8-names'], 'false');
    assert.equal(flagsA['push.max-body-size'], '64MiB');
    delete flagsA['push.enable-utf8-names'];
    delete flagsA['push.max-body-size'];
    // The memory and per-push limits are ours too (0 = off for the per-push ones).
    assert.match(flagsA['store.memory-limit']!, /^\d+(KiB|MiB|GiB)$/);
    assert.match(flagsA['push.body-memory-limit']!, /^\d+(KiB|MiB|GiB)$/);
    for (const f of [
      'push.sample-limit',
      'push.label-limit',
      'push.label-name-length-limit',
      'push.label-value-length-limit',
    ]) {
      assert.equal(flagsA[f], '0', f);
      delete flagsA[f];
    }
    // The Redis store's flags are ours (off by default).
    assert.equal(flagsA['store.redis.url'], '');
    assert.equal(flagsA['store.redis.key-prefix'], 'pushgateway:');
    for (const f of ['url', 'sentinels', 'sentinel-master', 'sentinel-password', 'key-prefix', 'wait-replicas'])
      delete flagsA[`store.redis.${f}`];
    delete flagsA['store.memory-limit'];
    delete flagsA['push.body-memory-limit'];
    // Issue 12's lifecycle flags are ours: off (no TTL) and the default grace.
    assert.equal(flagsA['push.group-ttl'], '0s');
    assert.equal(flagsA['push.group-up-grace'], '2');
    delete flagsA['push.group-ttl'];
    delete flagsA['push.group-up-grace'];
    flagsA['web.listen-address'] = flagsB['web.listen-address'] = 'addr';
    flagsB['persistence.file'] = flagsA['persistence.file']!;
    assert.deepEqual(flagsA, flagsB);
    // Keys sorted as Go writes maps: the raw flag section lists them in byte order.
    const raw = /"flags":\{([^}]*)\}/.exec(a.text)![1]!;
    const keys = [...raw.matchAll(/"([^"]+)":/g)].map((m) => m[1]!);
    assert.deepEqual(keys, [...keys].sort());
  });

  it('headers and routing around /api/v1 match: CORS, Content-Type, OPTIONS, redirects, 404/405', {
    skip,
  }, async () => {
    const cors = [
      'access-control-allow-headers',
      'access-control-allow-methods',
      'access-control-allow-origin',
      'access-control-expose-headers',
      'cache-control',
    ];
    for (const [method, path] of [
      ['GET', '/api/v1/metrics'],
      ['GET', '/api/v1/status'],
      ['OPTIONS', '/api/v1/metrics'],
      ['OPTIONS', '/api/v1/anything/else'],
      ['GET', '/api/v1'],
      ['GET', '/api/v1/'],
      ['GET', '/api/v1/status/'],
      ['POST', '/api/v1/metrics'],
      ['GET', '/api/v1/nothing'],
      ['DELETE', '/api/v1/status'],
    ] as const) {
      const [a, b] = [await send(ours, method, path), await send(ref, method, path)];
      const what = `${method} ${path}`;
      assert.equal(a.status, b.status, `${what}: status`);
      assert.equal(a.headers.get('location'), b.headers.get('location'), `${what}: Location`);
      assert.equal(a.headers.get('allow'), b.headers.get('allow'), `${what}: Allow`);
      assert.equal(a.headers.get('content-type'), b.headers.get('content-type'), `${what}: Content-Type`);
      for (const h of cors) assert.equal(a.headers.get(h), b.headers.get(h), `${what}: ${h}`);
      if (a.status !== 200) assert.equal(a.text, b.text, `${what}: body`);
    }
  });

  it("the API requests are counted like the reference's handlers", { skip }, async () => {
    const text = (await send(ours, 'GET', '/metrics')).text;
    assert.match(text, /pushgateway_http_requests_total\{code="200",handler="api\/v1\/metrics",method="get"\} \d+/);
    assert.match(text, /pushgateway_http_requests_total\{code="200",handler="api\/v1\/options",method="options"\} \d+/);
  });
});
