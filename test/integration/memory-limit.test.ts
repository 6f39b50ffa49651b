/**
 * The store's memory budget over real HTTP (--store.memory-limit): a push that would take the heap past
 * it is refused with 507 naming the limit and the flag, counted in pushgateway_push_rejections_total and
 * logged; groups stored before stay exactly as they were, and scrapes, deletes and re-pushes that do not
 * grow the store keep working; the process stays up. Also: bin/pushgateway starts Node with V8's heap
 * limit matched to the budget, in the same process (exec), so systemd's LISTEN_PID stays valid.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { PROJECT_ROOT, freePort, startOurs, startOursWith, type RunningGateway } from '../helpers/servers.js';

interface Reply {
  status: number;
  text: string;
  headers: Headers;
}

async function put(
  gw: RunningGateway,
  job: string,
  body: Buffer | string,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const res = await fetch(`${gw.url}/metrics/job/${job}`, {
    method: 'PUT',
    body: typeof body === 'string' ? body : new Uint8Array(body),
    headers,
  });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

async function get(gw: RunningGateway, p: string): Promise<Reply> {
  // Plain text: a gzip scrape of thousands of one-series families deflates thousands of pieces.
  const res = await fetch(`${gw.url}${p}`, { headers: { 'Accept-Encoding': 'identity' } });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** `n` distinct metric names, one sample each: the costliest shape per body byte. */
const distinctNames = (prefix: string, n: number): Buffer =>
  Buffer.from(Array.from({ length: n }, (_v, i) => `${prefix}${i} 1\n`).join(''));

const SMALL = '# TYPE kept gauge\nkept{stage="load"} 42\nkept{stage="done"} 7\n';

/** The lines of a scrape that belong to a job. */
function linesOf(text: string, job: string): string[] {
  return text
    .split('\n')
    .filter((l) => l.includes(`job="${job}"`))
    .sort();
}

describe('--store.memory-limit', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startOurs(['--store.memory-limit=64MiB']);
  });
  after(async () => {
    await gw.stop();
  });

  it('refuses a push beyond the budget with 507, keeps what was stored, and keeps serving', async () => {
    assert.equal((await put(gw, 'kept', SMALL)).status, 200);
    const before = linesOf((await get(gw, '/metrics')).text, 'kept').filter((l) => !l.startsWith('push_'));
    assert.equal(before.length, 2);

    // 300,000 distinct names (3.4 MB of text, 0.7 MB gzip): more than 64 MiB of heap once parsed.
    const big = await put(gw, 'big', gzipSync(distinctNames('huge_', 300_000)), { 'Content-Encoding': 'gzip' });
    assert.equal(big.status, 507, big.text);
    assert.match(
      big.text,
      /^push refused: it would take the store past its memory limit of 64MiB \(--store\.memory-limit=64MiB\)/,
    );

    const scrape = await get(gw, '/metrics');
    assert.equal(scrape.status, 200);
    assert.deepEqual(
      linesOf(scrape.text, 'kept').filter((l) => !l.startsWith('push_')),
      before,
    );
    assert.doesNotMatch(scrape.text, /job="big"/);
    assert.match(scrape.text, /^pushgateway_push_rejections_total\{reason="memory_limit"\} 1$/m);
    assert.match(scrape.text, /^pushgateway_http_requests_total\{code="507",handler="push",method="put"\} 1$/m);
    assert.match(
      gw.output(),
      /level=warn .*url=\/metrics\/job\/big .*err="push refused: it would take the store past its memory limit/,
    );

    // A re-push of the same series does not grow the store; a delete shrinks it; health answers.
    assert.equal((await put(gw, 'kept', SMALL.replace('42', '43'))).status, 200);
    assert.match((await get(gw, '/metrics')).text, /^kept\{instance="",job="kept",stage="load"\} 43$/m);
    assert.equal((await get(gw, '/-/healthy')).status, 200);
    const del = await fetch(`${gw.url}/metrics/job/kept`, { method: 'DELETE' });
    assert.equal(del.status, 202);
    assert.doesNotMatch((await get(gw, '/metrics')).text, /job="kept"/);
    assert.equal(gw.process.exitCode, null);
  });

  it('fills up push by push: the push that does not fit is refused, every earlier group intact', async () => {
    const accepted: string[] = [];
    let refused: Reply | undefined;
    for (let i = 0; i < 30 && refused === undefined; i++) {
      const r = await put(gw, `fill${i}`, distinctNames(`fill${i}_`, 5_000));
      if (r.status === 200) accepted.push(`fill${i}`);
      else refused = r;
    }
    assert.ok(accepted.length >= 1, 'the first pushes fit');
    assert.equal(refused?.status, 507, refused?.text);
    const text = (await get(gw, '/metrics')).text;
    for (const job of accepted) {
      assert.equal(linesOf(text, job).filter((l) => !l.startsWith('push_')).length, 5_000, job);
    }
    // Deleting groups makes room again, once the next scrape has dropped the cached exposition of the
    // deleted groups and a full collection (forced at most every 5 s before a refusal) has freed them.
    for (const job of accepted)
      assert.equal((await fetch(`${gw.url}/metrics/job/${job}`, { method: 'DELETE' })).status, 202);
    assert.equal((await get(gw, '/metrics')).status, 200);
    let again: Reply | undefined;
    for (let i = 0; i < 100; i++) {
      again = await put(gw, 'after', distinctNames('after_', 5_000));
      if (again.status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(again?.status, 200, again?.text);
  });
});

describe('bin/pushgateway', () => {
  it("runs Node with V8's heap limit set from --store.memory-limit, in its own process (exec)", async () => {
    const port = await freePort();
    const bin = path.join(PROJECT_ROOT, 'bin/pushgateway');
    const gw = await startOursWith(
      bin,
      [`--web.listen-address=127.0.0.1:${port}`, '--store.memory-limit=200MiB'],
      port,
    );
    try {
      // The pid systemd would see is the gateway's: the shell was replaced, not kept as a parent.
      const argv = readFileSync(`/proc/${gw.process.pid}/cmdline`, 'utf8').split('\0');
      assert.ok(argv.includes('--max-old-space-size=300'), argv.join(' '));
      assert.ok(
        argv.some((a) => a.endsWith('dist/src/cli.js')),
        argv.join(' '),
      );
      assert.match(gw.output(), /msg="memory budget" limit=200MiB/);
      assert.equal((await get(gw, '/-/healthy')).status, 200);
    } finally {
      assert.equal(await gw.stop(), 0);
    }
  });
});
