/**
 * Long responses over a big store give the event loop back while they are built: a health check sent
 * while the JSON API body is being built is answered before it ends. (An ordering, not a timing: building
 * it over this store takes a few hundred milliseconds; a health check that had to wait would end after
 * it.) The status page is built in the same slices; over this store it is too quick to show the
 * interleaving, so its test checks that the sliced page is whole.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startOurs, type RunningGateway } from '../helpers/servers.js';

const GROUPS = 1500;
const FAMILIES = 40;

let gw: RunningGateway;

before(async () => {
  gw = await startOurs();
  let body = '';
  for (let f = 0; f < FAMILIES; f++) body += `# HELP fam_${f} Family ${f}.\n# TYPE fam_${f} gauge\nfam_${f}{k="v"} ${f}\n`;
  for (let start = 0; start < GROUPS; start += 50) {
    await Promise.all(Array.from({ length: 50 }, async (_, k) => {
      const res = await fetch(`${gw.url}/metrics/job/big/instance/i${start + k}`, { method: 'PUT', body });
      assert.equal(res.status, 200, await res.text());
    }));
  }
});

after(async () => { await gw.stop(); });

async function healthDuring(path: string): Promise<string[]> {
  const order: string[] = [];
  const long = fetch(`${gw.url}${path}`).then(async (res) => {
    const text = await res.text();
    assert.equal(res.status, 200);
    order.push('long');
    return text;
  });
  await new Promise((r) => setTimeout(r, 150));
  const health = await fetch(`${gw.url}/-/healthy`);
  assert.equal(await health.text(), 'OK');
  order.push('health');
  const text = await long;
  assert.ok(text.length > 1_000_000, `a big body (${text.length} bytes)`);
  return order;
}

describe('long responses do not hold up health checks', () => {
  it('GET /api/v1/metrics over 1,500 groups × 40 families', async () => {
    assert.deepEqual(await healthDuring('/api/v1/metrics'), ['health', 'long']);
  });

  it('GET / (status page, built in slices the same way) lists every group of the big store once', async () => {
    const res = await fetch(`${gw.url}/`);
    const html = await res.text();
    assert.equal(res.status, 200);
    assert.equal(Number(res.headers.get('content-length')), Buffer.byteLength(html));
    assert.match(html, new RegExp(`<p>${GROUPS} groups</p>`));
    assert.equal(html.match(/<section class="group">/g)?.length, GROUPS);
    for (const i of [0, 777, GROUPS - 1]) assert.equal(html.split(`instance="i${i}"`).length - 1, 1, `group i${i}`);
    assert.ok(html.endsWith('</body></html>\n'));
  });
});
