/**
 * Scenario h: does one big request hold everybody else? On a fresh gateway of each side, one client
 * sends a big request while two others keep going, one request at a time: GET /-/healthy, and a small
 * checked PUT to a group of its own. Their latencies are taken only while the big request is in flight
 * (from its last body byte sent to its answer). The big requests, in order: a PUT of N distinct metric
 * names in one group (N = 1,000,000, a 10 MB body, as issue 8's finding 2), a scrape of that store
 * (plain), GET /api/v1/metrics over it, DELETE of the group, and a PUT of one family of N series that
 * joins a family another group holds. Issue 8 asks p99 < 50 ms for ours.
 */
import http from 'node:http';
import { keepAliveAgent, request } from './load.js';
import { withGateway, type Side } from './gateways.js';
import { percentile } from './stats.js';
import { cell, missing, type Row } from './report.js';
import type { TargetCheck } from './report.js';

export const STALL_OPS = ['push', 'scrape', 'api', 'delete', 'family'] as const;
type Op = (typeof STALL_OPS)[number];

export interface StallOp {
  /** The big request's wall time, ms. */
  bigMs: number;
  status: number;
  health: number[];
  push: number[];
}

export type StallSide = Partial<Record<Op, StallOp>> & { note?: string };

function bigBody(n: number): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(`stall_metric_${i} ${i}\n`);
  return Buffer.from(lines.join(''));
}

/** One family of n series: the other shape of a big push (one name, a label per series). */
function oneFamilyBody(n: number): Buffer {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(`stall_series{i="${i}"} ${i}\n`);
  return Buffer.from(lines.join(''));
}

/** Sends `req` and, while it is in flight, probes health and small pushes one at a time. */
async function during(base: URL, method: string, path: string, body?: Buffer): Promise<StallOp> {
  const bigAgent = new http.Agent({ keepAlive: false });
  const probeAgent = keepAliveAgent(2);
  let inFlight = false;
  let done = false;
  const started = performance.now();
  const big = new Promise<{ status: number }>((resolve, reject) => {
    const headers: Record<string, number> = body === undefined ? {} : { 'Content-Length': body.length };
    const r = http.request({ host: base.hostname, port: base.port, method, path, agent: bigAgent, headers }, (res) => {
      res.on('data', () => {});
      res.on('end', () => {
        done = true;
        resolve({ status: res.statusCode ?? 0 });
      });
    });
    r.on('finish', () => {
      inFlight = true;
    });
    r.on('error', reject);
    r.end(body);
  });
  const probe = async (make: (i: number) => Parameters<typeof request>[2], into: number[]): Promise<void> => {
    for (let i = 0; !done; i++) {
      const r = await request(base, probeAgent, make(i), { timeoutMs: 120_000 });
      if (inFlight && !done) into.push(r.ms);
    }
  };
  const health: number[] = [];
  const push: number[] = [];
  await Promise.all([
    probe(() => ({ method: 'GET', path: '/-/healthy' }), health),
    probe(
      (i) => ({
        method: 'PUT',
        path: `/metrics/job/stall_small/instance/i${i % 16}`,
        body: Buffer.from(`stall_small ${i}\n`),
      }),
      push,
    ),
    big,
  ]);
  const { status } = await big;
  bigAgent.destroy();
  probeAgent.destroy();
  return { bigMs: performance.now() - started, status, health, push };
}

export async function runStall(side: Side, names: number, log: (s: string) => void): Promise<StallSide> {
  const body = bigBody(names);
  return withGateway(side, [], async (gw) => {
    const base = new URL(gw.url);
    const out: StallSide = {};
    log(`scenario h (${side}): PUT of ${names} names (${(body.length / 2 ** 20).toFixed(1)} MiB)`);
    out.push = await during(base, 'PUT', '/metrics/job/stall_big', body);
    if (out.push.status !== 200) {
      out.note = `big push answered ${out.push.status}`;
      return out;
    }
    log(`scenario h (${side}): scrape`);
    out.scrape = await during(base, 'GET', '/metrics');
    log(`scenario h (${side}): /api/v1/metrics`);
    out.api = await during(base, 'GET', '/api/v1/metrics');
    log(`scenario h (${side}): DELETE`);
    out.delete = await during(base, 'DELETE', '/metrics/job/stall_big');
    // A family another group already holds: the push is checked against it and joins its index.
    const seedAgent = keepAliveAgent(1);
    const seed = await request(base, seedAgent, {
      method: 'PUT',
      path: '/metrics/job/stall_seed',
      body: Buffer.from('stall_series{i="seed"} 1\n'),
    });
    seedAgent.destroy();
    if (seed.status !== 200) {
      out.note = `seed push answered ${seed.status}`;
      return out;
    }
    log(`scenario h (${side}): PUT of one family of ${names} series`);
    out.family = await during(base, 'PUT', '/metrics/job/stall_family', oneFamilyBody(names));
    return out;
  });
}

const LABEL: Record<Op, string> = {
  push: 'PUT of the big group',
  scrape: 'scrape of it',
  api: '/api/v1/metrics over it',
  delete: 'DELETE of it',
  family: 'PUT of one family',
};

function latencyCell(op: StallOp | undefined, pick: (o: StallOp) => number[], note?: string): ReturnType<typeof cell> {
  if (op === undefined) return missing(note ?? 'n/a');
  const xs = pick(op);
  if (xs.length === 0) return missing(`n/a (no probe answered while in flight, ${op.bigMs.toFixed(0)} ms)`);
  return cell([percentile(xs, 0.5), percentile(xs, 0.99)], `(n=${xs.length}, max ${Math.max(...xs).toFixed(0)})`);
}

export function stallRows(ours: StallSide, reference: StallSide, names: number): Row[] {
  const rows: Row[] = [];
  const k = names >= 1_000_000 ? `${names / 1_000_000}M` : `${names / 1000}k`;
  for (const op of STALL_OPS) {
    rows.push({
      id: 'h',
      key: `h.${op}.duration`,
      label: `h: ${LABEL[op]} (${k} ${op === 'family' ? 'series' : 'names'}), wall time`,
      unit: 'ms',
      better: 'lower',
      ours: ours[op] === undefined ? missing(ours.note ?? 'n/a') : cell([ours[op]!.bigMs]),
      reference: reference[op] === undefined ? missing(reference.note ?? 'n/a') : cell([reference[op]!.bigMs]),
    });
    rows.push({
      id: 'h',
      key: `h.${op}.health`,
      label: `h: /-/healthy during the ${LABEL[op]} (p50 / p99)`,
      unit: 'ms',
      better: 'lower',
      ours: latencyCell(ours[op], (o) => o.health, ours.note),
      reference: latencyCell(reference[op], (o) => o.health, reference.note),
    });
    rows.push({
      id: 'h',
      key: `h.${op}.small_push`,
      label: `h: small PUT elsewhere during the ${LABEL[op]} (p50 / p99)`,
      unit: 'ms',
      better: 'lower',
      ours: latencyCell(ours[op], (o) => o.push, ours.note),
      reference: latencyCell(reference[op], (o) => o.push, reference.note),
    });
  }
  return rows;
}

/** Issue 8: health checks and small pushes answered with p99 < 50 ms during any big request (ours). */
export function stallCheck(rows: readonly Row[]): TargetCheck {
  const target =
    '(h) /-/healthy and small pushes p99 < 50 ms during a big push, scrape, API call, delete, one-family push (ours)';
  const probes = rows.filter((r) => r.id === 'h' && (r.key.endsWith('.health') || r.key.endsWith('.small_push')));
  if (probes.length === 0) return { target, measured: 'not run', met: undefined };
  const p99s = probes.map((r) => r.ours.values[1]);
  if (p99s.some((v) => v === undefined)) return { target, measured: 'not measured on every row', met: undefined };
  const worst = Math.max(...(p99s as number[]));
  return { target, measured: `worst p99 ${worst.toFixed(1)} ms`, met: worst < 50 };
}
