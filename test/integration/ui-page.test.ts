/**
 * The server-rendered UI over real HTTP: one panel per group with its badges (job first, then by name)
 * and "Last push failed!", every family with HELP, TYPE and last push time, each series' value for every
 * type (native histograms included), values escaped; the "Delete group" URL in the `@base64` form, which
 * deletes exactly that group when called; "Delete all N groups" only with --web.enable-admin-api; the
 * assets served from memory with cache headers; links right under --web.external-url and
 * --web.route-prefix. No browser here: the script's behaviour is not exercised by this file.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Script } from 'node:vm';
import { startOurs, type RunningGateway } from '../helpers/servers.js';
import { encodeDelimited } from '../../src/format/protobuf.js';

const PB_TYPE = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';
const b64 = (s: string): string => Buffer.from(s).toString('base64url');

async function send(
  gw: RunningGateway,
  method: string,
  path: string,
  body?: string | Buffer,
  type?: string,
): Promise<number> {
  const res = await fetch(gw.url + path, {
    method,
    body: body === undefined ? null : typeof body === 'string' ? body : new Uint8Array(body),
    headers: type === undefined ? {} : { 'Content-Type': type },
  });
  await res.arrayBuffer();
  return res.status;
}

async function page(gw: RunningGateway, path = '/'): Promise<string> {
  const res = await fetch(gw.url + path);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
  return res.text();
}

/** The panel of the group whose data-key mentions every one of these grouping values. */
function panel(html: string, ...values: string[]): string {
  const found = html.split('<details class="group').filter((s) => values.every((v) => s.includes(`="${v}"`)));
  assert.equal(found.length, 1, `one panel for ${values.join(', ')}`);
  return found[0]!;
}

/** The family block of a panel, from its summary to its closing tag. */
function family(panelHtml: string, name: string): string {
  const start = panelHtml.indexOf(`<summary><code>${name}</code>`);
  assert.ok(start >= 0, `family ${name} listed`);
  return panelHtml.slice(start, panelHtml.indexOf('</details>', start));
}

const TEXT_BODY = [
  '# HELP req_total Requests <b>served</b>.',
  '# TYPE req_total counter',
  'req_total{code="200"} 42',
  '# TYPE temp gauge',
  'temp -1.5',
  'plain 7',
  '# TYPE lat summary',
  'lat{quantile="0.5"} 0.25',
  'lat{quantile="0.99"} 1.5',
  'lat_sum 12.5',
  'lat_count 30',
  '# TYPE size histogram',
  'size_bucket{le="1"} 3',
  'size_bucket{le="+Inf"} 5',
  'size_sum 9.5',
  'size_count 5',
  '',
].join('\n');

const NATIVE = encodeDelimited([
  {
    name: 'dur',
    help: 'Native durations.',
    type: 'HISTOGRAM',
    metrics: [
      {
        labels: [],
        histogram: {
          sampleCount: 4,
          sampleSum: 3.5,
          buckets: [],
          schema: 0,
          zeroThreshold: 0.001,
          zeroCount: 1,
          positiveSpans: [{ offset: 0, length: 2 }],
          positiveDeltas: [2, -1],
        },
      },
    ],
  },
]);

describe('UI page: panels, values, delete URLs', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startOurs();
    assert.equal(await send(gw, 'PUT', '/metrics/job/app/zone/eu/instance/i1/abc/x', TEXT_BODY), 200);
    assert.equal(await send(gw, 'PUT', '/metrics/job/native', NATIVE, PB_TYPE), 200);
    assert.equal(await send(gw, 'PUT', '/metrics/job/failing', 'm 1 1000\n'), 400);
    const slashy = `/metrics/job/batch/path@base64/${b64('a/b')}/empty@base64/=`;
    assert.equal(await send(gw, 'PUT', slashy, 'done 1\n'), 200);
    assert.equal(await send(gw, 'PUT', `/metrics/job/x/v@base64/${b64('<script>alert(1)</script>')}`, 'y 1\n'), 200);
  });
  after(() => gw.stop());

  it('one panel per group, badges job first then by name, the failed marker', async () => {
    const html = await page(gw);
    assert.equal(html.match(/<details class="group/g)?.length, 5);
    assert.match(html, /<p id="group-count">5 groups<\/p>/);
    const app = panel(html, 'app');
    const summary = app.slice(0, app.indexOf('</summary>'));
    const order = [...summary.matchAll(/<span class="label (\w+)">([^=]+)=/g)].map((m) => `${m[1]}:${m[2]}`);
    assert.deepEqual(order, ['job:job', 'other:abc', 'instance:instance', 'other:zone']);
    assert.match(panel(html, 'failing'), /Last push failed!/);
    assert.doesNotMatch(app, /Last push failed!/);
    assert.match(
      summary,
      /last push: <span class="age" title="\d{4}-\d\d-\d\dT[^"]+">(?:\d+ (?:s|min|h|d) ago|just now)<\/span>/,
    );
  });

  it('each family with HELP, TYPE and last push time, each series with its value', async () => {
    const app = panel(await page(gw, '/status'), 'app');
    const req = family(app, 'req_total');
    assert.match(req, /HELP: Requests &lt;b&gt;served&lt;\/b&gt;\./);
    assert.match(req, /TYPE: counter/);
    assert.match(req, /last pushed: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z/);
    assert.match(req, /<td><span class="label other">abc="x"<\/span> <span class="label other">code="200"<\/span> /);
    assert.match(req, /<span class="label instance">instance="i1"<\/span> <span class="label job">job="app"<\/span>/);
    assert.match(req, /<span class="value">42<\/span>/);
    assert.match(family(app, 'temp'), /TYPE: gauge[\s\S]*<span class="value">-1\.5<\/span>/);
    assert.match(family(app, 'plain'), /TYPE: untyped[\s\S]*<span class="value">7<\/span>/);
    const lat = family(app, 'lat');
    assert.match(lat, /TYPE: summary/);
    assert.match(lat, /Quantile 0\.5<\/th><td>0\.25</);
    assert.match(lat, /Quantile 0\.99<\/th><td>1\.5</);
    assert.match(lat, /Sample count<\/th><td>30</);
    assert.match(lat, /Sample sum<\/th><td>12\.5</);
    const size = family(app, 'size');
    assert.match(size, /TYPE: histogram/);
    assert.match(size, /Sample values &le; 1<\/th><td>3</);
    assert.match(size, /Sample values &le; \+Inf<\/th><td>5</);
    assert.match(size, /Total count<\/th><td>5</);
    assert.match(size, /Sum<\/th><td>9\.5</);
    // Families are listed by name.
    const names = [...app.matchAll(/<summary><code>([^<]+)<\/code>/g)].map((m) => m[1]);
    assert.deepEqual(names, [...names].sort());
  });

  it('native histograms: their buckets and the string form', async () => {
    const dur = family(panel(await page(gw), 'native'), 'dur');
    assert.match(dur, /Native bucket \[-0\.001,0\.001\]<\/th><td>1</);
    assert.match(dur, /Native bucket \(0\.5,1\]<\/th><td>2</);
    assert.match(dur, /Native bucket \(1,2\]<\/th><td>1</);
    assert.match(dur, /<code>\{count:4, sum:3\.5, \[-0\.001,0\.001\]:1, \(0\.5,1\]:2, \(1,2\]:1\}<\/code>/);
    assert.match(dur, /Total count<\/th><td>4</);
  });

  it('escapes every value: a label value <script> is text', async () => {
    const html = await page(gw);
    assert.ok(!html.includes('<script>alert(1)'), 'raw <script> reached the page');
    assert.ok(html.includes('v="&lt;script&gt;alert(1)&lt;/script&gt;"'));
    // The only script element is the page's own.
    assert.equal(html.match(/<script/g)?.length, 1);
  });

  it('no "Delete all" without the admin API; the delete URL is in @base64 form and deletes that group', async () => {
    const html = await page(gw);
    assert.doesNotMatch(html, /id="wipe"/);
    assert.doesNotMatch(html, /Delete all/);
    const batch = panel(html, 'batch');
    const url = `./metrics/job@base64/${b64('batch')}/empty@base64/=/path@base64/${b64('a/b')}`;
    assert.ok(batch.includes(`data-url="${url}"`), `delete URL ${url} in ${batch.slice(0, 900)}`);
    assert.match(batch, /data-group="\{job=&#34;batch&#34;, empty=&#34;&#34;, path=&#34;a\/b&#34;\}"/);
    // The URL as the browser resolves it against the page deletes exactly that group.
    const res = await fetch(new URL(url, `${gw.url}/`), { method: 'DELETE' });
    assert.equal(res.status, 202);
    const json = (await (await fetch(`${gw.url}/api/v1/metrics`)).json()) as { data: { labels: object }[] };
    const left = json.data.map((g) => g.labels);
    assert.equal(left.length, 4);
    assert.ok(!left.some((l) => (l as Record<string, string>).job === 'batch'), 'batch group deleted');
  });

  it('serves its assets from memory with cache headers; the reference-only ones are 404', async () => {
    const html = await page(gw);
    for (const [file, type] of [
      ['ui.css', 'text/css; charset=utf-8'],
      ['ui.js', 'text/javascript; charset=utf-8'],
      ['favicon.svg', 'image/svg+xml'],
    ] as const) {
      assert.match(html, new RegExp(`"\\./static/${file.replace('.', '\\.')}\\?v=[^"]+"`));
      const res = await fetch(`${gw.url}/static/${file}?v=1`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), type);
      assert.equal(res.headers.get('cache-control'), 'public, max-age=86400');
      const etag = res.headers.get('etag')!;
      const text = await res.text();
      assert.ok(text.length > 0);
      // The script at least compiles (what it does in a browser is not tested here).
      if (file === 'ui.js') assert.doesNotThrow(() => new Script(text, { filename: 'ui.js' }));
      assert.equal(res.headers.get('set-cookie'), null);
      const again = await fetch(`${gw.url}/static/${file}`, { headers: { 'If-None-Match': etag } });
      assert.equal(again.status, 304);
    }
    assert.equal((await fetch(`${gw.url}/static/jquery-3.7.1.min.js`)).status, 404);
    // The Status tab: start time, build information, flags; the Help link.
    assert.match(html, /<section id="status" class="tab"><h2>Status<\/h2>\n<p>Started: \d{4}-/);
    assert.match(html, /<table class="build">.*<th scope="row">revision<\/th>/);
    assert.match(html, /<table class="flags">.*<th scope="row">web\.enable-admin-api<\/th><td>false<\/td>/);
    assert.match(html, /<a href="https:\/\/github\.com\/prometheus\/pushgateway\/blob\/master\/README\.md">Help<\/a>/);
  });
});

describe('UI page: admin API and prefixes', () => {
  let proxied: RunningGateway;
  let prefixed: RunningGateway;
  before(async () => {
    // Behind a proxy that strips /ext: served at the root, linked under /ext.
    proxied = await startOurs([
      '--web.enable-admin-api',
      '--web.external-url=http://example.com/ext/',
      '--web.route-prefix=/',
    ]);
    prefixed = await startOurs(['--web.route-prefix=/pre'], { prefix: '/pre' });
  });
  after(async () => {
    await proxied.stop();
    await prefixed.stop();
  });

  it('"Delete all N groups" with --web.enable-admin-api, disabled at 0, links under the external path', async () => {
    let html = await page(proxied);
    assert.match(
      html,
      /<button type="button" id="wipe" [^>]*data-url="\/ext\/api\/v1\/admin\/wipe" disabled>Delete all 0/,
    );
    assert.equal(await send(proxied, 'PUT', `/metrics/job/a/i@base64/${b64('x/y')}`, 'm 1\n'), 200);
    assert.equal(await send(proxied, 'PUT', '/metrics/job/b', 'm 1\n'), 200);
    html = await page(proxied);
    assert.match(html, /id="wipe" [^>]*data-url="\/ext\/api\/v1\/admin\/wipe">Delete all 2 groups<\/button>/);
    assert.match(html, /href="\/ext\/static\/ui\.css\?v=/);
    assert.match(html, /src="\/ext\/static\/ui\.js\?v=/);
    assert.match(html, /<a class="brand" href="\/ext\/">/);
    assert.ok(html.includes(`data-url="/ext/metrics/job@base64/${b64('a')}/i@base64/${b64('x/y')}"`));
    // What the proxy forwards once it strips /ext: the wipe the button calls.
    const res = await fetch(`${proxied.url}/api/v1/admin/wipe`, { method: 'PUT' });
    assert.equal(res.status, 202);
    assert.match(await page(proxied), /Delete all 0 groups/);
  });

  it('under --web.route-prefix alone, links are relative to the page and resolve under the prefix', async () => {
    assert.equal(await send(prefixed, 'PUT', '/metrics/job/p', 'm 1\n'), 200);
    const html = await page(prefixed, '/');
    const css = /href="(\.\/static\/ui\.css\?v=[^"]+)"/.exec(html)?.[1];
    assert.ok(css !== undefined, 'relative stylesheet link');
    assert.equal((await fetch(new URL(css, `${prefixed.url}/`))).status, 200);
    const del = /data-url="([^"]+)"/.exec(panel(html, 'p'))?.[1];
    assert.equal(del, `./metrics/job@base64/${b64('p')}`);
    assert.equal((await fetch(new URL(del!, `${prefixed.url}/status`), { method: 'DELETE' })).status, 202);
    assert.match(await page(prefixed, '/status'), /<p id="group-count">0 groups<\/p>/);
  });
});
