/**
 * The seed tutorial (xavki's Pushgateway slides) run for real: its curl push and `curl -L` scrape through
 * bash, and its Python `requests` snippet, each checked through GET /metrics. Only the port differs from
 * the tutorial's 9091 (a free loopback port instead).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import path from 'node:path';
import { PROJECT_ROOT, type RunningGateway } from '../helpers/servers.js';
import { skipUnlessProgram } from '../helpers/skip.js';
import {
  assertGroupSamples,
  assertLines,
  gatewayTargets,
  needsProgram,
  run,
  scrape,
} from '../clients/gateway-target.js';

const SEED_REQUESTS = path.join(PROJECT_ROOT, 'test/clients/seed_requests.py');
const curlMissing = skipUnlessProgram('curl', 'apt-get install -y curl');
const requestsMissing = await needsProgram(
  ['/usr/bin/python3', '-c', 'import requests'],
  'Python module requests for /usr/bin/python3',
  'apt-get install -y python3-requests',
);

const SEED_SERIES = 'mymetric{instance="moninstance",job="my_custom_metrics",provider="xavki"} 20.25';

/** How a connection attempt to host:port ends: 'connected' or the error code (ECONNREFUSED, …). */
function probe(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    sock.once('connect', () => {
      sock.destroy();
      resolve('connected');
    });
    sock.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

for (const target of gatewayTargets()) {
  describe(`seed tutorial against ${target.name}`, { skip: target.skip }, () => {
    let gw: RunningGateway;
    before(async () => {
      gw = await target.start();
    });
    after(async () => {
      await gw.stop();
    });

    it("pushes with the tutorial's echo | curl --data-binary @- command", { skip: curlMissing }, async () => {
      const cmd =
        `echo "mymetric 20.25" | curl --data-binary @- http://127.0.0.1:${gw.port}` +
        '/metrics/job/my_custom_metrics/instance/moninstance/provider/xavki';
      const res = await run('bash', ['-c', cmd]);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, '', 'a successful push answers 200 with an empty body');
      const text = await scrape(gw);
      assertLines(text, ['# TYPE mymetric untyped', SEED_SERIES]);
      assertGroupSamples(
        text,
        ['job="my_custom_metrics"', 'instance="moninstance"'],
        [
          SEED_SERIES,
          'push_failure_time_seconds{instance="moninstance",job="my_custom_metrics",provider="xavki"} 0',
          'push_time_seconds{instance="moninstance",job="my_custom_metrics",provider="xavki"} <now>',
        ],
      );
    });

    it("scrapes with the tutorial's curl -L http://localhost:PORT/metrics/ (301 to /metrics, followed)", {
      skip: curlMissing,
    }, async () => {
      const res = await run('bash', ['-c', `curl -L http://localhost:${gw.port}/metrics/`]);
      assert.equal(res.code, 0, res.stderr);
      assertLines(res.stdout, ['# TYPE mymetric untyped', SEED_SERIES]);
    });

    // Where localhost resolves to ::1 first (common /etc/hosts), curl must fall back to 127.0.0.1, which is
    // all the gateway listens on. --resolve forces that order so the outcome does not depend on the host.
    it('curl -L still works when localhost resolves to ::1 before 127.0.0.1', { skip: curlMissing }, async () => {
      const onV6 = await probe('::1', gw.port);
      assert.notEqual(onV6, 'connected', `something else listens on [::1]:${gw.port}; the fallback is untestable`);
      const res = await run('bash', [
        '-c',
        `curl -v -L --resolve 'localhost:${gw.port}:[::1],127.0.0.1' http://localhost:${gw.port}/metrics/`,
      ]);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stderr, /Trying \[?::1\]?/, 'curl tried ::1 first');
      assert.match(res.stderr, /< HTTP\/1\.1 301 /, 'GET /metrics/ redirects');
      assert.match(res.stderr, /< Location: \/metrics\r?\n/i, 'to /metrics');
      assertLines(res.stdout, [SEED_SERIES]);
    });

    it("pushes with the tutorial's Python requests snippet", { skip: requestsMissing }, async () => {
      const since = Date.now() / 1000;
      const res = await run('/usr/bin/python3', [SEED_REQUESTS, String(gw.port)]);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout, '200\n');
      const text = await scrape(gw);
      assertGroupSamples(
        text,
        ['job="my_custom_metrics"', 'team="xavki"'],
        [
          'cpu_utilization{instance="192.168.59.3:9000",job="my_custom_metrics",team="xavki"} 21.9',
          'push_failure_time_seconds{instance="192.168.59.3:9000",job="my_custom_metrics",team="xavki"} 0',
          'push_time_seconds{instance="192.168.59.3:9000",job="my_custom_metrics",team="xavki"} <now>',
        ],
        since,
      );
      if (!curlMissing) assertLines(text, [SEED_SERIES]); // the curl group is untouched by this push
    });
  });
}
