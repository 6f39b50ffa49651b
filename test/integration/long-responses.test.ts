/**
 * Long responses over a big store give the event loop back while they are built: a health check sent
 * while the JSON API body is being built is answered before it ends. (An ordering, not a timing: the
 * health check is sent once the gateway has begun the build, which its 100 Continue proves; one that
 * had to wait for the build would end after it.) The status page is built in the same slices, a page of
 * groups at a time; over this store it is too quick to show the interleaving, so its test checks that the
 * sliced pages together are whole.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PAGE_SIZE } from '../../src/http/ui/page-query.js';
import { connect } from 'node:net';
import { startOurs, type RunningGateway } from '../helpers/servers.js';

const GROUPS = 1500;
const FAMILIES = 40;

let gw: RunningGateway;

before(async () => {
  gw = await startOurs();
  let body = '';
  for (let f = 0; f < FAMILIES; f++)
    body += `# HELP fam_${f} Family ${f}.\n# TYPE fam_${f} gauge\nfam_${f}{k="v"} ${f}\n`;
  for (let start = 0; start < GROUPS; start += 50) {
    await Promise.all(
      Array.from({ length: 50 }, async (_, k) => {
        const res = await fetch(`${gw.url}/metrics/job/big/instance/i${start + k}`, { method: 'PUT', body });
        assert.equal(res.status, 200, await res.text());
      }),
    );
  }
});

after(async () => {
  await gw.stop();
});

/**
 * GET `path` with `Expect: 100-continue` on a connection of its own. Node's server writes the
 * 100 Continue as it hands the request to the gateway's handler, which starts building the body in that
 * same turn of the event loop: `continued` is the proof the build has begun. The status line of the
 * answer is written only once the whole body is built (it carries its Content-Length): `built`
 * resolves when it arrives, `done` with the whole answer.
 */
function longGet(path: string): {
  continued: Promise<void>;
  built: Promise<void>;
  done: Promise<{ status: number; body: string }>;
} {
  const sock = connect(gw.port, '127.0.0.1');
  sock.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`);
  const chunks: Buffer[] = [];
  let stage: 'continue' | 'status' | 'body' = 'continue';
  let onContinue: () => void = () => {};
  let onBuilt: () => void = () => {};
  let onFail: (err: Error) => void = () => {};
  const continued = new Promise<void>((resolve, reject) => {
    onContinue = resolve;
    onFail = reject;
  });
  const built = new Promise<void>((resolve) => {
    onBuilt = resolve;
  });
  sock.on('data', (d: Buffer) => {
    chunks.push(d);
    if (stage === 'body') return;
    const text = Buffer.concat(chunks).toString('latin1');
    const end = text.indexOf('\r\n\r\n');
    if (stage === 'continue' && end >= 0) {
      if (!text.startsWith('HTTP/1.1 100 '))
        return onFail(new Error(`expected 100 Continue first, got ${text.slice(0, 200)}`));
      stage = 'status';
      onContinue();
    }
    if (stage === 'status' && text.indexOf('HTTP/1.1 ', end) > end) {
      stage = 'body';
      onBuilt();
    }
  });
  const done = new Promise<{ status: number; body: string }>((resolve, reject) => {
    sock.on('error', (err) => {
      onFail(err);
      reject(err);
    });
    sock.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const second = text.indexOf('HTTP/1.1 ', 1);
      const headEnd = text.indexOf('\r\n\r\n', second);
      resolve({ status: Number(text.slice(second + 9, second + 12)), body: text.slice(headEnd + 4) });
    });
  });
  return { continued, built, done };
}

/** Whether a health check sent once the long response is being built is answered before it is built. */
async function healthDuring(path: string): Promise<string[]> {
  const order: string[] = [];
  const long = longGet(path);
  void long.built.then(() => {
    order.push('long');
  });
  await long.continued;
  const health = await fetch(`${gw.url}/-/healthy`);
  assert.equal(await health.text(), 'OK');
  order.push('health');
  const { status, body } = await long.done;
  assert.equal(status, 200);
  assert.ok(body.length > 1_000_000, `a big body (${body.length} bytes)`);
  return order;
}

describe('long responses do not hold up health checks', () => {
  it('GET /api/v1/metrics over 1,500 groups × 40 families', async () => {
    assert.deepEqual(await healthDuring('/api/v1/metrics'), ['health', 'long']);
  });

  it('GET / (status page, built in slices the same way): its pages together list every group once', async () => {
    const pages = Math.ceil(GROUPS / PAGE_SIZE);
    const seen = new Map<string, number>();
    for (let p = 1; p <= pages; p++) {
      const res = await fetch(`${gw.url}/?page=${p}`);
      const html = await res.text();
      assert.equal(res.status, 200);
      assert.equal(Number(res.headers.get('content-length')), Buffer.byteLength(html));
      assert.match(html, new RegExp(`<p id="group-count">${GROUPS} groups</p>`));
      assert.equal(html.match(/<details class="group"/g)?.length, Math.min(PAGE_SIZE, GROUPS - (p - 1) * PAGE_SIZE));
      for (const m of html.matchAll(/instance="(i\d+)"<\/span><span class="when">/g)) {
        seen.set(m[1]!, (seen.get(m[1]!) ?? 0) + 1);
      }
      assert.ok(html.endsWith('</body></html>\n'));
    }
    assert.equal(seen.size, GROUPS);
    assert.ok([...seen.values()].every((n) => n === 1));
  });
});
