/**
 * `node dist/bench/profile.js <a|a2|b|c> [--top N] [--out DIR]`: one benchmark scenario against ours
 * running under `node --cpu-prof`, then the top self-time functions and files of the profile.
 * For c the store is loaded first and only the samples after a deliberate idle second (the scrapes)
 * are counted. Profiles go to bench/results/ (git-ignored, as is *.cpuprofile).
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { installExitHooks, startOursProfiled, type Gateway } from './gateways.js';
import { keepAliveAgent, request, runLoad } from './load.js';
import { pushToGroup } from './workload.js';
import { sleep } from './stats.js';
import { PROJECT_ROOT } from '../test/helpers/servers.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const SCENARIOS: Record<string, { flags: string[]; afterIdle: boolean; run: (base: URL) => Promise<void> }> = {
  a: { flags: [], afterIdle: false, run: (base) => pushNewGroups(base, 200) },
  a2: { flags: ['--push.disable-consistency-check'], afterIdle: false, run: (base) => pushNewGroups(base, 202) },
  b: {
    flags: [],
    afterIdle: false,
    run: async (base) => {
      await runLoad(base, {
        concurrency: 50,
        durationMs: 5_000,
        maxRequests: 1e6,
        expect: [200],
        make: (i) => pushToGroup('POST', 'hot', i),
      });
    },
  },
  c: { flags: [], afterIdle: true, run: scrapesAt10k },
};

async function pushNewGroups(base: URL, status: number): Promise<void> {
  await runLoad(base, {
    concurrency: 50,
    durationMs: 10_000,
    maxRequests: 10_000,
    expect: [status],
    make: (i) => pushToGroup('PUT', `i${i}`, i),
  });
}

async function scrapesAt10k(base: URL): Promise<void> {
  await runLoad(base, {
    concurrency: 50,
    durationMs: 60_000,
    maxRequests: 10_000,
    expect: [200],
    make: (i) => pushToGroup('PUT', `i${i}`, i),
  });
  await request(base, keepAliveAgent(1), { method: 'GET', path: '/metrics' });
  await sleep(1500); // the marker: samples after the longest idle stretch are the scrapes
  const agent = keepAliveAgent(1);
  for (const gzip of [false, true]) {
    for (let k = 0; k < 20; k++) {
      await request(base, agent, pushToGroup('PUT', 'i0', k));
      await request(base, agent, {
        method: 'GET',
        path: '/metrics',
        headers: gzip ? { 'Accept-Encoding': 'gzip' } : {},
      });
    }
  }
  agent.destroy();
}

/** Index of the first sample after the longest run of (idle) samples. */
function afterLongestIdle(p: CpuProfile, idleId: number | undefined): number {
  let best = 0;
  let bestLen = 0;
  let runStart = -1;
  let runLen = 0;
  for (let i = 0; i < p.samples.length; i++) {
    if (p.samples[i] === idleId) {
      if (runStart < 0) {
        runStart = i;
        runLen = 0;
      }
      runLen += p.timeDeltas[i + 1] ?? 0;
      if (runLen > bestLen) {
        bestLen = runLen;
        best = i + 1;
      }
    } else {
      runStart = -1;
    }
  }
  return best;
}

function where(n: ProfileNode): string {
  const { url, lineNumber } = n.callFrame;
  if (url === '') return '';
  const file = url.startsWith('file://') ? path.relative(PROJECT_ROOT, new URL(url).pathname) : url;
  return `${file}:${lineNumber + 1}`;
}

function summarize(p: CpuProfile, fromSample: number, top: number): string {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const fn = new Map<string, number>();
  const files = new Map<string, number>();
  let busy = 0;
  for (let i = fromSample; i < p.samples.length; i++) {
    const n = byId.get(p.samples[i]!)!;
    const us = p.timeDeltas[i + 1] ?? 0;
    if (n.callFrame.functionName === '(idle)') continue;
    busy += us;
    const key = `${n.callFrame.functionName || '(anonymous)'}  ${where(n)}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
    const file = where(n).replace(/:\d+$/, '') || n.callFrame.functionName;
    files.set(file, (files.get(file) ?? 0) + us);
  }
  const table = (m: Map<string, number>, n: number): string =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, us]) => {
        const ms = (us / 1000).toFixed(0).padStart(7);
        return `  ${ms} ms ${((100 * us) / busy).toFixed(1).padStart(5)}%  ${k}`;
      })
      .join('\n');
  return (
    `busy ${(busy / 1000).toFixed(0)} ms (idle excluded)\n\nTop self time by ` +
    `function:\n${table(fn, top)}\n\nBy file:\n${table(files, 12)}`
  );
}

function newestProfile(dir: string, since: number): string {
  const found = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(dir, f))
    .filter((f) => statSync(f).mtimeMs >= since)
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (found.length === 0) throw new Error(`no .cpuprofile written to ${dir}`);
  return found[0]!;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const name = args[0] ?? '';
  const scenario = SCENARIOS[name];
  if (scenario === undefined)
    throw new Error(`usage: profile.js <${Object.keys(SCENARIOS).join('|')}> [--top N] [--out DIR]`);
  const opt = (flag: string): string | undefined => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const top = Number(opt('--top') ?? 20);
  const dir = path.resolve(opt('--out') ?? path.join(PROJECT_ROOT, 'bench/results'));
  mkdirSync(dir, { recursive: true });
  installExitHooks();
  const since = Date.now();
  const gw: Gateway = await startOursProfiled(scenario.flags, dir);
  await scenario.run(new URL(gw.url));
  await gw.shutdown(60_000);
  const file = newestProfile(dir, since);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const idle = profile.nodes.find((n) => n.callFrame.functionName === '(idle)')?.id;
  console.log(`scenario ${name}: ${file}`);
  console.log(summarize(profile, scenario.afterIdle ? afterLongestIdle(profile, idle) : 0, top));
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
