/**
 * The UI's per-group tools over real HTTP: the data attributes the script filters and sorts on (labels
 * as JSON, last push time in ms, failed flag, metric names), the age of the last push computed on the
 * server with the exact time in a title, and the copyable curl commands, which are run with the system
 * curl (skipped, loudly, without it) and must land in / delete exactly that group, values with '/' and
 * empty values included; the absolute URL from --web.external-url, else from the Host header; the
 * filter, sort and "failed only" controls as a GET form, the stale threshold for the script. No browser
 * here: the script is exercised by ui-browser-*.test.ts, the server-side paging by ui-pages.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { freePort, startOurs, type RunningGateway } from '../helpers/servers.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64url');
const CURL = spawnSync('curl', ['--version']).status === 0;
const NO_CURL = CURL ? false : 'SKIPPED: no curl on this machine, the curl commands are not run';
if (!CURL) process.stderr.write(`${NO_CURL}\n`);

interface ApiGroup {
  labels: Record<string, string>;
  last_push_successful: boolean;
  push_time_seconds: { metrics: Array<{ value: string }> };
  [family: string]: unknown;
}

async function groups(gw: RunningGateway): Promise<ApiGroup[]> {
  const res = await fetch(`${gw.url}/api/v1/metrics`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { data: ApiGroup[] }).data;
}

/** Labels compared whatever their key order. */
const same = (a: Record<string, string>, b: Record<string, string>): boolean =>
  JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());

function unescapeHtml(s: string): string {
  return s
    .replace(/&#34;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The opening tag and body of the one group panel whose labels are exactly these. */
function panelOf(html: string, labels: Record<string, string>): string {
  const found = html.split('<details class="group').filter((s) => {
    const m = /data-labels="([^"]*)"/.exec(s);
    return m !== null && same(JSON.parse(unescapeHtml(m[1]!)) as Record<string, string>, labels);
  });
  assert.equal(found.length, 1, `one panel for ${JSON.stringify(labels)}`);
  return found[0]!;
}

function attr(panel: string, name: string): string {
  const m = new RegExp(` ${name}="([^"]*)"`).exec(panel);
  assert.ok(m !== null, `${name} present`);
  return unescapeHtml(m[1]!);
}

function command(panel: string, kind: 'push' | 'delete'): string {
  const m = new RegExp(`<pre class="curl-${kind}">([^<]*)</pre>`).exec(panel);
  assert.ok(m !== null, `curl ${kind} command present`);
  return unescapeHtml(m[1]!);
}

const sh = (cmd: string): string => execFileSync('sh', ['-c', cmd], { encoding: 'utf8', timeout: 10_000 });

const SLASHY = { job: 'a/b', dir: '/x/y/', empty: '' };
const SLASHY_PATH = `/metrics/job@base64/${b64('a/b')}/dir@base64/${b64('/x/y/')}/empty@base64/=`;

describe('UI tools: data attributes, age, curl commands', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startOurs();
    assert.equal((await fetch(gw.url + SLASHY_PATH, { method: 'PUT', body: 'done 1\nother 2\n' })).status, 200);
    assert.equal((await fetch(`${gw.url}/metrics/job/neighbour`, { method: 'PUT', body: 'n 1\n' })).status, 200);
    assert.equal((await fetch(`${gw.url}/metrics/job/failing`, { method: 'PUT', body: 'm 1 1000\n' })).status, 400);
  });
  after(() => gw.stop());

  it('each panel carries its labels, last push ms, failed flag and metric names; the age is server-side', async () => {
    const before = Date.now();
    const res = await fetch(`${gw.url}/`);
    const html = await res.text();
    const after = Date.now();
    const api = (await groups(gw)).find((g) => g.labels.job === 'a/b')!;
    const p = panelOf(html, SLASHY);
    const pushMs = Number(attr(p, 'data-push-ms'));
    assert.equal(pushMs, Math.round(Number(api.push_time_seconds.metrics[0]!.value) * 1000));
    assert.equal(attr(p, 'data-failed'), '0');
    assert.deepEqual(attr(p, 'data-metrics').split(' ').sort(), [
      'done',
      'other',
      'push_failure_time_seconds',
      'push_time_seconds',
    ]);
    const age = new RegExp(`<span class="age" title="${new Date(pushMs).toISOString()}">([^<]+)</span>`).exec(p);
    assert.ok(age !== null, 'age with the exact time as title');
    // Rendered between `before` and `after`: the text names an age within that window.
    const m = /^(?:just now|(\d+) s ago|(\d+) min ago)$/.exec(age[1]!);
    assert.ok(m !== null, `age text: ${age[1]}`);
    const shown = m[1] !== undefined ? Number(m[1]) * 1000 : m[2] !== undefined ? Number(m[2]) * 60_000 : 0;
    assert.ok(shown <= after - pushMs, `${age[1]} not older than the push`);
    assert.ok(shown + 60_000 > before - pushMs, `${age[1]} within a minute of the true age`);
    const failing = panelOf(html, { job: 'failing' });
    assert.equal(attr(failing, 'data-failed'), '1');
    assert.match(failing, /<span class="age">never pushed<\/span>/);
  });

  it('the curl commands use the @base64 URL under the Host the page was asked for', async () => {
    const p = panelOf(await (await fetch(`${gw.url}/`)).text(), SLASHY);
    assert.equal(command(p, 'push'), `echo 'metric 1' | curl --data-binary @- '${gw.url}${SLASHY_PATH}'`);
    assert.equal(command(p, 'delete'), `curl -X DELETE '${gw.url}${SLASHY_PATH}'`);
  });

  it('run with curl, the push lands in exactly that group and the delete removes exactly it', {
    skip: NO_CURL,
  }, async () => {
    const p = panelOf(await (await fetch(`${gw.url}/`)).text(), SLASHY);
    const others = (await groups(gw)).filter((g) => g.labels.job !== 'a/b');
    sh(`${command(p, 'push')} --fail --silent --show-error`);
    let all = await groups(gw);
    assert.equal(all.length, others.length + 1, 'no new group');
    const g = all.find((x) => same(x.labels, SLASHY));
    assert.ok(g !== undefined, 'the group still there');
    assert.ok('metric' in g && 'done' in g, 'metric added by POST, done kept');
    assert.deepEqual(
      all.filter((x) => x !== g).map((x) => Object.keys(x).filter((k) => k === 'metric')),
      others.map(() => []),
    );
    sh(`${command(p, 'delete')} --fail --silent --show-error`);
    all = await groups(gw);
    assert.deepEqual(
      all.map((x) => x.labels),
      others.map((x) => x.labels),
    );
  });
});

describe('UI tools: the controls', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startOurs();
    assert.equal((await fetch(`${gw.url}/metrics/job/c`, { method: 'PUT', body: 'm 1\n' })).status, 200);
  });
  after(() => gw.stop());

  it('filter, sort and failed only are a GET form (no script needed); stale threshold for the script', async () => {
    const html = await (await fetch(`${gw.url}/`)).text();
    const tools = /<form id="tools" class="tools" method="get" role="search">([\s\S]*?)<\/form>/.exec(html);
    assert.ok(tools !== null, 'the controls, as a form');
    for (const control of [
      '<input type="search" id="filter" name="q" value=""',
      '<select id="sort" name="sort"><option value="job" selected>by job</option><option value="oldest">',
      '<option value="newest">',
      '<input type="checkbox" id="failed-only" name="failed" value="1">',
      '<label class="needs-js">Stale after <input type="number" id="stale-minutes"',
      '<button type="submit" id="apply">Apply</button>',
    ])
      assert.ok(tools[1]!.includes(control), control);
    // The panels the script sorts sit in one container after the controls; the whole store on one page.
    const list = html.indexOf('<div id="groups" data-total="');
    assert.ok(list > html.indexOf('<form id="tools"'));
    assert.match(html, /<div id="groups" data-total="\d+" data-live="1">/);
    assert.ok(html.indexOf('<details class="group"') > list);
    assert.ok(html.indexOf('<section id="status"') > html.lastIndexOf('</details>'));
  });
});

describe('UI tools: the absolute URL under --web.external-url', () => {
  let gw: RunningGateway;
  let port: number;
  before(async () => {
    port = await freePort();
    gw = await startOurs([`--web.external-url=http://127.0.0.1:${port}/ext/`], { port, prefix: '/ext' });
    assert.equal(
      (await fetch(`${gw.url}/metrics/job/e/i@base64/${b64('x/y')}`, { method: 'PUT', body: 'm 1\n' })).status,
      200,
    );
  });
  after(() => gw.stop());

  it('the commands start with the external URL and work there', { skip: NO_CURL }, async () => {
    const p = panelOf(await (await fetch(`${gw.url}/`)).text(), { i: 'x/y', job: 'e' });
    const url = `http://127.0.0.1:${port}/ext/metrics/job@base64/${b64('e')}/i@base64/${b64('x/y')}`;
    assert.equal(command(p, 'delete'), `curl -X DELETE '${url}'`);
    sh(`${command(p, 'push')} --fail --silent --show-error`);
    const g = (await groups(gw)).find((x) => x.labels.job === 'e');
    assert.ok(g !== undefined && 'metric' in g && 'm' in g);
    sh(`${command(p, 'delete')} --fail --silent --show-error`);
    assert.deepEqual(await groups(gw), []);
  });
});
