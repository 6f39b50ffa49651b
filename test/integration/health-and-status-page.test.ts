/**
 * What an operator or a load balancer sees: /-/healthy and /-/ready answer `OK`, and the status page at
 * `/` and `/status` lists every group (job label first), its last push time, a "Last push failed!"
 * marker, the startup flags, with label values HTML-escaped. The page assertions are markup-agnostic
 * and run against the reference too; method handling on these paths is compared with the reference.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { referenceSkipReason, startOurs, startReference, type RunningGateway } from '../helpers/servers.js';

const XSS = '<script>alert(1)</script>';
const XSS_PATH = `/metrics/job/batch/instance/i1/zone@base64/${Buffer.from(XSS).toString('base64url')}`;

interface Reply {
  status: number;
  text: string;
  type: string | null;
  allow: string | null;
}

async function send(gw: RunningGateway, method: string, path: string, body?: string): Promise<Reply> {
  const res = await fetch(gw.url + path, { method, body: body ?? null, redirect: 'manual' });
  return {
    status: res.status,
    text: await res.text(),
    type: res.headers.get('content-type'),
    allow: res.headers.get('allow'),
  };
}

/** The part of the page from the group's job label to the next group's (or the end). */
function groupBlock(page: string, job: string, otherJobs: readonly string[]): string {
  const start = page.indexOf(`job="${job}"`);
  assert.ok(start >= 0, `group ${job} not on the page`);
  const ends = otherJobs.map((j) => page.indexOf(`job="${j}"`, start + 1)).filter((i) => i > start);
  return page.slice(start, Math.min(page.length, ...ends));
}

/** Every RFC 3339 time on a piece of the page, in ms. */
function timesIn(text: string): number[] {
  const times = text.matchAll(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)/g);
  return [...times].map((m) => Date.parse(m[0]));
}

/** Pushes a good group (with a script-laden label value) and a group whose only push failed. */
async function seed(gw: RunningGateway): Promise<{ from: number; to: number }> {
  const from = Date.now();
  assert.equal((await send(gw, 'PUT', XSS_PATH, 'm 1\n')).status, 200);
  assert.equal((await send(gw, 'PUT', '/metrics/job/failing', 'm 1 1000\n')).status, 400);
  return { from, to: Date.now() };
}

function checkStatusPage(gw: RunningGateway, page: string, pushed: { from: number; to: number }): void {
  const jobs = ['batch', 'failing'];
  const batch = groupBlock(page, 'batch', jobs);
  const failing = groupBlock(page, 'failing', jobs);
  // The job badge comes first, then the other grouping labels.
  assert.ok(page.indexOf('job="batch"') < page.indexOf('instance="i1"'), 'job label is not listed first');
  assert.match(batch, /instance="i1"/);
  assert.ok(batch.includes('zone="&lt;script&gt;alert(1)&lt;/script&gt;"'), 'label value not HTML-escaped');
  assert.ok(!page.includes(XSS), 'raw <script> from a label value reached the page');
  // Go renders times truncated to the second; allow that.
  const near = timesIn(batch).filter((t) => t >= pushed.from - 1000 && t <= pushed.to + 1000);
  assert.ok(
    near.length > 0,
    `no last push time between ${new Date(pushed.from).toISOString()} and ` +
      `${new Date(pushed.to).toISOString()} for job="batch"`,
  );
  assert.ok(failing.includes('Last push failed!'), 'failed group not marked');
  assert.ok(!batch.includes('Last push failed!'), 'successful group marked as failed');
  for (const [flag, value] of [
    ['web.listen-address', `127.0.0.1:${gw.port}`],
    ['persistence.interval', '5m0s'],
    ['web.enable-lifecycle', 'false'],
    ['web.telemetry-path', '/metrics'],
  ] as const) {
    assert.ok(page.includes(flag), `flag ${flag} not listed`);
    assert.ok(page.includes(value), `flag value ${value} not listed`);
  }
}

describe('health and readiness', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startOurs();
  });
  after(async () => {
    await gw.stop();
  });

  for (const path of ['/-/healthy', '/-/ready']) {
    it(`GET ${path} answers 200 OK as text/plain`, async () => {
      const r = await send(gw, 'GET', path);
      assert.equal(r.status, 200);
      assert.equal(r.text, 'OK');
      assert.equal(r.type, 'text/plain; charset=utf-8');
    });
  }
});

describe('status page', () => {
  let gw: RunningGateway;
  let pushed: { from: number; to: number };
  before(async () => {
    gw = await startOurs();
    pushed = await seed(gw);
  });
  after(async () => {
    await gw.stop();
  });

  for (const path of ['/', '/status']) {
    it(`GET ${path} lists groups, push times, failures and flags as escaped HTML`, async () => {
      const r = await send(gw, 'GET', path);
      assert.equal(r.status, 200);
      assert.equal(r.type, 'text/html; charset=utf-8');
      checkStatusPage(gw, r.text, pushed);
    });
  }

  it('drops the failure marker once the group is pushed successfully', async () => {
    assert.equal((await send(gw, 'PUT', '/metrics/job/failing', 'm 2\n')).status, 200);
    const page = (await send(gw, 'GET', '/')).text;
    assert.ok(!page.includes('Last push failed!'), 'marker still shown after a successful push');
  });
});

describe('status page and health paths compared with the reference', () => {
  const skip = referenceSkipReason();
  let ours: RunningGateway;
  let ref: RunningGateway;
  before(async () => {
    if (skip !== false) return;
    [ours, ref] = await Promise.all([startOurs(), startReference()]);
  });
  after(async () => {
    await Promise.all([ours?.stop(), ref?.stop()]);
  });

  it('the page assertions hold for the reference too', { skip }, async () => {
    const pushed = await seed(ref);
    checkStatusPage(ref, (await send(ref, 'GET', '/')).text, pushed);
  });

  it('answers HEAD, POST, PUT and OPTIONS on these paths like the reference', { skip }, async () => {
    for (const path of ['/-/healthy', '/-/ready', '/', '/status']) {
      for (const method of ['HEAD', 'POST', 'PUT', 'OPTIONS', 'GET']) {
        const [a, b] = await Promise.all([send(ours, method, path), send(ref, method, path)]);
        const what = `${method} ${path}`;
        assert.equal(a.status, b.status, `${what}: status`);
        assert.equal(a.allow, b.allow, `${what}: Allow`);
        if (method !== 'GET') assert.equal(a.text, b.text, `${what}: body`);
        else if (path.startsWith('/-/')) assert.equal(a.text, b.text, `${what}: body`);
      }
    }
  });
});
