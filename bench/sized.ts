/**
 * The store-size scenarios, measured on one gateway per side that is grown step by step
 * (1k → 10k → 100k groups × 10 metrics), all in the default consistency-checked mode:
 *   c — GET /metrics latency after a re-push (caches invalidated) and repeated with nothing changed,
 *       plain and gzip; d — RSS idle, after loading, after scraping; f — sequential checked PUTs of new
 *       groups; e — checked PUTs of new groups from 50 connections (wrk) for a window, i.e. scenario a at
 *       an equal store size on both sides; g — GET /-/healthy latency while the largest store is being scraped.
 * Ours is loaded with 50 concurrent checked PUTs. The reference's checked push re-gathers the whole
 * store (about 10 pushes/s at 3k groups), so it is loaded by an unchecked instance that persists to a
 * file on shutdown, and the checked instance under test starts from that file.
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import { keepAliveAgent, request, runLoad, type BenchRequest, type Response } from './load.js';
import { rssBytes, startGateway, startReferenceOnFile, withGateway, type Gateway, type Side } from './gateways.js';
import { bodyFor, groupPath, pushToGroup } from './workload.js';
import { runWrk } from './wrk.js';
import { sampleLoop, sleep, type SampleBudget } from './stats.js';
import { CONCURRENCY } from './throughput.js';

export type SizedPart = 'c' | 'd' | 'e' | 'f' | 'g';

/** Above this size the reference's checked pushes take seconds each: 50 queued ones would take minutes. */
export const REFERENCE_E_MAX_SIZE = 10_000;

export interface SizedOptions {
  sizes: number[];
  parts: ReadonlySet<SizedPart>;
  loadCapMs: number;
  scrapeBudget: SampleBudget;
  pushBudget: SampleBudget;
  /** How long scenario e pushes new groups at each size. */
  windowMs: number;
  tmpDir: string;
  log: (msg: string) => void;
}

export interface SizeResult {
  size: number;
  /** Set when the size was not reached (load too slow, or an error before it). */
  failed?: string;
  /** Set when a measurement at this size failed part-way; what was measured before stays. */
  error?: string;
  loadSeconds?: number;
  rssAfterLoad?: number;
  groupsSeen?: number;
  firstScrapeMs?: number;
  firstGzipScrapeMs?: number;
  scrapeAfterWrite?: number[];
  gzipAfterWrite?: number[];
  repeated?: number[];
  repeatedGzip?: number[];
  rssAfterScrapes?: number;
  push?: number[];
  /** Scenario e: wrk's count of checked PUTs of new groups in the window, and their rate. */
  newGroupPushes?: { requests: number; perSecond: number; errors: number; firstError?: string };
  health?: { latencies: number[]; scrapeMs: number };
}

export interface SideResult {
  idleRss?: number;
  sizes: SizeResult[];
}

const GET_METRICS: BenchRequest = { method: 'GET', path: '/metrics' };
const GET_METRICS_GZIP: BenchRequest = { method: 'GET', path: '/metrics', headers: { 'Accept-Encoding': 'gzip' } };

function ok(res: Response, want: number, what: string): Response {
  if (res.status !== want) throw new Error(`${what}: HTTP ${res.status}, expected ${want}`);
  return res;
}

/** Pushes groups i<from> … i<to-1>; false when the cap ran out first. */
async function loadGroups(
  gw: Gateway,
  from: number,
  to: number,
  capMs: number,
  expect: number,
): Promise<{ done: boolean; seconds: number }> {
  const r = await runLoad(new URL(gw.url), {
    concurrency: CONCURRENCY,
    durationMs: capMs,
    maxRequests: to - from,
    expect: [expect],
    make: (i) => pushToGroup('PUT', `i${from + i}`, from + i),
  });
  if (r.errors > 0) throw new Error(`loading: ${r.errors} failed pushes, first: ${r.firstError}`);
  return { done: r.requests >= to - from, seconds: r.seconds };
}

/** One scrape that counts the groups (one push_time_seconds series each) as the body streams by. */
export async function countingScrape(
  base: URL,
  agent: ReturnType<typeof keepAliveAgent>,
): Promise<{ ms: number; groups: number }> {
  const needle = '\npush_time_seconds{';
  let groups = 0;
  let carry = '';
  const res = await request(base, agent, GET_METRICS, {
    onChunk: (c) => {
      const text = carry + c.toString('latin1');
      for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + 1)) groups++;
      carry = text.slice(-(needle.length - 1));
    },
  });
  ok(res, 200, 'first scrape');
  return { ms: res.ms, groups };
}

async function measureScrapes(gw: Gateway, r: SizeResult, o: SizedOptions): Promise<void> {
  const base = new URL(gw.url);
  const scraper = keepAliveAgent(1);
  const writer = keepAliveAgent(1);
  const first = await countingScrape(base, scraper);
  r.firstScrapeMs = first.ms;
  r.groupsSeen = first.groups;
  // The first gzip scrape compresses everything; reported on its own, so that the rows after a re-push
  // show the steady state a scraper (which always asks for gzip) sees.
  r.firstGzipScrapeMs = ok(await request(base, scraper, GET_METRICS_GZIP), 200, 'first gzip scrape').ms;
  // A job re-pushing its group between two scrapes: the common case that invalidates every cache.
  let seq = 0;
  const rePush = async (): Promise<void> => {
    ok(await request(base, writer, pushToGroup('PUT', 'i0', ++seq)), 200, 're-push');
  };
  const scrape = async (req: BenchRequest): Promise<number> => ok(await request(base, scraper, req), 200, 'scrape').ms;
  r.scrapeAfterWrite = await sampleLoop(o.scrapeBudget, async () => {
    await rePush();
    return scrape(GET_METRICS);
  });
  r.gzipAfterWrite = await sampleLoop(o.scrapeBudget, async () => {
    await rePush();
    return scrape(GET_METRICS_GZIP);
  });
  await scrape(GET_METRICS);
  r.repeated = await sampleLoop(o.scrapeBudget, () => scrape(GET_METRICS));
  await scrape(GET_METRICS_GZIP);
  r.repeatedGzip = await sampleLoop(o.scrapeBudget, () => scrape(GET_METRICS_GZIP));
  scraper.destroy();
  writer.destroy();
}

/** Sequential checked PUTs, each creating a new group; the groups are deleted again afterwards. */
async function measurePushes(gw: Gateway, r: SizeResult, o: SizedOptions): Promise<void> {
  const base = new URL(gw.url);
  const agent = keepAliveAgent(1);
  const instance = (k: number): string => `f${r.size}-${k}`;
  r.push = await sampleLoop(
    o.pushBudget,
    async (k) => ok(await request(base, agent, pushToGroup('PUT', instance(k), k)), 200, 'push').ms,
  );
  for (let k = 0; k < r.push.length; k++) {
    ok(await request(base, agent, { method: 'DELETE', path: groupPath(instance(k)) }), 202, 'delete');
  }
  agent.destroy();
}

/** Health probes, one after another on their own connection, for as long as one scrape takes. */
async function measureHealthDuringScrape(gw: Gateway, r: SizeResult): Promise<void> {
  const base = new URL(gw.url);
  const scraper = keepAliveAgent(1);
  const prober = keepAliveAgent(1);
  ok(await request(base, prober, pushToGroup('PUT', 'i0', 7)), 200, 're-push');
  let scrapeMs = -1;
  const scrape = request(base, scraper, GET_METRICS).then((res) => {
    scrapeMs = ok(res, 200, 'scrape').ms;
  });
  const latencies: number[] = [];
  while (scrapeMs < 0)
    latencies.push(ok(await request(base, prober, { method: 'GET', path: '/-/healthy' }), 200, 'healthy').ms);
  await scrape;
  r.health = { latencies, scrapeMs };
  scraper.destroy();
  prober.destroy();
}

/** Scenario e: 50 connections PUT new groups e<size>-1, -2, … for the window; the groups are deleted again. */
async function measureNewGroupPushes(gw: Gateway, r: SizeResult, o: SizedOptions): Promise<void> {
  const prefix = groupPath(`e${r.size}-`);
  const w = await runWrk(gw.url, {
    method: 'PUT',
    path: prefix,
    counter: {},
    body: bodyFor(0),
    contentType: 'text/plain; version=0.0.4',
    connections: CONCURRENCY,
    durationMs: o.windowMs,
  });
  r.newGroupPushes = {
    requests: w.requests,
    perSecond: w.perSecond,
    errors: w.errors,
    ...(w.firstError === undefined ? {} : { firstError: w.firstError }),
  };
  // Requests still in flight when wrk stopped may have created groups too.
  const created = w.requests + CONCURRENCY;
  const del = await runLoad(new URL(gw.url), {
    concurrency: 10,
    durationMs: 600_000,
    maxRequests: created,
    expect: [202],
    make: (i) => ({ method: 'DELETE', path: `${prefix}${i + 1}` }),
  });
  if (del.errors > 0) throw new Error(`deleting the groups of scenario e: ${del.firstError}`);
}

async function measureAt(gw: Gateway, r: SizeResult, o: SizedOptions, largest: boolean): Promise<void> {
  const label = `${r.size} groups`;
  if (o.parts.has('c')) {
    await measureScrapes(gw, r, o);
    o.log(`    ${label}: scrapes done (first ${r.firstScrapeMs?.toFixed(0)} ms, ${r.groupsSeen} groups seen)`);
  }
  if (o.parts.has('d')) r.rssAfterScrapes = rssBytes(gw.process.pid!);
  if (o.parts.has('f')) {
    await measurePushes(gw, r, o);
    o.log(`    ${label}: ${r.push!.length} sequential pushes done`);
  }
  if (o.parts.has('g') && largest) await measureHealthDuringScrape(gw, r);
}

async function idleRss(side: Side): Promise<number> {
  return withGateway(side, [], async (gw) => {
    await sleep(1000);
    return rssBytes(gw.process.pid!);
  });
}

/** Marks size `from` (already in the list, or not) and every larger size as not reached. */
function failRest(results: SizeResult[], sizes: number[], from: number, why: string): void {
  results.length = Math.min(results.length, from);
  for (let j = from; j < sizes.length; j++) results.push({ size: sizes[j]!, failed: why });
}

async function runOurs(o: SizedOptions, out: SideResult): Promise<void> {
  if (o.parts.has('d')) out.idleRss = await idleRss('ours');
  const gw = await startGateway('ours', []);
  try {
    let current = 0;
    for (let i = 0; i < o.sizes.length; i++) {
      const size = o.sizes[i]!;
      const r: SizeResult = { size };
      out.sizes.push(r);
      const load = await loadGroups(gw, current, size, o.loadCapMs, 200);
      if (!load.done) return failRest(out.sizes, o.sizes, i, `n/a (load took > ${o.loadCapMs / 1000} s)`);
      r.loadSeconds = load.seconds;
      current = size;
      o.log(`    ours: ${size} groups loaded in ${load.seconds.toFixed(1)} s`);
      await sleep(1000);
      r.rssAfterLoad = rssBytes(gw.process.pid!);
      await measureAt(gw, r, o, i === o.sizes.length - 1);
      if (o.parts.has('e'))
        await newGroupPushesOnFresh(r, o, async () => {
          const fresh = await startGateway('ours', []);
          await loadGroups(fresh, 0, size, o.loadCapMs, 200);
          return fresh;
        });
    }
  } finally {
    await gw.kill();
  }
}

/**
 * Scenario e on a gateway of its own, loaded to the size: its groups come and go, and the garbage they
 * leave would otherwise sit in the RSS and scrape rows of the next size.
 */
async function newGroupPushesOnFresh(r: SizeResult, o: SizedOptions, start: () => Promise<Gateway>): Promise<void> {
  const gw = await start();
  try {
    await measureNewGroupPushes(gw, r, o);
    o.log(
      `    ${r.size} groups: ${r.newGroupPushes!.requests} checked PUTs of new groups in the window ` +
        `(${r.newGroupPushes!.perSecond.toFixed(0)}/s)`,
    );
  } finally {
    await gw.kill();
  }
}

/** Grows the reference's persistence file from `current` to `size` groups; false when the cap ran out. */
async function growReferenceFile(file: string, current: number, r: SizeResult, o: SizedOptions): Promise<boolean> {
  const loader = await startReferenceOnFile(file, ['--push.disable-consistency-check'], 300_000);
  try {
    const load = await loadGroups(loader, current, r.size, o.loadCapMs, 202);
    if (!load.done) return false;
    r.loadSeconds = load.seconds;
    await sleep(1000);
    r.rssAfterLoad = rssBytes(loader.process.pid!);
    return true;
  } finally {
    // SIGTERM drains the write queue and writes the persistence file.
    await loader.shutdown(300_000);
  }
}

async function runReference(o: SizedOptions, out: SideResult): Promise<void> {
  if (o.parts.has('d')) out.idleRss = await idleRss('reference');
  const file = path.join(o.tmpDir, `reference-bench-${process.pid}.db`);
  rmSync(file, { force: true });
  let current = 0;
  try {
    for (let i = 0; i < o.sizes.length; i++) {
      const r: SizeResult = { size: o.sizes[i]! };
      out.sizes.push(r);
      if (!(await growReferenceFile(file, current, r, o))) {
        return failRest(out.sizes, o.sizes, i, `n/a (load took > ${o.loadCapMs / 1000} s)`);
      }
      current = r.size;
      o.log(`    reference: ${r.size} groups loaded in ${r.loadSeconds!.toFixed(1)} s (unchecked, persisted)`);
      const gw = await startReferenceOnFile(file, [], 300_000);
      try {
        await measureAt(gw, r, o, i === o.sizes.length - 1);
      } finally {
        await gw.kill();
      }
      // SIGKILL left the file as loaded: a fresh checked instance starts from it.
      if (o.parts.has('e') && r.size <= REFERENCE_E_MAX_SIZE) {
        await newGroupPushesOnFresh(r, o, () => startReferenceOnFile(file, [], 300_000));
      }
    }
  } finally {
    rmSync(file, { force: true });
  }
}

export async function runSized(side: Side, o: SizedOptions): Promise<SideResult> {
  const out: SideResult = { sizes: [] };
  try {
    await (side === 'ours' ? runOurs(o, out) : runReference(o, out));
  } catch (err) {
    const why = `error: ${(err as Error).message.split('\n')[0]}`;
    o.log(`    ${side}: ${why}`);
    const last = out.sizes.at(-1);
    if (last !== undefined) last.error = why;
    failRest(out.sizes, o.sizes, out.sizes.length, why);
  }
  return out;
}
