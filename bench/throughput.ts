/**
 * The throughput scenarios, each on fresh gateways (ours, then the reference, same flags):
 *   cal — GET /-/healthy: what the load generator itself can drive on this machine (the ceiling);
 *   a   — checked PUT of a 10-metric body, a new group per request, until the window or 10,000 groups;
 *   a2  — the same with --push.disable-consistency-check on both;
 *   b   — POST of a 10-metric body to one hot group.
 */
import { runLoad, type BenchRequest, type LoadResult } from './load.js';
import { SIDES, withGateway, type Side } from './gateways.js';
import { pushToGroup } from './workload.js';
import { cell, missing, type Cell, type Row } from './report.js';

export const CONCURRENCY = 50;

interface ThroughputSpec {
  id: string;
  label: string;
  flags: string[];
  maxRequests: number;
  expect: readonly number[];
  make: (i: number) => BenchRequest;
}

export function throughputSpecs(): ThroughputSpec[] {
  const unchecked = ['--push.disable-consistency-check'];
  return [
    {
      id: 'cal', label: `cal: GET /-/healthy, ${CONCURRENCY} conns (load-generator ceiling)`, flags: [],
      maxRequests: 1_000_000, expect: [200], make: () => ({ method: 'GET', path: '/-/healthy' }),
    },
    {
      id: 'a', label: `a: checked PUT, new group each, ${CONCURRENCY} conns, ≤10k groups`, flags: [],
      maxRequests: 10_000, expect: [200], make: (i) => pushToGroup('PUT', `i${i}`, i),
    },
    {
      id: 'a2', label: `a2: PUT, new group each, --push.disable-consistency-check, ${CONCURRENCY} conns, ≤10k groups`,
      flags: unchecked, maxRequests: 10_000, expect: [202], make: (i) => pushToGroup('PUT', `i${i}`, i),
    },
    {
      id: 'b', label: `b: checked POST to one hot group, ${CONCURRENCY} conns`, flags: [],
      maxRequests: 1_000_000, expect: [200], make: (i) => pushToGroup('POST', 'hot', i),
    },
  ];
}

/** The median round's rate; the note gives the spread over rounds and any failed requests. */
function toCell(results: LoadResult[]): Cell {
  const sorted = [...results].sort((x, y) => x.perSecond - y.perSecond);
  const median = sorted[(sorted.length - 1) >> 1]!;
  const parts: string[] = [];
  if (sorted.length > 1) {
    parts.push(`(${sorted.length} runs ${Math.round(sorted[0]!.perSecond)}–${Math.round(sorted.at(-1)!.perSecond)})`);
  }
  const errors = results.reduce((n, r) => n + r.errors, 0);
  if (errors > 0) parts.push(`(${errors} errors: ${results.find((r) => r.errors > 0)!.firstError})`);
  return cell([median.perSecond], parts.length > 0 ? parts.join(' ') : undefined);
}

function measure(side: Side, spec: ThroughputSpec, windowMs: number): Promise<LoadResult> {
  return withGateway(side, spec.flags, (gw) => runLoad(new URL(gw.url), {
    concurrency: CONCURRENCY, durationMs: windowMs, maxRequests: spec.maxRequests, expect: spec.expect, make: spec.make,
  }));
}

export interface ThroughputResult {
  row: Row;
  runs: Record<Side, LoadResult[]>;
}

/** `rounds` A/B rounds (ours, then the reference), each on fresh gateways; the median rate is shown. */
export async function runThroughput(spec: ThroughputSpec, windowMs: number, rounds: number,
  log: (s: string) => void): Promise<ThroughputResult> {
  const runs: Record<Side, LoadResult[]> = { ours: [], reference: [] };
  const failed: Partial<Record<Side, string>> = {};
  for (let round = 0; round < rounds; round++) {
    for (const side of SIDES) {
      if (failed[side] !== undefined) continue;
      try {
        const r = await measure(side, spec, windowMs);
        runs[side].push(r);
        log(`  ${spec.id} ${side}: ${r.perSecond.toFixed(0)} req/s (${r.requests} in ${r.seconds.toFixed(1)} s${r.errors > 0 ? `, ${r.errors} errors` : ''})`);
      } catch (err) {
        failed[side] = `error: ${(err as Error).message.split('\n')[0]}`;
      }
    }
  }
  const one = (side: Side): Cell => (runs[side].length > 0 ? toCell(runs[side]) : missing(failed[side] ?? 'n/a'));
  const row: Row = {
    id: spec.id, key: `${spec.id}.req_per_s`, label: spec.label, unit: 'req/s', better: 'higher',
    ours: one('ours'), reference: one('reference'),
  };
  return { row, runs };
}
