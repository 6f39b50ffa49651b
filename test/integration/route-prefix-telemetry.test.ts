/**
 * --web.telemetry-path combined with --web.route-prefix / --web.external-url: the scrape path is
 * path.Join(prefix, telemetry path) while pushes, health, and the JSON API stay under the prefix. Each flag
 * combination answers a table of requests with the reference's status, Location and Allow.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { referenceSkipReason, startOurs, startReference, type RunningGateway } from '../helpers/servers.js';

const skip = referenceSkipReason();

interface Reply {
  status: number;
  location: string | null;
  allow: string | null;
  text: string;
}

async function send(gw: RunningGateway, method: string, path: string, body?: string): Promise<Reply> {
  const res = await fetch(`http://127.0.0.1:${gw.port}${path}`, { method, body: body ?? null, redirect: 'manual' });
  return {
    status: res.status,
    location: res.headers.get('location'),
    allow: res.headers.get('allow'),
    text: await res.text(),
  };
}

const COMBOS: Array<{ flags: string[]; prefix: string; scrape: string }> = [
  { flags: ['--web.telemetry-path=/custom'], prefix: '', scrape: '/custom' },
  { flags: ['--web.route-prefix=/pg', '--web.telemetry-path=/m/'], prefix: '/pg', scrape: '/pg/m' },
  { flags: ['--web.route-prefix=pg/', '--web.telemetry-path=metrics'], prefix: '/pg', scrape: '/pg/metrics' },
  {
    flags: ['--web.external-url=http://example.com/ext/', '--web.telemetry-path=/scrape'],
    prefix: '/ext',
    scrape: '/ext/scrape',
  },
  {
    flags: ['--web.external-url=http://example.com/ext/', '--web.route-prefix=/in'],
    prefix: '/in',
    scrape: '/in/metrics',
  },
  // Under the API subtree the reference's ServeMux hands the path to the API router: no scrape there.
  {
    flags: ['--web.route-prefix=/pg', '--web.telemetry-path=/api/v1/metrics'],
    prefix: '/pg',
    scrape: '/pg/api/v1/metrics',
  },
];

describe('telemetry path under a route prefix, compared with the reference', () => {
  for (const { flags, prefix, scrape } of COMBOS) {
    it(`${flags.join(' ')} → scrape at ${scrape}`, { skip }, async () => {
      const [ours, ref] = await Promise.all([startOurs(flags, { prefix }), startReference(flags, { prefix })]);
      try {
        const table: Array<[string, string, string?]> = [
          ['PUT', `${prefix}/metrics/job/t`, 'm 1\n'],
          ['GET', scrape],
          ['GET', `${scrape}/`],
          ['GET', '/metrics'],
          ['GET', `${prefix}/metrics`],
          ['HEAD', scrape],
          ['GET', `${prefix}/-/healthy`],
          ['GET', `${prefix}/api/v1/status`],
          ['GET', `${prefix}/api/v1/metrics`],
          ['OPTIONS', `${prefix}/api/v1/metrics`],
          ['GET', '/api/v1/status'],
          ['GET', `${prefix}/api/v1`],
          ['GET', `${prefix.toUpperCase()}/api/v1/status`],
          ['GET', `${prefix}/API/v1/status`],
          ['GET', `${prefix}/api/v1/Status`],
          ['DELETE', `${prefix}/metrics/job/t`],
        ];
        for (const [method, path, body] of table) {
          const [a, b] = [await send(ours, method, path, body), await send(ref, method, path, body)];
          const what = `${method} ${path} with ${flags.join(' ')}`;
          assert.equal(a.status, b.status, `${what}: status`);
          assert.equal(a.location, b.location, `${what}: Location`);
          assert.equal(a.allow, b.allow, `${what}: Allow`);
          if (a.status !== 200) assert.equal(a.text, b.text, `${what}: body`);
        }
        const scraped = await send(ours, 'GET', scrape);
        assert.equal(scraped.status, 200);
        if (scrape.includes('/api/v1/')) assert.match(scraped.text, /^\{"status":"success","data":\[/);
        else assert.match(scraped.text, /# TYPE pushgateway_build_info gauge/);
      } finally {
        await Promise.all([ours.stop(), ref.stop()]);
      }
    });
  }
});
