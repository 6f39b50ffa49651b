/**
 * What the scenarios push: a 10-metric text body (HELP, TYPE and one sample per family, the shape a
 * batch job's client library sends) and the grouping-key URL of group N (job=bench, instance=i<N>).
 */
import type { BenchRequest } from './load.js';

export const METRICS_PER_BODY = 10;

const TYPES = ['gauge', 'counter', 'untyped', 'gauge', 'counter', 'gauge', 'gauge', 'counter', 'untyped', 'gauge'];

/** The body of one push; `seed` only varies the sample values. */
export function tenMetricBody(seed: number): Buffer {
  let out = '';
  for (let m = 0; m < METRICS_PER_BODY; m++) {
    const name = `bench_metric_${m}`;
    out += `# HELP ${name} Benchmark metric number ${m}.\n# TYPE ${name} ${TYPES[m]}\n`;
    out += `${name}{stage="load",shard="s${m % 3}"} ${(seed * 10 + m) / 4}\n`;
  }
  return Buffer.from(out, 'utf8');
}

/** Bodies are pre-built once: the load generator should not spend its CPU on formatting. */
const BODIES = Array.from({ length: 64 }, (_, i) => tenMetricBody(i));

export function bodyFor(i: number): Buffer {
  return BODIES[i % BODIES.length]!;
}

export function groupPath(instance: string): string {
  return `/metrics/job/bench/instance/${instance}`;
}

export function pushToGroup(method: 'PUT' | 'POST', instance: string, i: number): BenchRequest {
  return {
    method,
    path: groupPath(instance),
    body: bodyFor(i),
    headers: { 'Content-Type': 'text/plain; version=0.0.4' },
  };
}
