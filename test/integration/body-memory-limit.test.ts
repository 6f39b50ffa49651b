/**
 * The ceiling on bytes held by request bodies in flight (--push.body-memory-limit) over real HTTP: with
 * big uploads holding it, the next big upload is answered 503 with Retry-After before its body is read
 * (and the body is read on and discarded, so the connection stays usable), small pushes still get
 * through on the reserved quarter, the accepted upload completes, and what is stored is intact.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startOurs, type RunningGateway } from '../helpers/servers.js';

const MiB = 1024 * 1024;

interface Upload {
  req: http.ClientRequest;
  response: Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>;
  answered: boolean;
}

/** A PUT whose headers are sent now (Content-Length `size`) and whose body waits for finish(). */
function startUpload(gw: RunningGateway, job: string, size: number, agent: http.Agent): Upload {
  const req = http.request(`${gw.url}/metrics/job/${job}`, {
    method: 'PUT',
    agent,
    headers: { 'Content-Length': size },
  });
  const upload: Upload = {
    req,
    answered: false,
    response: new Promise((resolve, reject) => {
      req.on('response', (res) => {
        upload.answered = true;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
      });
      req.on('error', reject);
    }),
  };
  req.flushHeaders();
  return upload;
}

/** A body of `size` bytes of valid text format: one sample line, padded with comment lines. */
function bodyOf(job: string, size: number): Buffer {
  const sample = Buffer.from(`${job}_bytes ${size}\n`);
  const pad = Buffer.alloc(size - sample.length, 0x20);
  pad[0] = 0x23; // '#'
  pad[pad.length - 1] = 0x0a;
  return Buffer.concat([sample, pad]);
}

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('--push.body-memory-limit', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startOurs(['--push.body-memory-limit=8MiB', '--push.max-body-size=8MiB']);
  });
  after(async () => {
    await gw.stop();
  });

  it('refuses big uploads beyond the ceiling with 503 + Retry-After, lets small pushes through', async () => {
    assert.equal((await fetch(`${gw.url}/metrics/job/before`, { method: 'PUT', body: 'before_m 1\n' })).status, 200);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 10 });
    try {
      // Six 4 MiB uploads at once: big bodies may hold 6 MiB (three quarters of 8), so one fits.
      const uploads = Array.from({ length: 6 }, (_v, i) => startUpload(gw, `big${i}`, 4 * MiB, agent));
      await until(() => uploads.filter((u) => u.answered).length === 5, 'five refusals');
      const held = uploads.filter((u) => !u.answered);
      assert.equal(held.length, 1);
      for (const u of uploads.filter((x) => x.answered)) {
        const r = await u.response;
        assert.equal(r.status, 503);
        assert.equal(r.headers['retry-after'], '1');
        assert.match(
          r.text,
          new RegExp(
            /^push refused for now: request bodies in flight would take more than 8388608 /.source +
              /bytes \(--push\.body-memory-limit\); retry later\n$/.source,
          ),
        );
        u.req.end(bodyOf('refused', 4 * MiB)); // read on and discarded by the gateway
      }
      // While 4 MiB are held, small pushes use the reserved quarter.
      for (let i = 0; i < 5; i++) {
        const r = await fetch(`${gw.url}/metrics/job/small${i}`, { method: 'PUT', body: `small_m ${i}\n` });
        assert.equal(r.status, 200, await r.text());
      }
      const job = /big\d/.exec(held[0]!.req.path)![0];
      held[0]!.req.end(bodyOf(job, 4 * MiB));
      assert.equal((await held[0]!.response).status, 200);
      // The ceiling is free again: another big upload fits.
      const next = startUpload(gw, 'next', 4 * MiB, agent);
      next.req.end(bodyOf('next', 4 * MiB));
      assert.equal((await next.response).status, 200);

      const text = await (await fetch(`${gw.url}/metrics`)).text();
      assert.match(text, /^before_m\{instance="",job="before"\} 1$/m);
      assert.match(text, new RegExp(`^${job}_bytes\\{instance="",job="${job}"\\} 4\\.194304e\\+06$`, 'm'));
      assert.match(text, /^next_bytes\{instance="",job="next"\} 4\.194304e\+06$/m);
      for (let i = 0; i < 5; i++)
        assert.match(text, new RegExp(`^small_m\\{instance="",job="small${i}"\\} ${i}$`, 'm'));
      assert.doesNotMatch(text, /refused_bytes/);
      assert.match(text, /^pushgateway_push_rejections_total\{reason="body_memory_limit"\} 5$/m);
    } finally {
      agent.destroy();
    }
  });

  it('counts a chunked body as it arrives, and its decompressed size too', async () => {
    // 7 MiB chunked: past the 6 MiB big bodies may hold, refused once it gets there.
    const res = await fetch(`${gw.url}/metrics/job/chunked`, {
      method: 'PUT',
      body: new ReadableStream({
        start(c) {
          for (let i = 0; i < 7; i++) c.enqueue(new Uint8Array(bodyOf('chunked', MiB)));
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    assert.equal(res.status, 503, await res.text());
    const { gzipSync } = await import('node:zlib');
    const bomb = gzipSync(bodyOf('bomb', 7 * MiB)); // 7 KiB that decode to 7 MiB
    const r = await fetch(`${gw.url}/metrics/job/bomb`, {
      method: 'PUT',
      body: new Uint8Array(bomb),
      headers: { 'Content-Encoding': 'gzip' },
    });
    assert.equal(r.status, 503, await r.text());
    assert.equal(r.headers.get('retry-after'), '1');
    assert.equal((await fetch(`${gw.url}/-/healthy`)).status, 200);
  });
});
