/**
 * Scenario w: PUT /api/v1/admin/wipe on a gateway holding 10,000 groups (× 10 metrics) while
 * 8 clients keep pushing checked PUTs to other groups. Measured: the wipe request's latency, the
 * time until none of the 10,000 groups is left (polled through /metrics), and the rate of pushes served
 * meanwhile (polls included, so ours is a lower bound). The reference turns a wipe
 * into one queued delete per group competing with the pushes (its issue #384: 16 minutes for ~5,000
 * groups under load), so its side is bounded by a cap and shown as "n/a (> cap)" when it runs over.
 * The reference is loaded like the sized scenarios: an unchecked instance grows a persistence file,
 * the checked instance under test starts from it.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { keepAliveAgent, request, runLoad } from './load.js';
import { startGateway, startReferenceOnFile, type Gateway, type Side } from './gateways.js';
import { groupPath, pushToGroup } from './workload.js';
import { sleep } from './stats.js';
import { cell, missing, type Row } from './report.js';

export const WIPE_GROUPS = 10_000;
const PUSHERS = 8;

export interface WipeSide {
  /** Wipe request latency in ms. */
  requestMs?: number;
  /** From sending the wipe until no loaded group is left, in ms. */
  doneMs?: number;
  /** Successful pushes per second between sending the wipe and seeing every loaded group gone. */
  pushRate?: number;
  note?: string;
}

async function loadGroups(gw: Gateway, expect: number): Promise<void> {
  const r = await runLoad(new URL(gw.url), {
    concurrency: 50,
    durationMs: 180_000,
    maxRequests: WIPE_GROUPS,
    expect: [expect],
    make: (i) => pushToGroup('PUT', `i${i}`, i),
  });
  if (r.errors > 0 || r.requests < WIPE_GROUPS)
    throw new Error(`loading: ${r.requests} pushes, ${r.errors} failed (${r.firstError ?? ''})`);
}

/** How many of the loaded groups (instance="i<N>") a scrape still shows. */
async function loadedLeft(base: URL, agent: ReturnType<typeof keepAliveAgent>): Promise<number> {
  let n = 0;
  let carry = '';
  await request(
    base,
    agent,
    { method: 'GET', path: '/metrics' },
    {
      onChunk: (c) => {
        const text = carry + c.toString('latin1');
        n += (text.match(/\npush_time_seconds\{instance="i\d+"/g) ?? []).length;
        carry = text.slice(-64);
      },
    },
  );
  return n;
}

async function measure(gw: Gateway, capMs: number): Promise<WipeSide> {
  const base = new URL(gw.url);
  const agent = keepAliveAgent(2);
  const before = await loadedLeft(base, agent);
  if (before < WIPE_GROUPS) throw new Error(`only ${before} groups loaded`);
  let stop = false;
  let pushes = 0;
  const pushAgent = keepAliveAgent(PUSHERS);
  const pushers = Array.from({ length: PUSHERS }, async (_, w) => {
    for (let i = 0; !stop; i++) {
      try {
        const res = await request(base, pushAgent, {
          ...pushToGroup('PUT', `p${w}-${i % 50}`, i),
          path: groupPath(`p${w}-${i % 50}`),
        });
        if (res.status === 200) pushes++;
      } catch {
        if (stop) return; // the gateway was killed under the request
        await sleep(10);
      }
    }
  });
  await sleep(500); // pushes in full flow before the wipe
  const pushesBefore = pushes;
  const t0 = performance.now();
  const out: WipeSide = {};
  try {
    const res = await request(base, agent, { method: 'PUT', path: '/api/v1/admin/wipe' }, { timeoutMs: capMs });
    out.requestMs = performance.now() - t0;
    if (res.status !== 202) throw new Error(`wipe: HTTP ${res.status}`);
    while (performance.now() - t0 < capMs) {
      if ((await loadedLeft(base, agent)) === 0) {
        out.doneMs = performance.now() - t0;
        out.pushRate = (pushes - pushesBefore) / (out.doneMs / 1000);
        break;
      }
      await sleep(20);
    }
    if (out.doneMs === undefined) out.note = `n/a (> ${capMs / 1000} s)`;
  } catch (err) {
    out.note = `n/a (${(err as Error).message.split('\n')[0]})`;
  } finally {
    stop = true;
    await gw.kill(); // ends the pushers' requests too
    await Promise.allSettled(pushers);
    agent.destroy();
    pushAgent.destroy();
  }
  return out;
}

export async function runWipe(side: Side, capMs: number, tmpDir: string, log: (s: string) => void): Promise<WipeSide> {
  try {
    if (side === 'ours') {
      const gw = await startGateway('ours', ['--web.enable-admin-api']);
      await loadGroups(gw, 200);
      log(`    ours: ${WIPE_GROUPS} groups loaded`);
      return await measure(gw, capMs);
    }
    const file = path.join(tmpDir, `reference-wipe-${process.pid}.db`);
    rmSync(file, { force: true });
    try {
      const loader = await startReferenceOnFile(file, ['--push.disable-consistency-check'], 300_000);
      try {
        await loadGroups(loader, 202);
      } finally {
        await loader.shutdown(300_000);
      }
      log(`    reference: ${WIPE_GROUPS} groups loaded (unchecked, persisted)`);
      const gw = await startReferenceOnFile(file, ['--web.enable-admin-api'], 300_000);
      return await measure(gw, capMs);
    } finally {
      rmSync(file, { force: true });
    }
  } catch (err) {
    return { note: `n/a (error: ${(err as Error).message.split('\n')[0]})` };
  }
}

export function wipeRows(ours: WipeSide, ref: WipeSide): Row[] {
  const c = (v: number | undefined, s: WipeSide) => (v === undefined ? missing(s.note ?? 'n/a') : cell([v]));
  return [
    {
      id: 'w',
      key: 'w.wipe.request',
      label: `w  wipe ${WIPE_GROUPS / 1000}k groups under push load: request`,
      unit: 'ms',
      better: 'lower',
      ours: c(ours.requestMs, ours),
      reference: c(ref.requestMs, ref),
    },
    {
      id: 'w',
      key: 'w.wipe.done',
      label: `w  wipe ${WIPE_GROUPS / 1000}k groups under push load: all gone`,
      unit: 'ms',
      better: 'lower',
      ours: c(ours.doneMs, ours),
      reference: c(ref.doneMs, ref),
    },
    {
      id: 'w',
      key: 'w.wipe.push_rate',
      label: 'w  checked PUTs served during the wipe (8 clients)',
      unit: 'req/s',
      better: 'higher',
      ours: ours.pushRate === undefined ? missing(ours.note ?? 'n/a') : cell([ours.pushRate]),
      reference: ref.pushRate === undefined ? missing(ref.note ?? 'n/a') : cell([ref.pushRate]),
    },
  ];
}
