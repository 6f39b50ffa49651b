/**
 * The throughput scenarios, each on fresh gateways (ours, then the reference, same flags):
 *   cal — GET /-/healthy: what the load generator itself can drive on this machine (the ceiling);
 *   a   — checked PUT of a 10-metric body to groups i1, i2, … i10000 (then round again), from an empty
 *         store; the reference only gets through a few hundred groups in a window, so this row flatters
 *         it (its pushes slow down as it grows) — row e compares both at equal store sizes;
 *   a2  — the same with --push.disable-consistency-check on both;
 *   b   — POST of a 10-metric body to one hot group.
 * Load comes from wrk (see wrk.ts), 50 connections, for the window.
 */
import { runWrk, type WrkLoad, type WrkResult } from './wrk.js';
import { SIDES, withGateway, type Side } from './gateways.js';
import { bodyFor, groupPath } from './workload.js';
import { cell, missing, type Cell, type Row } from './report.js';

export const CONCURRENCY = 50;
/** The distinct groups of scenarios a and a2; pushes cycle through them (later rounds re-PUT a group). */
export const GROUPS = 10_000;

interface ThroughputSpec {
  id: string;
  label: string;
  flags: string[];
  load: Omit<WrkLoad, 'connections' | 'durationMs'>;
}

const TEXT = 'text/plain; version=0.0.4';

export function throughputSpecs(): ThroughputSpec[] {
  const unchecked = ['--push.disable-consistency-check'];
  const newGroups = {
    method: 'PUT',
    path: groupPath('i'),
    counter: { cycle: GROUPS },
    body: bodyFor(0),
    contentType: TEXT,
  } as const;
  return [
    {
      id: 'cal',
      label: `cal: GET /-/healthy, ${CONCURRENCY} conns (load-generator ceiling)`,
      flags: [],
      load: { method: 'GET', path: '/-/healthy' },
    },
    {
      id: 'a',
      label: `a: checked PUT, ${GROUPS / 1000}k groups round robin from empty, ${CONCURRENCY} conns`,
      flags: [],
      load: newGroups,
    },
    {
      id: 'a2',
      label:
        `a2: PUT, ${GROUPS / 1000}k groups round robin from empty, --push.disable-consistency-check, ` +
        `${CONCURRENCY} conns`,
      flags: unchecked,
      load: newGroups,
    },
    {
      id: 'b',
      label: `b: checked POST to one hot group, ${CONCURRENCY} conns`,
      flags: [],
      load: { method: 'POST', path: groupPath('hot'), body: bodyFor(0), contentType: TEXT },
    },
  ];
}

/** The median round's rate; the note gives the spread over rounds and any failed requests. */
export function wrkCell(results: WrkResult[]): Cell {
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

function measure(side: Side, spec: ThroughputSpec, windowMs: number): Promise<WrkResult> {
  return withGateway(side, spec.flags, (gw) =>
    runWrk(gw.url, { ...spec.load, connections: CONCURRENCY, durationMs: windowMs }),
  );
}

export interface ThroughputResult {
  row: Row;
  runs: Record<Side, WrkResult[]>;
}

/** `rounds` A/B rounds (ours, then the reference), each on fresh gateways; the median rate is shown. */
export async function runThroughput(
  spec: ThroughputSpec,
  windowMs: number,
  rounds: number,
  log: (s: string) => void,
): Promise<ThroughputResult> {
  const runs: Record<Side, WrkResult[]> = { ours: [], reference: [] };
  const failed: Partial<Record<Side, string>> = {};
  for (let round = 0; round < rounds; round++) {
    for (const side of SIDES) {
      if (failed[side] !== undefined) continue;
      try {
        const r = await measure(side, spec, windowMs);
        runs[side].push(r);
        log(
          `  ${spec.id} ${side}: ${r.perSecond.toFixed(0)} req/s (${r.requests} in ${r.seconds.toFixed(1)} ` +
            `s${r.errors > 0 ? `, ${r.errors} errors` : ''})`,
        );
      } catch (err) {
        failed[side] = `error: ${(err as Error).message.split('\n')[0]}`;
      }
    }
  }
  const one = (side: Side): Cell => (runs[side].length > 0 ? wrkCell(runs[side]) : missing(failed[side] ?? 'n/a'));
  const row: Row = {
    id: spec.id,
    key: `${spec.id}.req_per_s`,
    label: spec.label,
    unit: 'req/s',
    better: 'higher',
    ours: one('ours'),
    reference: one('reference'),
  };
  return { row, runs };
}
