/**
 * The gateway's own metrics as an operator scrapes them: build info, process and runtime gauges, the
 * request counter (which excludes scrapes) and the push duration/size summaries, checked on a real
 * process, linted with promtool, and compared family-by-family with the reference Pushgateway.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { referenceSkipReason, startOurs, startReference, type RunningGateway } from '../helpers/servers.js';
import { skipUnlessProgram } from '../helpers/skip.js';

const PROMTOOL = '/usr/bin/promtool';

async function send(
  gw: RunningGateway,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; text: string }> {
  const res = await fetch(gw.url + path, { method, body: body ?? null, redirect: 'manual' });
  return { status: res.status, text: await res.text() };
}

async function scrape(gw: RunningGateway): Promise<string> {
  const res = await send(gw, 'GET', '/metrics');
  assert.equal(res.status, 200, res.text);
  return res.text;
}

/** The value of the one sample line that starts with `series ` (name plus exact label set). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** The sample lines of one family (its name, or its name plus a summary/histogram suffix). */
function familyLines(text: string, name: string): string[] {
  return text
    .split('\n')
    .filter(
      (l) =>
        /^[^#]/.test(l) &&
        (l.startsWith(`${name}{`) ||
          l.startsWith(`${name} `) ||
          l.startsWith(`${name}_sum`) ||
          l.startsWith(`${name}_count`)),
    );
}

/** Label names of a sample line, in order. */
function labelNames(line: string): string[] {
  const open = line.indexOf('{');
  if (open < 0) return [];
  return [...line.slice(open + 1, line.lastIndexOf('}')).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*"/g)].map(
    (m) => m[1]!,
  );
}

/** name → type from the TYPE lines, for the families whose names start with one of the prefixes. */
function familyTypes(text: string, prefixes: readonly string[]): Map<string, string> {
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (m !== null && prefixes.some((p) => m[1]!.startsWith(p))) types.set(m[1]!, m[2]!);
  }
  return types;
}

/** The reference's sequence for the counter checks: PUT ok, POST ok, POST rejected, DELETE, health. */
async function exercise(gw: RunningGateway): Promise<void> {
  assert.equal(
    (await send(gw, 'PUT', '/metrics/job/own', '# HELP m A test gauge.\n# TYPE m gauge\nm 1\n')).status,
    200,
  );
  assert.equal(
    (await send(gw, 'POST', '/metrics/job/own', '# HELP n A test gauge.\n# TYPE n gauge\nn 2\n')).status,
    200,
  );
  assert.equal((await send(gw, 'POST', '/metrics/job/own', 'x{ 1\n')).status, 400);
  assert.equal((await send(gw, 'DELETE', '/metrics/job/gone')).status, 202);
  assert.equal((await send(gw, 'GET', '/-/healthy')).status, 200);
}

describe('own metrics of a fresh gateway', () => {
  let gw: RunningGateway;
  before(async () => {
    gw = await startOurs();
  });
  after(async () => {
    await gw.stop();
  });

  it('exposes pushgateway_build_info with the reference label set and value 1', async () => {
    const text = await scrape(gw);
    assert.match(text, /^# HELP pushgateway_build_info \S.*$/m);
    assert.match(text, /^# TYPE pushgateway_build_info gauge$/m);
    const lines = familyLines(text, 'pushgateway_build_info');
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.deepEqual(labelNames(lines[0]!), ['branch', 'goarch', 'goos', 'goversion', 'revision', 'tags', 'version']);
    assert.match(lines[0]!, /\} 1$/);
    assert.match(lines[0]!, new RegExp(`goos="${process.platform}"`));
  });

  it('exposes process_* and nodejs_* families with HELP and TYPE lines and plausible values', async () => {
    const text = await scrape(gw);
    const expected: Record<string, string> = {
      process_cpu_seconds_total: 'counter',
      process_resident_memory_bytes: 'gauge',
      process_start_time_seconds: 'gauge',
      process_open_fds: 'gauge',
      process_max_fds: 'gauge',
      process_virtual_memory_bytes: 'gauge',
      // client_golang 1.20+ (reference 1.11) on Linux; 1.5.1 predates them.
      process_network_receive_bytes_total: 'counter',
      process_network_transmit_bytes_total: 'counter',
    };
    for (const [name, type] of Object.entries(expected)) {
      assert.match(text, new RegExp(`^# HELP ${name} \\S`, 'm'), `HELP for ${name}`);
      assert.match(text, new RegExp(`^# TYPE ${name} ${type}$`, 'm'), `TYPE for ${name}`);
      const value = sample(text, name);
      assert.ok(value !== undefined && Number.isFinite(value) && value >= 0, `${name} value ${value}`);
    }
    assert.ok(sample(text, 'process_resident_memory_bytes')! > 1e6);
    assert.ok(sample(text, 'process_open_fds')! > 0);
    const start = sample(text, 'process_start_time_seconds')!;
    assert.ok(Math.abs(start - Date.now() / 1000) < 120, `process_start_time_seconds ${start} is not about now`);
    const nodejs = [...familyTypes(text, ['nodejs_'])];
    assert.ok(nodejs.length > 0, 'no nodejs_* families');
    for (const [name, type] of nodejs) {
      assert.equal(type, 'gauge', name);
      assert.match(text, new RegExp(`^# HELP ${name} \\S`, 'm'), `HELP for ${name}`);
    }
  });

  it('shows no push summaries before the first push, and no counter series for scrapes', async () => {
    await scrape(gw);
    const text = await scrape(gw);
    assert.doesNotMatch(text, /^pushgateway_http_push_(duration_seconds|size_bytes)/m);
    assert.doesNotMatch(text, /^pushgateway_http_requests_total\{[^}]*handler="(metrics|push|delete)"/m);
  });
});

describe('own metrics count requests', () => {
  let gw: RunningGateway;
  let healthyAtStart: number;
  before(async () => {
    gw = await startOurs();
    // startOurs polls /-/healthy until it answers; those polls are real, counted requests.
    healthyAtStart =
      sample(await scrape(gw), 'pushgateway_http_requests_total{code="200",handler="healthy",method="get"}') ?? 0;
    await exercise(gw);
  });
  after(async () => {
    await gw.stop();
  });

  it('pushgateway_http_requests_total has exact counts per code, handler and method, excluding scrapes', async () => {
    await scrape(gw);
    await scrape(gw);
    const text = await scrape(gw);
    assert.match(
      text,
      /^# HELP pushgateway_http_requests_total Total HTTP requests processed by the Pushgateway, excluding scrapes\.$/m,
    );
    assert.match(text, /^# TYPE pushgateway_http_requests_total counter$/m);
    const series = (labels: string): number | undefined => sample(text, `pushgateway_http_requests_total{${labels}}`);
    assert.equal(series('code="200",handler="push",method="put"'), 1);
    assert.equal(series('code="200",handler="push",method="post"'), 1);
    assert.equal(series('code="400",handler="push",method="post"'), 1);
    assert.equal(series('code="202",handler="delete",method="delete"'), 1);
    assert.equal(series('code="200",handler="healthy",method="get"'), healthyAtStart + 1);
    const lines = familyLines(text, 'pushgateway_http_requests_total');
    assert.equal(lines.length, 5, `unexpected series (scrapes must not be counted):\n${lines.join('\n')}`);
  });

  it('lists counter series sorted by label values, as client_golang does', async () => {
    const lines = familyLines(await scrape(gw), 'pushgateway_http_requests_total').map((l) =>
      l.slice(0, l.lastIndexOf(' ')),
    );
    assert.deepEqual(lines, [...lines].sort());
  });

  it('has push duration and size summaries per method with quantiles 0.1/0.5/0.9, _sum and _count', async () => {
    const text = await scrape(gw);
    for (const name of ['pushgateway_http_push_duration_seconds', 'pushgateway_http_push_size_bytes']) {
      assert.match(text, new RegExp(`^# HELP ${name} \\S`, 'm'));
      assert.match(text, new RegExp(`^# TYPE ${name} summary$`, 'm'));
      for (const [method, count] of [
        ['put', 1],
        ['post', 2],
      ] as const) {
        for (const q of ['0.1', '0.5', '0.9']) {
          const v = sample(text, `${name}{method="${method}",quantile="${q}"}`);
          assert.ok(v !== undefined && v >= 0, `${name} ${method} quantile ${q}: ${v}`);
        }
        assert.equal(sample(text, `${name}_count{method="${method}"}`), count, `${name}_count ${method}`);
        assert.ok(sample(text, `${name}_sum{method="${method}"}`)! > 0, `${name}_sum ${method}`);
      }
    }
    // A push request carries at least its request line and Host header.
    assert.ok(sample(text, 'pushgateway_http_push_size_bytes_sum{method="put"}')! > 40);
  });

  it('passes promtool check metrics', {
    skip: skipUnlessProgram(PROMTOOL, 'apt-get install -y prometheus'),
  }, async () => {
    const text = await scrape(gw);
    const r = spawnSync(PROMTOOL, ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, `promtool check metrics exited ${r.status}:\n${r.stdout}${r.stderr}`);
  });
});

describe('own metric families match the reference', () => {
  const skip = referenceSkipReason();
  let ours: RunningGateway;
  let ref: RunningGateway;
  before(async () => {
    if (skip !== false) return;
    [ours, ref] = await Promise.all([startOurs(), startReference()]);
    for (const gw of [ours, ref]) {
      await exercise(gw);
      // A push rejected for its URL is still a push request for the duration and size summaries.
      assert.equal((await send(gw, 'PUT', '/metrics/job/own/odd', 'm 1\n')).status, 400);
    }
  });
  after(async () => {
    await Promise.all([ours?.stop(), ref?.stop()]);
  });

  /** family → "type: label,names" for pushgateway_*, ignoring `tags` on build_info (absent in 1.5.1). */
  function shape(text: string): Map<string, string> {
    const out = new Map<string, string>();
    for (const [name, type] of familyTypes(text, ['pushgateway_'])) {
      const names = new Set(familyLines(text, name).flatMap(labelNames));
      if (name === 'pushgateway_build_info') names.delete('tags');
      out.set(name, `${type}: ${[...names].sort().join(',')}`);
    }
    return out;
  }

  it('has the same pushgateway_* families, types and label names after the same requests', { skip }, async () => {
    const [a, b] = await Promise.all([scrape(ours), scrape(ref)]);
    assert.deepEqual(Object.fromEntries(shape(a)), Object.fromEntries(shape(b)));
  });

  it('counts the same requests as the reference', { skip }, async () => {
    const [a, b] = await Promise.all([scrape(ours), scrape(ref)]);
    // Health polls during start-up depend on timing; every other series must agree exactly.
    const counted = (t: string): string[] =>
      familyLines(t, 'pushgateway_http_requests_total')
        .filter((l) => !l.includes('handler="healthy"'))
        .sort();
    assert.deepEqual(counted(a), counted(b));
    const observed = (t: string): string[] =>
      ['pushgateway_http_push_duration_seconds', 'pushgateway_http_push_size_bytes']
        .flatMap((name) => familyLines(t, name).filter((l) => l.startsWith(`${name}_count{`)))
        .sort();
    assert.deepEqual(observed(a), observed(b));
  });
});
