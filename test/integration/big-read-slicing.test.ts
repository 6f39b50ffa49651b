/**
 * Reading one big group or one big family must not hold the gateway: while the JSON API, the status
 * page or a protobuf scrape works through a group of 200k families or a family of 200k series (in
 * slices), health checks are answered. Proven by orderings, never by timings: health checks answered
 * after the big request was sent and before its answer came were served while it was being processed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startOurs, type RunningGateway } from '../helpers/servers.js';
import { parseProtobufBody } from '../../src/format/protobuf.js';

const BIG = 200_000;
const PROTOBUF = 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited';

let gw: RunningGateway;
const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });

interface Answer {
  status: number;
  body: Buffer;
}

/** A request; `sent` resolves when the whole request has been handed to the socket. */
function request(
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = {},
): { sent: Promise<void>; answer: Promise<Answer> } {
  let markSent!: () => void;
  const sent = new Promise<void>((r) => {
    markSent = r;
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: gw.port, method, path, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.on('finish', markSent);
    req.end(body);
  });
  return { sent, answer };
}

/** Health checks, one after the other, from when `big.sent` resolves until `big.answer` does. */
async function healthWhileProcessing(big: {
  sent: Promise<void>;
  answer: Promise<Answer>;
}): Promise<{ big: Answer; during: number[] }> {
  let done = false;
  const bigAnswer = big.answer.then((a) => {
    done = true;
    return a;
  });
  await big.sent;
  const during: number[] = [];
  while (!done) {
    const r = await request('GET', '/-/healthy').answer;
    if (!done) during.push(r.status);
  }
  return { big: await bigAnswer, during };
}

function assertServedDuring(during: number[], what: string): void {
  assert.ok(during.length >= 1, `no health check was answered while ${what}`);
  assert.ok(
    during.every((s) => s === 200),
    `health checks answered ${during.join(',')}`,
  );
}

before(async () => {
  gw = await startOurs();
  const families: string[] = [];
  for (let i = 0; i < BIG; i++) families.push(`fam_${i} ${i}\n`);
  assert.equal((await request('PUT', '/metrics/job/families', families.join('')).answer).status, 200);
  const series: string[] = [];
  for (let i = 0; i < BIG; i++) series.push(`one_family{i="${i}"} ${i}\n`);
  assert.equal((await request('PUT', '/metrics/job/series', series.join('')).answer).status, 200);
});
after(async () => {
  agent.destroy();
  await gw.stop();
});

describe('reading a big group or family is done in slices', () => {
  it('health checks are answered while /api/v1/metrics encodes a group of 200k families', async () => {
    const { big, during } = await healthWhileProcessing(request('GET', '/api/v1/metrics'));
    assert.equal(big.status, 200);
    const data = (JSON.parse(big.body.toString('utf8')) as { data: Array<Record<string, { metrics?: unknown[] }>> })
      .data;
    const families = data.find((g) => 'fam_0' in g)!;
    assert.equal(Object.keys(families).filter((k) => k.startsWith('fam_')).length, BIG);
    assert.equal(data.find((g) => 'one_family' in g)!.one_family!.metrics!.length, BIG);
    assertServedDuring(during, 'the JSON API was encoding');
  });

  it('health checks are answered while the status page lists a group of 200k families', async () => {
    const { big, during } = await healthWhileProcessing(request('GET', '/'));
    assert.equal(big.status, 200);
    assert.equal(big.body.toString('utf8').match(/<details class="family" [^>]*><summary><code>fam_/g)?.length, BIG);
    assertServedDuring(during, 'the status page was rendered');
  });

  it('health checks answered while a protobuf scrape encodes 200k families and a family of 200k series', async () => {
    // A push first, so that the scrape sorts the big family and gathers everything anew.
    assert.equal(
      (await request('PUT', '/metrics/job/series/instance/late', 'one_family{i=""} 1\n').answer).status,
      200,
    );
    const { big, during } = await healthWhileProcessing(request('GET', '/metrics', undefined, { Accept: PROTOBUF }));
    assert.equal(big.status, 200);
    const families = parseProtobufBody(big.body, { utf8Names: false });
    assert.equal(families.filter((f) => f.name.startsWith('fam_')).length, BIG);
    const one = families.find((f) => f.name === 'one_family')!;
    assert.equal(one.metrics.length, BIG + 1);
    assert.deepEqual(
      one.metrics[0]!.labels.map((l) => l.value),
      ['', 'late', 'series'],
    );
    assertServedDuring(during, 'the protobuf scrape was encoding');
  });
});
