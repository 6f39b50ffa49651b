/**
 * Scenario x (issue 12, docs/lifecycle.md), ours only (the reference has no TTL):
 *  1. push throughput with X-Pushgateway-TTL on every push against the same pushes without it, judged by
 *     the gateway's CPU per push (a CPU-bound server's throughput at saturation is 1 / CPU per push): two
 *     gateways of this build loaded together at one fixed rate (paired-load.ts), after an A/A control of
 *     the same instrument (target: the median of the per-window ratios ≥ 0.95×);
 *  2. 100,000 groups falling due together (each pushed with a TTL that ends at one instant) while 8 clients
 *     keep pushing to other groups: the time from the due instant until every one is gone (counted from
 *     the gateway's `group expired` log lines), the pushes served meanwhile, the longest answer of a
 *     sequential /-/healthy probe and of those pushes, and the longest event-loop pause inside the gateway
 *     over exactly that interval, from a timer probe preloaded into it (loop-gaps.ts; target: < 50 ms).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GAP_REPORTED_MS, longestGap } from './loop-gaps.js';
import { startOurs, type RunningGateway } from '../test/helpers/servers.js';
import { keepAliveAgent, request, runLoad, type BenchRequest } from './load.js';
import { runPaired, type PairedSide } from './paired-load.js';
import { bodyFor } from './workload.js';
import { cell, missing, type Row, type TargetCheck } from './report.js';
import { sleep } from './stats.js';

const THROUGHPUT_GROUPS = 1_000;
/**
 * PUTs per second to each gateway in the TTL cost rows: each then takes about a third of a core, and the
 * bench's client (both streams) about half of one; at 2,000/s the client no longer held the rate.
 */
const RATE_PER_SIDE = 1_200;
const EXPIRE_GROUPS = 100_000;
const LIVE_PUSHERS = 8;
const NO_TTL = 'n/a (no TTL in the reference)';

export interface LifecycleResult {
  /** The gateways' CPU µs per push in each window (paired-load.ts), with and without the TTL header. */
  cpuWithTtlUs: number[];
  cpuWithoutTtlUs: number[];
  /** The A/A control's per-window ratios (both without the header): the instrument's own spread. */
  controlRatios: number[];
  /** PUTs per second sent to each of the two gateways. */
  ratePerSide: number;
  expire?: {
    ms: number;
    pushesServed: number;
    pushRate: number;
    maxHealthMs: number;
    maxPushMs: number;
    /**
     * The gateway's own longest event-loop delay (nodejs_eventloop_lag_max_seconds) over its window: from
     * a scrape some seconds before the due time (that scrape of 100k groups included) to the last expiry.
     */
    maxLoopMs: number;
    /**
     * The longest event-loop pause inside the gateway from the due time to the last expiry (loop-gaps.ts);
     * 0 when none was over GAP_REPORTED_MS.
     */
    maxGapMs: number;
  };
  note?: string;
}

const put = (path: string, i: number, headers: Record<string, string> = {}): BenchRequest => ({
  method: 'PUT',
  path,
  body: bodyFor(i),
  headers: { 'Content-Type': 'text/plain; version=0.0.4', ...headers },
});

type Throughput = Pick<LifecycleResult, 'cpuWithTtlUs' | 'cpuWithoutTtlUs' | 'controlRatios' | 'ratePerSide'>;

/**
 * Two fresh gateways of this build loaded together by paired-load.ts at a fixed rate, the same PUTs to
 * each: first both without a header (the A/A control: what the instrument reads for no difference), then
 * one with X-Pushgateway-TTL on every push. The TTL side's groups get their states in its first window,
 * which is not counted.
 */
async function throughput(quick: boolean, log: (s: string) => void): Promise<Throughput> {
  const plain = await startOurs(['--log.level=warn']);
  const ttl = await startOurs(['--log.level=warn']);
  try {
    const windowMs = quick ? 3_000 : 4_000;
    const side = (gw: RunningGateway, headers: Record<string, string>): PairedSide => ({
      url: gw.url,
      pid: gw.process.pid!,
      make: (i) => put(`/metrics/job/x/instance/g${i % THROUGHPUT_GROUPS}`, i, headers),
    });
    const opts = { ratePerSide: RATE_PER_SIDE, windowMs, expect: [200] };
    const control = await runPaired([side(plain, {}), side(ttl, {})], { ...opts, windows: quick ? 5 : 7 });
    const controlRatios = control.cpuUs.map(([a, b]) => a! / b!);
    log(`x: A/A control, CPU per push ratios ${controlRatios.map((x) => x.toFixed(3)).join(' ')}`);
    const measured = await runPaired([side(plain, {}), side(ttl, { 'X-Pushgateway-TTL': '1h' })], {
      ...opts,
      windows: quick ? 9 : 13,
    });
    const sent = measured.answered.reduce((a, b) => a + b, 0) + measured.skipped;
    if (measured.skipped > 0)
      log(`x: WARNING ${measured.skipped} of ${sent} requests skipped (a gateway had 32 in flight): the rate dipped`);
    for (const [w, [a, b]] of measured.cpuUs.entries())
      log(`x: window ${w + 1}: CPU per push without TTL ${a!.toFixed(0)} µs, with ${b!.toFixed(0)} µs`);
    return {
      cpuWithoutTtlUs: measured.cpuUs.map(([a]) => a!),
      cpuWithTtlUs: measured.cpuUs.map(([, b]) => b!),
      controlRatios,
      ratePerSide: RATE_PER_SIDE,
    };
  } finally {
    await Promise.all([plain.stop(), ttl.stop()]);
  }
}

/**
 * The gateway's longest event-loop delay since its previous self-metrics sample, in ms, read from its own
 * /metrics (its sampling window restarts at each new sample, at most once a second). Measured inside the
 * gateway: the answer times of the bench's probes also hold the bench process's own pauses.
 */
async function loopMaxMs(base: URL, agent: ReturnType<typeof keepAliveAgent>): Promise<number> {
  // A sample is kept for the rest of its second: wait into the next one so this read starts a new window.
  await sleep(1000 - (Date.now() % 1000) + 5);
  let tail = '';
  let found: number | undefined;
  const res = await request(
    base,
    agent,
    { method: 'GET', path: '/metrics', headers: { 'Accept-Encoding': 'identity' } },
    {
      onChunk: (c) => {
        if (found !== undefined) return;
        const text = tail + c.toString('latin1');
        const m = /\nnodejs_eventloop_lag_max_seconds (\S+)\n/.exec(text);
        if (m !== null) found = Number(m[1]) * 1000;
        tail = text.slice(-200);
      },
    },
  );
  if (res.status !== 200 || found === undefined) throw new Error('no nodejs_eventloop_lag_max_seconds on /metrics');
  return found;
}

/**
 * Counts `group expired` log lines as they arrive, chunk by chunk (a line cut between two chunks is found
 * with the carried tail), so the bench never rescans or flattens the whole output: a slow reader of the
 * gateway's stderr pipe would block the gateway's (synchronous) log writes and show as its pauses.
 */
function expiredCounter(gw: RunningGateway): () => number {
  const needle = 'msg="group expired"';
  let tail = '';
  let n = 0;
  gw.process.stderr!.on('data', (d: Buffer) => {
    const text = tail + d.toString('latin1');
    for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length)) n++;
    tail = text.slice(-(needle.length - 1));
  });
  return () => n;
}

async function expireTogether(log: (s: string) => void): Promise<NonNullable<LifecycleResult['expire']>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'pgts-bench-x-'));
  const gapsFile = path.join(dir, 'gaps.txt');
  const probe = fileURLToPath(new URL('./loop-gaps.js', import.meta.url));
  const env = { ...process.env, NODE_OPTIONS: `--import=${probe}`, PGTS_LOOP_GAPS_FILE: gapsFile };
  const gw = await startOurs([], { spawn: { env } });
  try {
    const base = new URL(gw.url);
    const path = (i: number): string => `/metrics/job/expire/instance/e${i}`;
    // Load once to learn the rate, then push every group again with a TTL ending at one instant after
    // the second pass will have finished.
    const first = await runLoad(base, {
      concurrency: 32,
      durationMs: 300_000,
      maxRequests: EXPIRE_GROUPS,
      expect: [200],
      make: (i) => put(path(i), i),
    });
    if (first.requests < EXPIRE_GROUPS || first.errors > 0) throw new Error(`loading: ${first.firstError ?? ''}`);
    const due = Date.now() + first.seconds * 1000 * 2 + 5_000;
    const dueIn = (due - Date.now()).toFixed(0);
    log(`x: ${EXPIRE_GROUPS} groups loaded at ${first.perSecond.toFixed(0)}/s; all due in ${dueIn} ms`);
    // Counting from before the TTL pass: should it run into the due time, the early expiries count too.
    const expired = expiredCounter(gw);
    const second = await runLoad(base, {
      concurrency: 32,
      durationMs: 300_000,
      maxRequests: EXPIRE_GROUPS,
      expect: [200],
      make: (i) => put(path(i), i, { 'X-Pushgateway-TTL': `${Math.max(1, due - Date.now())}ms` }),
    });
    if (second.errors > 0) throw new Error(`re-push with TTL: ${second.firstError ?? ''}`);
    if (Date.now() > due - 500) log('x: WARNING the TTL pass ran into the due time');
    let stop = false;
    let served = 0;
    let maxPushMs = 0;
    let maxHealthMs = 0;
    const agent = keepAliveAgent(LIVE_PUSHERS + 1);
    const pusher = async (w: number): Promise<void> => {
      for (let i = 0; !stop; i++) {
        const res = await request(base, agent, put(`/metrics/job/live/instance/w${w}-${i % 100}`, i));
        if (res.status === 200) served++;
        if (Date.now() >= due) maxPushMs = Math.max(maxPushMs, res.ms);
      }
    };
    const prober = async (): Promise<void> => {
      while (!stop) {
        const res = await request(base, agent, { method: 'GET', path: '/-/healthy' });
        if (Date.now() >= due) maxHealthMs = Math.max(maxHealthMs, res.ms);
        await sleep(5);
      }
    };
    const load = [...Array.from({ length: LIVE_PUSHERS }, (_, w) => pusher(w)), prober()];
    // A scrape starts the gateway's own max-delay window (nodejs_eventloop_lag_max_seconds) before the due
    // time (the window then also holds that scrape of 100k groups and the quiet time before the due time).
    const scrapeStarted = Date.now();
    await loopMaxMs(base, agent);
    log(
      `x: window scrape took ${Date.now() - scrapeStarted} ms, ${(due - Date.now()).toFixed(0)} ms before the due time`,
    );
    while (Date.now() < due) await sleep(10);
    if (process.env.PGTS_BENCH_X_OUTPUT) log(`x: due at ${new Date(due).toISOString()}`);
    const servedAtDue = served;
    const capAt = Date.now() + 120_000;
    while (expired() < EXPIRE_GROUPS && Date.now() < capAt) await sleep(20);
    const doneAt = Date.now();
    let gaps = '';
    try {
      gaps = readFileSync(gapsFile, 'latin1');
    } catch {
      // No pause over 20 ms at all: the file was never written.
    }
    const maxGapMs = longestGap(gaps, due, doneAt);
    if (maxGapMs === undefined) throw new Error(`the loop-gap probe did not run in the gateway (${gapsFile})`);
    const maxLoopMs = await loopMaxMs(base, agent);
    const n = expired();
    stop = true;
    await Promise.all(load);
    agent.destroy();
    if (n < EXPIRE_GROUPS) throw new Error(`only ${n} of ${EXPIRE_GROUPS} groups expired within 120 s`);
    const ms = doneAt - due;
    const pushesServed = served - servedAtDue;
    const pushRate = pushesServed / Math.max(0.001, ms / 1000);
    return { ms, pushesServed, pushRate, maxHealthMs, maxPushMs, maxLoopMs, maxGapMs };
  } finally {
    await gw.stop();
    rmSync(dir, { recursive: true, force: true });
    // Diagnostics (e.g. with PGTS_NODE_FLAGS=--trace-gc): the gateway's whole output to a file.
    const dump = process.env.PGTS_BENCH_X_OUTPUT;
    if (dump !== undefined && dump !== '') writeFileSync(dump, gw.output());
  }
}

export async function runLifecycle(quick: boolean, log: (s: string) => void): Promise<LifecycleResult> {
  const t = await throughput(quick, log);
  try {
    return { ...t, expire: await expireTogether(log) };
  } catch (err) {
    return { ...t, note: `expiry run failed: ${(err as Error).message}` };
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export function lifecycleRows(r: LifecycleResult): Row[] {
  const rows: Row[] = [
    {
      id: 'x',
      key: 'x.push.cpu_without_ttl',
      label:
        `x: gateway CPU per PUT to ${THROUGHPUT_GROUPS} groups at ${r.ratePerSide}/s, no lifecycle header` +
        ` (median of ${r.cpuWithoutTtlUs.length} windows)`,
      unit: 'µs',
      better: 'lower',
      ours: cell([median(r.cpuWithoutTtlUs)]),
      reference: missing(NO_TTL),
    },
    {
      id: 'x',
      key: 'x.push.cpu_with_ttl',
      label:
        `x: gateway CPU per PUT to ${THROUGHPUT_GROUPS} groups at ${r.ratePerSide}/s, X-Pushgateway-TTL on` +
        ' every push, loaded together with the one above (median)',
      unit: 'µs',
      better: 'lower',
      ours: cell([median(r.cpuWithTtlUs)]),
      reference: missing(NO_TTL),
    },
    {
      id: 'x',
      key: 'x.push.control_ratio',
      label: 'x: A/A control: the same instrument on two gateways both without the header (median ratio)',
      unit: '×',
      better: 'higher',
      ours: cell([median(r.controlRatios)]),
      reference: missing(NO_TTL),
    },
  ];
  const e = r.expire;
  const val = (v: number | undefined): ReturnType<typeof cell> =>
    v === undefined ? missing(r.note ?? 'n/a') : cell([v]);
  rows.push(
    {
      id: 'x',
      key: 'x.expire.100k.ms',
      label: `x: expire ${EXPIRE_GROUPS / 1000}k groups due together, from due time to the last gone`,
      unit: 'ms',
      better: 'lower',
      ours: val(e?.ms),
      reference: missing(NO_TTL),
    },
    {
      id: 'x',
      key: 'x.expire.push_rate',
      label: `x: PUT/s served meanwhile (${LIVE_PUSHERS} clients)`,
      unit: 'req/s',
      better: 'higher',
      ours: val(e?.pushRate),
      reference: missing(NO_TTL),
    },
    {
      id: 'x',
      key: 'x.expire.max_health',
      label: 'x: longest /-/healthy answer meanwhile (bounds the event-loop pause)',
      unit: 'ms',
      better: 'lower',
      ours: val(e?.maxHealthMs),
      reference: missing(NO_TTL),
    },
    {
      id: 'x',
      key: 'x.expire.max_gap',
      label: 'x: longest event-loop pause inside the gateway from the due time to the last expiry (timer probe)',
      unit: 'ms',
      better: 'lower',
      // The probe records only pauses over GAP_REPORTED_MS: 0 means none was, not a pause of 0 ms.
      ours: e !== undefined && e.maxGapMs === 0 ? missing(`none over ${GAP_REPORTED_MS} ms`) : val(e?.maxGapMs),
      reference: missing(NO_TTL),
    },
    {
      id: 'x',
      key: 'x.expire.max_loop',
      label:
        'x: longest event-loop delay inside the gateway from a scrape of the 100k groups before the due time' +
        ' to the last expiry (its nodejs_eventloop_lag_max_seconds)',
      unit: 'ms',
      better: 'lower',
      ours: val(e?.maxLoopMs),
      reference: missing(NO_TTL),
    },
    {
      id: 'x',
      key: 'x.expire.max_push',
      label: 'x: longest PUT answer meanwhile',
      unit: 'ms',
      better: 'lower',
      ours: val(e?.maxPushMs),
      reference: missing(NO_TTL),
    },
  );
  return rows;
}

export function lifecycleChecks(r: LifecycleResult): TargetCheck[] {
  // Per-window ratios: the two gateways of a window ran at the same moments of the machine.
  const capacity = r.cpuWithTtlUs.map((w, i) => r.cpuWithoutTtlUs[i]! / w);
  const decided = median(capacity);
  const list = (xs: number[]): string => xs.map((p) => p.toFixed(2)).join(', ');
  const checks: TargetCheck[] = [
    {
      target:
        '(x) push throughput with a TTL on every group ≥ 0.95× without' +
        ' (median of per-window ratios of CPU per push, without / with, loaded together)',
      measured:
        `${decided.toFixed(3)}× (per window ${list(capacity)};` +
        ` CPU per push ${median(r.cpuWithoutTtlUs).toFixed(0)} → ${median(r.cpuWithTtlUs).toFixed(0)} µs` +
        ` at ${r.ratePerSide}/s each; A/A control ${median(r.controlRatios).toFixed(3)}×,` +
        ` per window ${list(r.controlRatios)})`,
      met: decided >= 0.95,
    },
  ];
  const e = r.expire;
  checks.push({
    target:
      '(x) event loop never pauses > 50 ms while 100k groups expire (inside the gateway, due time to last expiry)',
    measured:
      e === undefined
        ? (r.note ?? 'not measured')
        : `${e.maxGapMs > 0 ? `${e.maxGapMs.toFixed(1)} ms` : `none over ${GAP_REPORTED_MS} ms`}` +
          ` (longest /-/healthy answer seen by the bench: ${e.maxHealthMs.toFixed(1)} ms;` +
          ` the gateway's own max from the scrape before the due time: ${e.maxLoopMs.toFixed(1)} ms)`,
    met: e === undefined ? undefined : e.maxGapMs < 50,
  });
  return checks;
}
