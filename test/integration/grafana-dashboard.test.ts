/**
 * deploy/grafana/pushgateway.json against a real Prometheus (Debian's) scraping one of our gateways that
 * holds pushed data: several jobs, a group whose last push failed (an inconsistent push after a good one),
 * a malformed push (400), a push refused by --push.sample-limit and a delete. Every PromQL expression of
 * every panel, with Grafana's variables replaced by concrete values, must parse (the query API answers
 * `success`) and return data; so must the variables' label_values queries. The JSON itself must be
 * importable as it is shared: a current schema, a Prometheus datasource variable used by every panel and
 * target, no datasource UID written in. docs/monitoring.md must list every panel.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  eventually,
  prometheusSkipReason,
  startPrometheus,
  stopPrometheus,
  type Prom,
} from '../clients/prometheus-server.js';
import { PROJECT_ROOT, startOurs, type RunningGateway } from '../helpers/servers.js';

interface Target {
  expr: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query: unknown;
  datasource?: { uid?: string };
}
interface Dashboard {
  schemaVersion: number;
  uid?: unknown;
  templating: { list: Variable[] };
  panels: Panel[];
}

const FILE = path.join(PROJECT_ROOT, 'deploy/grafana/pushgateway.json');
const dashboard = JSON.parse(readFileSync(FILE, 'utf8')) as Dashboard;
/** Grafana's reference to the datasource variable (a Grafana template, not a JavaScript one). */
const DATASOURCE = '$' + '{datasource}';

/** Every panel, rows' nested panels included, rows themselves excluded. */
function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => (p.type === 'row' ? allPanels(p.panels ?? []) : [p]));
}

/** Grafana's variables as a query of the dashboard would receive them: every gateway, every job. */
function concrete(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__interval', '15s')
    .replaceAll('$instance', '.+')
    .replaceAll('$job', '.+');
}

/** Every string value under `node` whose key is `key` (to find every `uid` in the file). */
function valuesOf(node: unknown, key: string): unknown[] {
  if (Array.isArray(node)) return node.flatMap((n) => valuesOf(n, key));
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([k, v]) => (k === key ? [v, ...valuesOf(v, key)] : valuesOf(v, key)));
}

const skip = prometheusSkipReason();

describe('the Grafana dashboard as a file', () => {
  const panels = allPanels(dashboard.panels);

  it('has a current schema and a Prometheus datasource variable', () => {
    assert.ok(dashboard.schemaVersion >= 39, `schemaVersion ${dashboard.schemaVersion}`);
    const ds = dashboard.templating.list.find((v) => v.name === 'datasource');
    assert.deepEqual([ds?.type, ds?.query], ['datasource', 'prometheus']);
  });

  it('uses the datasource variable on every panel, target and query variable, and names no other UID', () => {
    assert.ok(panels.length >= 15, `${panels.length} panels`);
    for (const p of panels) {
      assert.deepEqual(p.datasource, { type: 'prometheus', uid: DATASOURCE }, p.title);
      assert.ok((p.targets ?? []).length > 0, `${p.title} has no query`);
      for (const t of p.targets ?? []) assert.deepEqual(t.datasource, { type: 'prometheus', uid: DATASOURCE }, p.title);
    }
    for (const v of dashboard.templating.list.filter((x) => x.type === 'query')) {
      assert.equal(v.datasource?.uid, DATASOURCE, v.name);
    }
    assert.equal(dashboard.uid, undefined, 'a dashboard uid would clash on a second import');
    // The one other uid is Grafana's built-in annotation source, the same in every Grafana.
    assert.deepEqual([...new Set(valuesOf(dashboard, 'uid'))].sort(), ['-- Grafana --', DATASOURCE].sort());
  });

  it('is listed panel by panel in docs/monitoring.md', () => {
    const doc = readFileSync(path.join(PROJECT_ROOT, 'docs/monitoring.md'), 'utf8');
    for (const p of panels) assert.ok(doc.includes(`| ${p.title} |`), `docs/monitoring.md lacks a row for ${p.title}`);
  });
});

describe('every query of the Grafana dashboard against a real Prometheus', { skip, timeout: 5 * 60_000 }, () => {
  let gw: RunningGateway;
  let prom: Prom;

  async function push(method: string, url: string, body: string): Promise<number> {
    const res = await fetch(`${gw.url}${url}`, { method, body });
    await res.arrayBuffer();
    return res.status;
  }

  before(async () => {
    gw = await startOurs(['--push.sample-limit=20']);
    assert.equal(
      await push('PUT', '/metrics/job/backup/instance/db1', '# TYPE backup_bytes gauge\nbackup_bytes 1e9\n'),
      200,
    );
    assert.equal(
      await push('PUT', '/metrics/job/backup/instance/db2', '# TYPE backup_bytes gauge\nbackup_bytes 2e9\n'),
      200,
    );
    assert.equal(
      await push('POST', '/metrics/job/report', 'report_rows{table="a"} 12\nreport_rows{table="b"} 7\n'),
      200,
    );
    assert.equal(await push('PUT', '/metrics/job/cleanup/shard/1', 'cleanup_files 3\n'), 200);
    // A failed push to a group that had a good one: backup_bytes is a gauge elsewhere, a counter here.
    assert.equal(
      await push('PUT', '/metrics/job/cleanup/shard/1', '# TYPE backup_bytes counter\nbackup_bytes 5\n'),
      400,
    );
    assert.equal(await push('PUT', '/metrics/job/report', 'not a metric line\n'), 400);
    const many = Array.from({ length: 30 }, (_, i) => `many{i="${i}"} ${i}\n`).join('');
    assert.equal(await push('PUT', '/metrics/job/toomany', many), 400);
    assert.equal(await push('PUT', '/metrics/job/gone', 'gone 1\n'), 200);
    assert.equal(await push('DELETE', '/metrics/job/gone', ''), 202);
    prom = await startPrometheus(`127.0.0.1:${gw.port}`);
    // rate() over 1m needs two scrapes of each counter; wait for a few.
    await eventually(prom, 'count_over_time(up{job="pushgateway"}[1m]) >= 3');
  });
  after(async () => {
    await stopPrometheus(prom);
    await gw?.stop();
  });

  /** Queries Prometheus; fails at once when the expression does not parse, polls (bounded) for data. */
  async function returnsData(expr: string): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await fetch(`${prom.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } };
      assert.equal(body.status, 'success', `${expr}: ${body.error}`);
      if (body.data!.result.length > 0) return;
      assert.ok(Date.now() < deadline, `${expr} returned no data`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  for (const p of allPanels(dashboard.panels)) {
    it(`panel "${p.title}": every query parses and returns data`, async () => {
      for (const t of p.targets ?? []) await returnsData(concrete(t.expr));
    });
  }

  it('the variables list gateways and pushed jobs', async () => {
    for (const v of dashboard.templating.list.filter((x) => x.type === 'query')) {
      const q = (v.query as { query: string }).query;
      const m = /^label_values\((\w+), (\w+)\)$/.exec(q);
      assert.ok(m !== null, `${v.name}: ${q}`);
      const res = await fetch(`${prom.url}/api/v1/label/${m[2]}/values?match[]=${encodeURIComponent(m[1]!)}`);
      const body = (await res.json()) as { status: string; data: string[] };
      assert.equal(body.status, 'success');
      assert.ok(body.data.length > 0, `${v.name}: no values`);
      if (v.name === 'job') assert.deepEqual(body.data.sort(), ['backup', 'cleanup', 'report']);
    }
  });
});
