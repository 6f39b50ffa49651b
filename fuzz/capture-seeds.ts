/**
 * Captures the fuzzer's client seeds into fuzz/seeds/ from the real clients, once (the files are
 * committed, so a run is reproducible without the clients installed):
 *   python-client.txt   Debian's python3-prometheus-client generate_latest() of every metric kind
 *   prom-client.txt     npm prom-client's Registry.metrics() of every metric kind
 *   go-client-*.pb      the protobuf bodies Debian's client_golang pusher (test/clients/go-push) PUTs/POSTs
 *   go-snappy-*.sz      golang/snappy framed streams of the text seeds (go-push snappy)
 * Run: npm run build && node dist/fuzz/capture-seeds.js
 */
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { goPusher, runGoPusher } from '../test/clients/go-client.js';
import { SEEDS_DIR } from './seeds.js';

const PYTHON = `
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info, Summary, Enum, generate_latest
r = CollectorRegistry()
c = Counter('py_jobs_processed', 'Jobs processed.\\nSecond line with \\\\ backslash', ['queue', 'kind'], registry=r)
c.labels('default', 'a "quoted"\\nvalue').inc(3)
c.labels('slow', '').inc(0.5)
g = Gauge('py_last_success_unixtime', 'Last time a batch job successfully finished', registry=r)
g.set(1700000000.25)
Gauge('py_nan', 'NaN gauge', registry=r).set(float('nan'))
Gauge('py_inf', 'Inf gauge', registry=r).set(float('-inf'))
s = Summary('py_request_latency_seconds', 'Latency', ['path'], registry=r)
for v in (0.1, 0.2, 3.5): s.labels('/x').observe(v)
h = Histogram('py_size_bytes', 'Sizes', buckets=(1, 10, 100, float('inf')), registry=r)
for v in (0.5, 5, 50, 500): h.observe(v)
Info('py_build', 'Build info', registry=r).info({'version': '1.2.3', 'revision': 'abc'})
Enum('py_state', 'State', states=['starting', 'running'], registry=r).state('running')
import sys
sys.stdout.buffer.write(generate_latest(r))
`;

async function promClientText(): Promise<string> {
  const registers = [new Registry()];
  const c = new Counter({ name: 'node_jobs_total', help: 'Jobs.', labelNames: ['kind'], registers });
  c.inc({ kind: 'a' }, 2);
  c.inc({ kind: 'b\\"x"\n' });
  new Gauge({ name: 'node_queue_depth', help: 'Queue depth.', registers }).set(-3.25);
  const h = new Histogram({
    name: 'node_duration_seconds',
    help: 'Durations.',
    buckets: [0.1, 1, 10],
    labelNames: ['route'],
    registers,
  });
  for (const v of [0.05, 0.5, 5, 50]) h.observe({ route: '/a' }, v);
  const s = new Summary({ name: 'node_payload_bytes', help: 'Payloads.', percentiles: [0.5, 0.9, 0.99], registers });
  for (const v of [10, 20, 30]) s.observe(v);
  return registers[0]!.metrics();
}

/** The bodies the Go pusher sends, caught by a loopback server that answers 200. */
async function goBodies(binary: string): Promise<Map<string, Buffer>> {
  const bodies = new Map<string, Buffer>();
  let current = '';
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'DELETE') bodies.set(current, Buffer.concat(chunks));
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  for (const mode of ['push', 'add', 'other']) {
    current = mode;
    const r = await runGoPusher(binary, [mode, `http://127.0.0.1:${port}`]);
    if (r.status !== 0) throw new Error(`go-push ${mode}: ${r.stderr}`);
  }
  server.close();
  return bodies;
}

async function main(): Promise<void> {
  mkdirSync(SEEDS_DIR, { recursive: true });
  const py = spawnSync('/usr/bin/python3', ['-c', PYTHON]);
  if (py.status !== 0) throw new Error(`python: ${py.stderr.toString()}`);
  writeFileSync(join(SEEDS_DIR, 'python-client.txt'), py.stdout);
  writeFileSync(join(SEEDS_DIR, 'prom-client.txt'), await promClientText());
  const go = goPusher();
  if ('skip' in go) throw new Error(go.skip);
  for (const [mode, body] of await goBodies(go.binary)) writeFileSync(join(SEEDS_DIR, `go-client-${mode}.pb`), body);
  for (const name of ['python-client.txt', 'prom-client.txt', 'go-client-push.pb']) {
    const r = await runGoPusher(go.binary, ['snappy'], readFileSync(join(SEEDS_DIR, name)));
    if (r.status !== 0) throw new Error(`go-push snappy: ${r.stderr}`);
    writeFileSync(join(SEEDS_DIR, `go-snappy-${name}.sz`), r.stdout);
  }
  console.log(`seeds written to ${SEEDS_DIR}`);
}

await main();
