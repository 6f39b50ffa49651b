/**
 * Realistic data for the UI's browser tests and screenshots, pushed the way operators' jobs push: the real
 * Python prometheus_client (test/clients/python_push.py) for counters, gauges, summaries and histograms,
 * one group with the lifecycle headers (X-Pushgateway-TTL / -Interval), one whose last push failed, label
 * values with markup (to prove they stay text), and a native histogram sent as protobuf (the Python
 * client 0.16 has none).
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { encodeDelimited } from '../../src/format/protobuf.js';
import { needsProgram, run } from '../clients/gateway-target.js';
import { PROJECT_ROOT, type RunningGateway } from './servers.js';

export const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(PROJECT_ROOT, 'test/clients/python_push.py');

/** The loud skip reason when the Python client is missing, else false. */
export function pythonSkipReason(): Promise<string | false> {
  return needsProgram(
    [PYTHON, '-c', 'import prometheus_client'],
    `Python module prometheus_client for ${PYTHON}`,
    'apt-get install -y python3-prometheus-client',
  );
}

/** A label value that would run script if the page put it into the DOM as markup. */
export const XSS_IMG = '<img src=x onerror=window.__pwned=1>';
export const XSS_SCRIPT = '<script>window.__pwned=2</script>';

const PB_TYPE = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';

const NATIVE = encodeDelimited([
  {
    name: 'rpc_duration_seconds',
    help: 'RPC latency as a native histogram.',
    type: 'HISTOGRAM',
    metrics: [
      {
        labels: [{ name: 'service', value: 'checkout' }],
        histogram: {
          sampleCount: 4,
          sampleSum: 3.5,
          buckets: [],
          schema: 0,
          zeroThreshold: 0.001,
          zeroCount: 1,
          positiveSpans: [{ offset: 0, length: 2 }],
          positiveDeltas: [2, -1],
        },
      },
    ],
  },
]);

/** Pushes with the Python client, one op after the other; asserts each op's outcome is `ok`. */
export async function pythonPush(gw: RunningGateway, ops: unknown[], ok = true): Promise<void> {
  const spec = { gateway: gw.url.replace(/^http:\/\//, ''), ops };
  const res = await run(PYTHON, [SCRIPT, JSON.stringify(spec)]);
  assert.equal(res.code, 0, `python_push.py failed:\n${res.stderr}`);
  for (const line of res.stdout.trim().split('\n')) {
    assert.equal((JSON.parse(line) as { ok: boolean }).ok, ok, line);
  }
}

/** The jobs of the groups pushed by pushRealisticData, in the order pushed (the reverse of their names'). */
export const PUSH_ORDER = ['xss', 'nightly-report', 'checkout', 'batch-backup', 'api-server'];

/**
 * Pushes five groups: `xss` (label values and HELP with markup), `nightly-report` (its last push failed),
 * `checkout` (a native histogram and an untyped sample), `batch-backup` (TTL 2h, interval 1h) and
 * `api-server` (counter, gauge, summary, classic histogram), in that order: their push times ascend.
 */
export async function pushRealisticData(gw: RunningGateway): Promise<void> {
  await pythonPush(gw, [
    {
      op: 'push',
      job: 'xss',
      // The client 0.16 sends a space in a grouping value as a literal '+': the <img> goes in the body.
      grouping_key: { script: XSS_SCRIPT },
      metrics: [{ type: 'gauge', name: 'markup', help: XSS_IMG, labels: { html: XSS_IMG }, set: 1 }],
    },
  ]);
  await pythonPush(gw, [
    {
      op: 'push',
      job: 'nightly-report',
      metrics: [{ type: 'gauge', name: 'report_rows', help: 'Rows in the report.', set: 1200 }],
    },
  ]);
  // A sample with a timestamp is refused (400): the group keeps its metrics and is marked failed.
  const bad = await fetch(`${gw.url}/metrics/job/nightly-report`, { method: 'PUT', body: 'report_rows 1 1000\n' });
  assert.equal(bad.status, 400, await bad.text());
  const native = await fetch(`${gw.url}/metrics/job/checkout`, {
    method: 'PUT',
    headers: { 'Content-Type': PB_TYPE },
    body: new Uint8Array(NATIVE),
  });
  assert.equal(native.status, 200, await native.text());
  // Untyped: the text format without a TYPE line (no client sends one).
  const untyped = await fetch(`${gw.url}/metrics/job/checkout`, { method: 'POST', body: 'legacy_value 7\n' });
  assert.equal(untyped.status, 200, await untyped.text());
  await pythonPush(gw, [
    {
      op: 'push',
      job: 'batch-backup',
      grouping_key: { instance: 'db-1' },
      headers: { 'X-Pushgateway-TTL': '2h', 'X-Pushgateway-Interval': '1h' },
      metrics: [
        {
          type: 'gauge',
          name: 'backup_last_success_timestamp_seconds',
          help: 'When the last backup succeeded.',
          set: 1764590400,
        },
        { type: 'gauge', name: 'backup_size_bytes', help: 'Size of the last backup.', set: 73_400_320 },
      ],
    },
  ]);
  await pythonPush(gw, [
    {
      op: 'push',
      job: 'api-server',
      grouping_key: { instance: 'web-1:8080' },
      metrics: [
        {
          type: 'counter',
          name: 'http_requests',
          help: 'HTTP requests served.',
          labels: { method: 'GET', code: '200' },
          inc: 1027,
        },
        { type: 'gauge', name: 'queue_depth', help: 'Jobs waiting in the queue.', set: 42.5 },
        { type: 'summary', name: 'request_latency_seconds', help: 'Request latency.', observe: [0.25, 0.75] },
        {
          type: 'histogram',
          name: 'response_size_bytes',
          help: 'Response sizes.',
          buckets: [100, 1000],
          observe: [50, 500, 5000],
        },
      ],
    },
  ]);
}

export interface ApiGroup {
  labels: Record<string, string>;
  last_push_successful: boolean;
  [family: string]: unknown;
}

/** The groups as /api/v1/metrics lists them (under `base`, the gateway's URL with its prefix). */
export async function apiGroups(base: string): Promise<ApiGroup[]> {
  const res = await fetch(`${base}/api/v1/metrics`);
  assert.equal(res.status, 200);
  return ((await res.json()) as { data: ApiGroup[] }).data;
}

/** The job labels of the groups /api/v1/metrics lists, sorted. */
export async function apiJobs(base: string): Promise<string[]> {
  return (await apiGroups(base)).map((g) => g.labels.job ?? '').sort();
}
