/**
 * Real Prometheus (Debian's 2.42) scrapes our gateway with `honor_labels: true`, on loopback with a
 * throw-away TSDB directory: the pushed series come back from its HTTP query API with their pushed
 * job/instance labels. Run twice: with default settings Prometheus scrapes the text format; with
 * `--enable-feature=native-histograms` it asks for protobuf first and stores a pushed native histogram
 * as one (checked with histogram_count / histogram_sum).
 *
 * Bounded: every wait polls until a deadline and fails with what it last saw; nothing asserts on time.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startOurs, type RunningGateway } from '../helpers/servers.js';
import { skipUnlessProgram } from '../helpers/skip.js';
import { encodeDelimited } from '../../src/format/protobuf.js';

const PROMETHEUS = '/usr/bin/prometheus';
const PB_TYPE = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';
const DEADLINE_MS = 60_000;

function skipReason(): string | false {
  return skipUnlessProgram(PROMETHEUS, 'apt-get install -y prometheus');
}

interface Prom {
  url: string;
  child: ChildProcess;
  dir: string;
  output(): string;
}

async function startPrometheus(target: string, features: string[]): Promise<Prom> {
  const dir = mkdtempSync(join(tmpdir(), 'prometheus-scrape-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      'scrape_configs:',
      '  - job_name: pushgateway',
      '    honor_labels: true',
      '    static_configs:',
      `      - targets: ['${target}']`,
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const args = [
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--log.level=warn',
    ...(features.length > 0 ? [`--enable-feature=${features.join(',')}`] : []),
  ];
  const child = spawn(PROMETHEUS, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  return { url: `http://127.0.0.1:${port}`, child, dir, output: () => out };
}

async function stopPrometheus(p: Prom | undefined): Promise<void> {
  if (p === undefined) return;
  if (p.child.exitCode === null && p.child.signalCode === null) {
    const exited = new Promise((r) => p.child.once('exit', r));
    p.child.kill('SIGTERM');
    await exited;
  }
  rmSync(p.dir, { recursive: true, force: true });
}

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(p: Prom, expr: string): Promise<Sample[]> {
  const res = await fetch(`${p.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { status: string; data?: { result: Sample[] } };
  return body.status === 'success' ? body.data!.result : [];
}

/** Polls a query until it returns at least one sample; fails with Prometheus's output at the deadline. */
async function eventually(p: Prom, expr: string): Promise<Sample[]> {
  const deadline = Date.now() + DEADLINE_MS;
  let last: unknown = 'no answer yet';
  while (Date.now() < deadline) {
    if (p.child.exitCode !== null) throw new Error(`prometheus exited with ${p.child.exitCode}:\n${p.output()}`);
    try {
      const r = await query(p, expr);
      if (r.length > 0) return r;
      last = r;
    } catch (err) {
      last = err; // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `no result for ${expr} within ${DEADLINE_MS} ms (last: ${String(last)}); prometheus said:\n${p.output()}`,
  );
}

for (const [mode, features] of [
  ['text', []],
  ['protobuf (native histograms)', ['native-histograms']],
] as const) {
  describe(`Prometheus scrapes the gateway: ${mode}`, () => {
    const skip = skipReason();
    let gw: RunningGateway;
    let prom: Prom | undefined;
    before(async () => {
      if (skip !== false) return;
      gw = await startOurs();
      const put = (path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
        fetch(`${gw.url}${path}`, {
          method: 'PUT',
          body: typeof body === 'string' ? body : new Uint8Array(body),
          headers,
        });
      assert.equal(
        (
          await put(
            '/metrics/job/nightly_backup/instance/db1',
            '# TYPE backup_bytes gauge\nbackup_bytes{kind="full"} 1234\n# TYPE backup_runs_total ' +
              'counter\nbackup_runs_total 7\n',
          )
        ).status,
        200,
      );
      const native = encodeDelimited([
        {
          name: 'backup_latency_seconds',
          type: 'HISTOGRAM',
          metrics: [
            {
              labels: [],
              histogram: {
                sampleCount: 5,
                sampleSum: 2.5,
                buckets: [],
                schema: 0,
                zeroThreshold: 0.001,
                zeroCount: 1,
                positiveSpans: [{ offset: 0, length: 2 }],
                positiveDeltas: [2, 0],
              },
            },
          ],
        },
      ]);
      assert.equal(
        (await put('/metrics/job/nightly_backup/instance/db2', native, { 'Content-Type': PB_TYPE })).status,
        200,
      );
      prom = await startPrometheus(`127.0.0.1:${gw.port}`, [...features]);
    });
    after(async () => {
      await stopPrometheus(prom);
      await gw?.stop();
    });

    it('the pushed series keep their job and instance labels (honor_labels)', { skip }, async () => {
      const [s] = await eventually(prom!, 'backup_bytes');
      assert.deepEqual(s!.metric, { __name__: 'backup_bytes', job: 'nightly_backup', instance: 'db1', kind: 'full' });
      assert.equal(s!.value[1], '1234');
      const [c] = await eventually(prom!, 'backup_runs_total');
      assert.equal(c!.value[1], '7');
      assert.equal(c!.metric.instance, 'db1');
      const times = await eventually(prom!, 'push_time_seconds{job="nightly_backup"}');
      assert.deepEqual(times.map((t) => t.metric.instance).sort(), ['db1', 'db2']);
      const [up] = await eventually(prom!, 'up{job="pushgateway"}');
      assert.equal(up!.value[1], '1');
    });

    it(features.length === 0
      ? 'a native histogram arrives collapsed (count and sum series)'
      : 'a native histogram arrives whole (histogram_count, histogram_sum)', { skip }, async () => {
      if (features.length === 0) {
        const [count] = await eventually(prom!, 'backup_latency_seconds_count');
        assert.equal(count!.value[1], '5');
        assert.equal(count!.metric.instance, 'db2');
        const [inf] = await eventually(prom!, 'backup_latency_seconds_bucket{le="+Inf"}');
        assert.equal(inf!.value[1], '5');
      } else {
        const [count] = await eventually(prom!, 'histogram_count(backup_latency_seconds)');
        assert.equal(count!.value[1], '5');
        const [sum] = await eventually(prom!, 'histogram_sum(backup_latency_seconds)');
        assert.equal(sum!.value[1], '2.5');
        // Stored as a native histogram, so there is no classic _count series.
        assert.deepEqual(await query(prom!, 'backup_latency_seconds_count'), []);
      }
    });
  });
}
