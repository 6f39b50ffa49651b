/**
 * A real Prometheus (Debian's /usr/bin/prometheus) on loopback with a throw-away TSDB directory, scraping
 * one target every second, and its HTTP query API, polled with a bound: nothing waits a fixed time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/servers.js';
import { skipUnlessProgram } from '../helpers/skip.js';

export const PROMETHEUS = '/usr/bin/prometheus';
const DEADLINE_MS = 60_000;

/** Why a test needing Prometheus is skipped (printed loudly), or false. */
export function prometheusSkipReason(): string | false {
  return skipUnlessProgram(PROMETHEUS, 'apt-get install -y prometheus');
}

export interface Prom {
  url: string;
  child: ChildProcess;
  /** Its temp directory: config, TSDB, and any files the scrape config names. */
  dir: string;
  output(): string;
}

/**
 * Starts Prometheus scraping `target` as job `pushgateway` with honor_labels; `scrapeExtra` are more
 * lines of that scrape config (indented 4, e.g. `    scheme: https`).
 */
export async function startPrometheus(
  target: string,
  features: string[] = [],
  scrapeExtra: string[] = [],
): Promise<Prom> {
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
      ...scrapeExtra,
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

export async function stopPrometheus(p: Prom | undefined): Promise<void> {
  if (p === undefined) return;
  if (p.child.exitCode === null && p.child.signalCode === null) {
    const exited = new Promise((r) => p.child.once('exit', r));
    p.child.kill('SIGTERM');
    await exited;
  }
  rmSync(p.dir, { recursive: true, force: true });
}

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

export async function query(p: Prom, expr: string): Promise<Sample[]> {
  const res = await fetch(`${p.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as { status: string; data?: { result: Sample[] } };
  return body.status === 'success' ? body.data!.result : [];
}

/**
 * Polls a query until it returns at least one sample (and `accept` holds for them); fails with
 * Prometheus's output at the deadline.
 */
export async function eventually(
  p: Prom,
  expr: string,
  accept: (r: Sample[]) => boolean = () => true,
): Promise<Sample[]> {
  const deadline = Date.now() + DEADLINE_MS;
  let last: unknown = 'no answer yet';
  while (Date.now() < deadline) {
    if (p.child.exitCode !== null) throw new Error(`prometheus exited with ${p.child.exitCode}:\n${p.output()}`);
    try {
      const r = await query(p, expr);
      if (r.length > 0 && accept(r)) return r;
      last = JSON.stringify(r);
    } catch (err) {
      last = err; // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `no result for ${expr} within ${DEADLINE_MS} ms (last: ${String(last)}); prometheus said:\n${p.output()}`,
  );
}

/** The scrape target's health and last error from Prometheus's /api/v1/targets. */
export async function targetHealth(p: Prom): Promise<{ health: string; lastError: string } | undefined> {
  const res = await fetch(`${p.url}/api/v1/targets`);
  const body = (await res.json()) as { data?: { activeTargets?: Array<{ health: string; lastError: string }> } };
  return body.data?.activeTargets?.[0];
}
