/**
 * The scrape body is cached per store version; every kind of write must still show up in the very
 * next scrape, plain and gzip.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { request } from 'node:http';
import { startOurs, type RunningGateway } from '../helpers/servers.js';

let gw: RunningGateway;

function send(
  method: string,
  path: string,
  body = '',
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const r = request(`${gw.url}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    r.on('error', reject);
    r.end(body);
  });
}

/** Both the plain and the gzip scrape, asserted identical; returns the text. */
async function scrape(): Promise<string> {
  const plain = await send('GET', '/metrics');
  const zipped = await send('GET', '/metrics', '', { 'Accept-Encoding': 'gzip' });
  assert.equal(plain.status, 200);
  assert.equal(plain.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8; escaping=underscores');
  assert.equal(zipped.headers['content-encoding'], 'gzip');
  const text = plain.body.toString('utf8');
  const unzipped = gunzipSync(zipped.body).toString('utf8');
  // Own process gauges may be resampled between the two requests; pushed lines must be identical.
  const pushed = (t: string): string =>
    t
      .split('\n')
      .filter((l) => l.includes('job="c'))
      .join('\n');
  assert.equal(pushed(unzipped), pushed(text));
  return text;
}

describe('scrape cache shows every write at once', () => {
  before(async () => {
    gw = await startOurs(['--web.enable-admin-api']);
  });
  after(async () => {
    await gw.stop();
  });

  it('PUT, POST, replace, failed push, DELETE and wipe are each visible in the next scrape', async () => {
    assert.equal((await send('PUT', '/metrics/job/c1', 'm 1\n')).status, 200);
    assert.match(await scrape(), /^m\{instance="",job="c1"\} 1$/m);
    assert.equal((await send('POST', '/metrics/job/c1', 'm 2\n')).status, 200);
    assert.match(await scrape(), /^m\{instance="",job="c1"\} 2$/m);
    assert.equal((await send('PUT', '/metrics/job/c1', 'n 3\n')).status, 200);
    let text = await scrape();
    assert.doesNotMatch(text, /^m\{/m);
    assert.match(text, /^n\{instance="",job="c1"\} 3$/m);
    assert.match(text, /^push_failure_time_seconds\{instance="",job="c1"\} 0$/m);
    assert.equal((await send('PUT', '/metrics/job/c1', 'n 3 1000\n')).status, 400);
    assert.match(await scrape(), /^push_failure_time_seconds\{instance="",job="c1"\} 1\.\d+e\+09$/m);
    assert.equal((await send('PUT', '/metrics/job/c2', 'o 4\n')).status, 200);
    assert.equal((await send('DELETE', '/metrics/job/c1')).status, 202);
    text = await scrape();
    assert.doesNotMatch(text, /job="c1"/);
    assert.match(text, /^o\{instance="",job="c2"\} 4$/m);
    assert.equal((await send('PUT', '/api/v1/admin/wipe')).status, 202);
    assert.doesNotMatch(await scrape(), /job="c/);
  });

  it('answers gzip only when the reference would choose it for the Accept-Encoding header', async () => {
    const cases: Array<[string, boolean]> = [
      ['gzip', true],
      ['br, gzip', true],
      ['gzip;q=0', false],
      ['GZIP', false],
      ['gzip;q=0.5, identity', false],
      ['*', false],
      ['zstd;q=1, gzip;q=0.5', false],
    ];
    for (const [acceptEncoding, gzipped] of cases) {
      const res = await send('GET', '/metrics', '', { 'Accept-Encoding': acceptEncoding });
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-encoding'], gzipped ? 'gzip' : undefined, acceptEncoding);
      assert.equal(res.body.subarray(0, 2).equals(Buffer.from([0x1f, 0x8b])), gzipped, acceptEncoding);
    }
  });

  it('a pushed family named like an own metric merges into it with the own HELP', async () => {
    const res = await send(
      'PUT',
      '/metrics/job/c3',
      '# HELP process_open_fds mine\n# TYPE process_open_fds gauge\nprocess_open_fds 7\n',
    );
    assert.equal(res.status, 200);
    const text = await scrape();
    const block = text.slice(text.indexOf('# HELP process_open_fds'), text.indexOf('# HELP process_resident'));
    assert.match(
      block,
      new RegExp(
        /^# HELP process_open_fds Number of open file descriptors\.\n# TYPE process_open_fds /.source +
          /gauge\nprocess_open_fds \d+\nprocess_open_fds\{instance="",job="c3"\} 7\n$/.source,
      ),
    );
    const clash = await send(
      'PUT',
      '/metrics/job/c4',
      '# TYPE nodejs_heap_size_used_bytes counter\nnodejs_heap_size_used_bytes 1\n',
    );
    assert.equal(clash.status, 400);
    assert.equal(
      clash.body.toString(),
      'pushed metrics are invalid or inconsistent with existing metrics: gathered metric family ' +
        'nodejs_heap_size_used_bytes has type COUNTER but should have GAUGE\n',
    );
    // client_golang 1.20+ (reference 1.11) has the network counters in its process collector.
    const net = await send(
      'PUT',
      '/metrics/job/c4',
      '# TYPE process_network_receive_bytes_total gauge\nprocess_network_receive_bytes_total 1\n',
    );
    assert.equal(net.status, 400);
    assert.equal(
      net.body.toString(),
      'pushed metrics are invalid or inconsistent with existing metrics: gathered metric family ' +
        'process_network_receive_bytes_total has type GAUGE but should have COUNTER\n',
    );
  });
});
