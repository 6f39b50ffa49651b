/**
 * Scenario m: what a distinct family and a series cost in memory, ours against the reference. One PUT
 * of N series in 1,000 families to one group, and one PUT of N families of one series each, each on a
 * fresh gateway; then one plain scrape (ours caches rendered pieces, which are part of its cost). The row
 * is the RSS growth over the idle gateway divided by N, in bytes.
 */
import { rssBytes, withGateway, type Side } from './gateways.js';
import { cell, missing, type Row } from './report.js';
import { sleep } from './stats.js';

export const FAMILY_COST_N = 1_000_000;

export function manySeriesBody(n: number): Buffer {
  const parts: string[] = [];
  const perFamily = Math.ceil(n / 1000);
  for (let f = 0; f < 1000; f++) {
    parts.push(`# TYPE series_family_${f} gauge\n`);
    for (let s = 0; s < perFamily && f * perFamily + s < n; s++) parts.push(`series_family_${f}{series="${s}"} ${s}\n`);
  }
  return Buffer.from(parts.join(''));
}

export function manyFamiliesBody(n: number): Buffer {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(`distinct_family_${i} ${i}\n`);
  return Buffer.from(parts.join(''));
}

export interface FamilyCostSide {
  perSeries?: number;
  perFamily?: number;
  note?: string;
}

async function growth(side: Side, body: Buffer, n: number): Promise<number> {
  return withGateway(side, [], async (gw) => {
    await sleep(500);
    const idle = rssBytes(gw.process.pid!);
    const res = await fetch(`${gw.url}/metrics/job/cost`, {
      method: 'PUT',
      body: new Uint8Array(body),
      signal: AbortSignal.timeout(600_000),
    });
    if (res.status !== 200) throw new Error(`push: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
    const scrape = await fetch(`${gw.url}/metrics`, {
      headers: { 'Accept-Encoding': 'identity' },
      signal: AbortSignal.timeout(600_000),
    });
    await scrape.arrayBuffer();
    await sleep(2000);
    return (rssBytes(gw.process.pid!) - idle) / n;
  });
}

export async function runFamilyCost(side: Side, n: number, log: (s: string) => void): Promise<FamilyCostSide> {
  const out: FamilyCostSide = {};
  try {
    out.perSeries = await growth(side, manySeriesBody(n), n);
    log(`    ${side}: ${out.perSeries.toFixed(0)} B per series`);
    out.perFamily = await growth(side, manyFamiliesBody(n), n);
    log(`    ${side}: ${out.perFamily.toFixed(0)} B per family`);
  } catch (err) {
    out.note = `n/a (${(err as Error).message.split('\n')[0]})`;
  }
  return out;
}

export function familyCostRows(ours: FamilyCostSide, ref: FamilyCostSide, n: number): Row[] {
  const k = n >= 1_000_000 ? `${n / 1_000_000}M` : `${n / 1000}k`;
  const c = (v: number | undefined, s: FamilyCostSide) => (v === undefined ? missing(s.note ?? 'n/a') : cell([v]));
  return [
    {
      id: 'm',
      key: `m.rss_per_series.${n}`,
      label: `m: RSS growth per series, ${k} series in 1,000 families of one group`,
      unit: 'B',
      better: 'lower',
      ours: c(ours.perSeries, ours),
      reference: c(ref.perSeries, ref),
    },
    {
      id: 'm',
      key: `m.rss_per_family.${n}`,
      label: `m: RSS growth per family, ${k} families of one series`,
      unit: 'B',
      better: 'lower',
      ours: c(ours.perFamily, ours),
      reference: c(ref.perFamily, ref),
    },
  ];
}
