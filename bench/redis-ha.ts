/**
 * Scenario r (issue 11 item 6): the Redis store, ours only (the reference has no equivalent). A real
 * redis-server on a loopback port (no persistence, so the disk is not measured), fresh per part, and our
 * gateway processes on it:
 *   push rows — row a's workload (checked PUT of a 10-metric body to 10k groups round robin from empty,
 *     wrk, 50 connections) through one replica, and through three at once (one wrk each, summed), beside
 *     the memory store; p50/p99 of a checked PUT from a node:http closed loop of 8 connections;
 *   visibility — on three fresh replicas, while wrk loads replica A (1k groups, 8 connections), a probe PUTs
 *     a new value to A every few ms and polls B's /metrics until it shows it: ms from A's acknowledgement to
 *     B showing it (B holds the 1k groups and the probe's: its scrape is part of the delay);
 *   scrape — GET /metrics of 10k groups × 10 metrics on replica B (the pushes went through A) beside the
 *     memory store with the same groups;
 *   catch-up — a fresh replica started on a log holding N groups: ms from spawn to /-/ready 200;
 *   Redis memory — INFO memory used_memory after N groups minus before, per pushed series.
 */
import { spawn } from 'node:child_process';
import { createClient } from 'redis';
import { startGateway, type Gateway } from './gateways.js';
import { keepAliveAgent, request } from './load.js';
import { cell, missing, type Row, type TargetCheck } from './report.js';
import { countingScrape } from './sized.js';
import { percentile, sampleLoop, type SampleBudget } from './stats.js';
import { CONCURRENCY, throughputSpecs } from './throughput.js';
import { METRICS_PER_BODY, bodyFor, groupPath } from './workload.js';
import { runWrk, type WrkResult } from './wrk.js';
import { freePort, OUR_CLI, ourNodeFlags } from '../test/helpers/servers.js';
import { startRedis, type RunningRedis } from '../test/helpers/redis.js';

export interface RedisHaOptions {
  windowMs: number;
  scrapeBudget: SampleBudget;
  /** Store sizes of the catch-up rows. */
  catchUpSizes: number[];
  log: (msg: string) => void;
}

export interface RedisHaResult {
  rows: Row[];
  targets: TargetCheck[];
}

const NONE = missing('no equivalent');
const TEXT = 'text/plain; version=0.0.4';

async function waitReady(url: string, ms = 600_000): Promise<number> {
  const started = performance.now();
  const agent = keepAliveAgent(1);
  try {
    while (performance.now() - started < ms) {
      const status = await request(new URL(url), agent, { method: 'GET', path: '/-/ready' }, { timeoutMs: 5_000 })
        .then((r) => r.status)
        .catch(() => 0);
      if (status === 200) return performance.now() - started;
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    agent.destroy();
  }
  throw new Error(`${url} not ready within ${ms} ms`);
}

async function replica(redis: RunningRedis): Promise<Gateway> {
  const gw = await startGateway('ours', [`--store.redis.url=${redis.url}`, '--log.level=warn']);
  await waitReady(gw.url);
  return gw;
}

function pushLoad(windowMs: number, connections = CONCURRENCY): Parameters<typeof runWrk>[1] {
  const a = throughputSpecs().find((s) => s.id === 'a')!;
  return { ...a.load, connections, durationMs: windowMs };
}

/** Checked PUT latencies (ms) from `connections` closed loops for `ms`, to 10k groups round robin. */
async function pushLatencies(url: string, connections: number, ms: number): Promise<number[]> {
  const base = new URL(url);
  const agent = keepAliveAgent(connections);
  const out: number[] = [];
  const end = performance.now() + ms;
  let i = 0;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) {
        const n = i++;
        const res = await request(base, agent, {
          method: 'PUT',
          path: groupPath(`lat${n % 10_000}`),
          body: bodyFor(n),
          headers: { 'Content-Type': TEXT },
        });
        if (res.status !== 200) throw new Error(`latency push: HTTP ${res.status}`);
        out.push(res.ms);
      }
    }),
  );
  agent.destroy();
  return out;
}

/**
 * Loads exactly `groups` new groups through wrk: each round PUTs r<round>-1, r<round>-2, … up to the groups
 * still missing (wrk's counter starts again at 1 in every run, hence a prefix per round), until a scrape
 * counts them all.
 */
async function loadGroups(url: string, groups: number): Promise<void> {
  const agent = keepAliveAgent(1);
  try {
    let seen = (await countingScrape(new URL(url), agent)).groups;
    const goal = seen + groups;
    for (let round = 0; round < 20 && seen < goal; round++) {
      const r = await runWrk(url, {
        method: 'PUT',
        path: groupPath(`r${round}-`),
        counter: { cycle: goal - seen },
        body: bodyFor(0),
        contentType: TEXT,
        connections: CONCURRENCY,
        durationMs: Math.max(2_000, Math.ceil((goal - seen) / 2)),
      });
      if (r.errors > 0) throw new Error(`loading ${groups} groups: ${r.firstError}`);
      seen = (await countingScrape(new URL(url), agent)).groups;
    }
    if (seen < goal) throw new Error(`could not load ${groups} groups`);
  } finally {
    agent.destroy();
  }
}

/** Waits until a scrape of `url` counts `groups` groups (a replica may still be applying the last pushes). */
async function waitGroups(url: string, groups: number): Promise<void> {
  const agent = keepAliveAgent(1);
  try {
    const deadline = performance.now() + 60_000;
    for (let seen = 0; seen < groups; ) {
      seen = (await countingScrape(new URL(url), agent)).groups;
      if (seen < groups && performance.now() > deadline) throw new Error(`${url} shows ${seen} groups, not ${groups}`);
    }
  } finally {
    agent.destroy();
  }
}

/**
 * Scrapes of two gateways holding the same groups, alternating one of each, so that the machine's other
 * load (it is shared) weighs on both alike. Returns each one's times.
 */
async function scrapesSideBySide(urls: [string, string], budget: SampleBudget): Promise<[number[], number[]]> {
  const agents = [keepAliveAgent(1), keepAliveAgent(1)];
  const times: [number[], number[]] = [[], []];
  try {
    const once = async (k: 0 | 1): Promise<void> => {
      const res = await request(new URL(urls[k]), agents[k]!, { method: 'GET', path: '/metrics' });
      if (res.status !== 200) throw new Error(`scrape: HTTP ${res.status}`);
      times[k].push(res.ms);
    };
    await once(0);
    await once(1);
    times[0].length = 0;
    times[1].length = 0;
    await sampleLoop({ ...budget, max: budget.max * 2, min: budget.min * 2 }, async (i) => {
      await once((i % 2) as 0 | 1);
      return 0;
    });
    return times;
  } finally {
    for (const a of agents) a.destroy();
  }
}

/** Until no replica is writing a snapshot (its serialising would weigh on the scrape being measured). */
async function noSnapshotInProgress(redis: RunningRedis): Promise<void> {
  const c = createClient({ url: redis.url });
  await c.connect();
  try {
    const deadline = performance.now() + 60_000;
    while ((await c.exists('pushgateway:snapshot-lock')) === 1 && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await c.quit();
  }
}

/** Probe pushes to A under wrk load on A; ms from A's 200 to B's /metrics showing the value. */
async function visibility(a: Gateway, b: Gateway, windowMs: number): Promise<number[]> {
  const load = runWrk(a.url, {
    method: 'PUT',
    path: groupPath('v'),
    counter: { cycle: 1_000 },
    body: bodyFor(0),
    contentType: TEXT,
    connections: 8,
    durationMs: windowMs,
  });
  const agentA = keepAliveAgent(1);
  const agentB = keepAliveAgent(1);
  const out: number[] = [];
  const end = performance.now() + windowMs - 200;
  await new Promise((r) => setTimeout(r, 200));
  // The first probe warms both paths up and is not counted.
  for (let n = 1; performance.now() < end; n++) {
    const res = await request(new URL(a.url), agentA, {
      method: 'PUT',
      path: '/metrics/job/probe',
      body: Buffer.from(`probe_value ${n}\n`),
    });
    if (res.status !== 200) throw new Error(`probe push: HTTP ${res.status}`);
    const acked = performance.now();
    const needle = `probe_value{instance="",job="probe"} ${n}\n`;
    for (;;) {
      let text = '';
      await request(new URL(b.url), agentB, { method: 'GET', path: '/metrics' }, { onChunk: (c) => (text += c) });
      if (text.includes(needle)) break;
      if (performance.now() - acked > 10_000) throw new Error('probe not visible on B within 10 s');
    }
    if (n > 1) out.push(performance.now() - acked);
    await new Promise((r) => setTimeout(r, 5));
  }
  agentA.destroy();
  agentB.destroy();
  const w = await load;
  if (w.errors > 0) throw new Error(`visibility load: ${w.firstError}`);
  return out;
}

async function usedMemory(redis: RunningRedis): Promise<number> {
  const c = createClient({ url: redis.url });
  await c.connect();
  try {
    const info = await c.info('memory');
    return Number(/^used_memory:(\d+)/m.exec(info)![1]);
  } finally {
    await c.quit();
  }
}

/** A replica spawned now on a loaded log: ms until /-/ready is 200. */
async function catchUp(redis: RunningRedis): Promise<{ ms: number; gw: Gateway }> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [...ourNodeFlags(), OUR_CLI, `--web.listen-address=127.0.0.1:${port}`, `--store.redis.url=${redis.url}`],
    { stdio: 'ignore' },
  );
  const gw: Gateway = {
    url: `http://127.0.0.1:${port}`,
    process: child,
    kill: async () => {
      child.kill('SIGKILL');
      if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
    },
    shutdown: async () => {
      child.kill('SIGTERM');
      if (child.exitCode === null && child.signalCode === null) await new Promise((r) => child.once('exit', r));
    },
  };
  await waitReady(gw.url);
  return { ms: performance.now() - started, gw };
}

function rate(rs: WrkResult[]): number {
  return rs.reduce((s, r) => s + r.perSecond, 0);
}

function errorsNote(rs: WrkResult[]): string | undefined {
  const errors = rs.reduce((s, r) => s + r.errors, 0);
  return errors === 0 ? undefined : `(${errors} errors: ${rs.find((r) => r.errors > 0)!.firstError})`;
}

export async function runRedisHa(o: RedisHaOptions): Promise<RedisHaResult> {
  const rows: Row[] = [];
  const row = (key: string, label: string, unit: string, better: 'higher' | 'lower', values: number[], note?: string) =>
    rows.push({
      id: 'r',
      key: `r.${key}`,
      label: `r: ${label}`,
      unit,
      better,
      ours: cell(values, note),
      reference: NONE,
    });
  const kill = async (...gws: Gateway[]): Promise<void> => {
    await Promise.all(gws.map((g) => g.kill()));
  };

  // Memory store: push rate and latency, then its scrape at 10k groups.
  o.log('  r: memory store');
  const mem = await startGateway('ours', ['--log.level=warn']);
  const memPush = await runWrk(mem.url, pushLoad(o.windowMs));
  const memLat = await pushLatencies(mem.url, 8, o.windowMs);
  await kill(mem);
  row('push.memory', 'checked PUT, memory store (baseline), 50 conns', 'req/s', 'higher', [memPush.perSecond]);
  row('push.memory.latency', 'checked PUT latency, memory store, 8 conns', 'ms p50/p99', 'lower', [
    percentile(memLat, 0.5),
    percentile(memLat, 0.99),
  ]);

  // One replica.
  o.log('  r: one replica');
  let redis = await startRedis();
  const one = await replica(redis);
  const onePush = await runWrk(one.url, pushLoad(o.windowMs));
  const oneLat = await pushLatencies(one.url, 8, o.windowMs);
  await kill(one);
  await redis.stop();
  row(
    'push.1',
    'checked PUT through 1 replica, 50 conns',
    'req/s',
    'higher',
    [onePush.perSecond],
    errorsNote([onePush]),
  );
  row('push.1.latency', 'checked PUT latency through 1 replica, 8 conns', 'ms p50/p99', 'lower', [
    percentile(oneLat, 0.5),
    percentile(oneLat, 0.99),
  ]);

  // Three replicas: wrk on each at once; then visibility and the scrape on a replica that did not take the pushes.
  o.log('  r: three replicas');
  redis = await startRedis();
  const three = [await replica(redis), await replica(redis), await replica(redis)];
  const threePush = await Promise.all(three.map((g) => runWrk(g.url, pushLoad(o.windowMs, 17))));
  const threeLat = await pushLatencies(three[0]!.url, 8, o.windowMs);
  row(
    'push.3',
    'checked PUT through 3 replicas at once (sum), 3 × 17 conns',
    'req/s',
    'higher',
    [rate(threePush)],
    errorsNote(threePush),
  );
  row('push.3.latency', 'checked PUT latency, 1 of 3 replicas, 8 conns', 'ms p50/p99', 'lower', [
    percentile(threeLat, 0.5),
    percentile(threeLat, 0.99),
  ]);
  await kill(...three);
  await redis.stop();
  // Visibility on three fresh replicas: B then holds the 1k groups of the load (and the probe's), as the
  // row says, not the ~21k the push rows left, whose scrape alone took 45 ms p50 and 200-400 ms under GC
  // (docs/high-availability.md, "Where the visibility delay goes").
  o.log('  r: visibility');
  redis = await startRedis();
  const fresh = [await replica(redis), await replica(redis), await replica(redis)];
  const vis = await visibility(fresh[0]!, fresh[1]!, o.windowMs * 3);
  row(
    'visibility',
    'visibility, ack on A → on B’s /metrics, A under load (8 conns, 1k groups)',
    'ms p50/p99',
    'lower',
    [percentile(vis, 0.5), percentile(vis, 0.99)],
    `(${vis.length} probes)`,
  );
  await kill(...fresh);
  await redis.stop();

  o.log('  r: scrape on a replica');
  redis = await startRedis();
  const [a, b] = [await replica(redis), await replica(redis)];
  const memForScrape = await startGateway('ours', ['--log.level=warn']);
  await loadGroups(a.url, 10_000);
  await loadGroups(memForScrape.url, 10_000);
  await waitGroups(b.url, 10_000);
  await noSnapshotInProgress(redis);
  const [memScrape, repScrape] = await scrapesSideBySide([memForScrape.url, b.url], o.scrapeBudget);
  await kill(a, b, memForScrape);
  await redis.stop();
  row('scrape.memory', 'GET /metrics, 10k groups × 10 metrics, memory store', 'ms p50/p99', 'lower', [
    percentile(memScrape, 0.5),
    percentile(memScrape, 0.99),
  ]);
  row(
    'scrape.replica',
    'GET /metrics, same 10k groups, on a replica (alternating with the above)',
    'ms p50/p99',
    'lower',
    [percentile(repScrape, 0.5), percentile(repScrape, 0.99)],
  );

  const memoryRows: Array<{ n: number; perSeries: number }> = [];
  for (const n of o.catchUpSizes) {
    o.log(`  r: catch-up at ${n} groups`);
    redis = await startRedis();
    const before = await usedMemory(redis);
    const loader = await replica(redis);
    await loadGroups(loader.url, n);
    // Not while a snapshot is being committed: its argument and the string it replaces are both held then.
    await noSnapshotInProgress(redis);
    const after = await usedMemory(redis);
    const { ms, gw } = await catchUp(redis);
    const own = await (await fetch(`${gw.url}/metrics`)).text();
    const restored = /^pushgateway_store_snapshot_restores_total 1$/m.test(own);
    const replayed = /^pushgateway_store_log_entries_applied_total (\d+)$/m.exec(own)?.[1] ?? '?';
    const logLen = await (async () => {
      const c = createClient({ url: redis.url });
      await c.connect();
      const len = await c.xLen('pushgateway:log');
      await c.quit();
      return len;
    })();
    await kill(loader, gw);
    await redis.stop();
    const series = n * METRICS_PER_BODY;
    memoryRows.push({ n, perSeries: (after - before) / series });
    row(
      `catchup.${n}`,
      `catch-up of a fresh replica, ${n / 1000}k groups (spawn → ready)`,
      'ms',
      'lower',
      [ms],
      `(${restored ? 'the snapshot + ' : 'no snapshot, '}${replayed} entries replayed)`,
    );
    row(
      `memory.${n}`,
      `Redis used_memory per pushed series, ${n / 1000}k groups`,
      'bytes',
      'lower',
      [(after - before) / series],
      `(${logLen} log entries${restored ? ' + the gzipped snapshot' : ''})`,
    );
  }

  const targets: TargetCheck[] = [
    {
      target: 'r: one Redis-backed replica ≥ half the memory store’s checked pushes/s',
      measured:
        `${Math.round(onePush.perSecond)} vs ${Math.round(memPush.perSecond)} req/s ` +
        `(${(onePush.perSecond / memPush.perSecond).toFixed(2)}×)`,
      met: onePush.perSecond >= memPush.perSecond / 2,
    },
    {
      target: 'r: visibility delay p99 < 100 ms',
      measured: `${percentile(vis, 0.99).toFixed(1)} ms`,
      met: percentile(vis, 0.99) < 100,
    },
    {
      target: 'r: scrape at 10k groups on a replica within 1.2× of the memory store (p50)',
      measured: `${(percentile(repScrape, 0.5) / percentile(memScrape, 0.5)).toFixed(2)}×`,
      met: percentile(repScrape, 0.5) <= 1.2 * percentile(memScrape, 0.5),
    },
    {
      target: 'r: three replicas do not lower the total push rate',
      measured: `${Math.round(rate(threePush))} vs ${Math.round(onePush.perSecond)} req/s`,
      met: rate(threePush) >= onePush.perSecond,
    },
  ];
  return { rows, targets };
}
