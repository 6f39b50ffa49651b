/**
 * `npm run bench`: ours against the reference Pushgateway on loopback, one table of results.
 *   --quick         1k / 10k groups only, 2 s windows, one A/B round, smaller sample budgets (about a minute)
 *   --only a,b,c    run only these scenarios (cal, a, a2, b, c, d, e, f, g, w, h, m, t, x, r)
 *   --json FILE     also write every row, target check and raw sample to FILE
 * Scenario t (tls-cost.ts) is what TLS and basic auth from --web.config.file cost (issue 10, "Cost").
 * Scenario r (redis-ha.ts) is the Redis store with one and three replicas (issue 11, ours only).
 * Progress goes to stderr; the machine, the table and the target checks go to stdout.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { installExitHooks } from './gateways.js';
import { referenceAvailable, REFERENCE_BIN, PROJECT_ROOT } from '../test/helpers/servers.js';
import { ensureWrk } from './wrk.js';
import { renderTable, renderTargets, ratios, type Row } from './report.js';
import { runThroughput, throughputSpecs, type ThroughputResult } from './throughput.js';
import { runSized, type SideResult, type SizedOptions, type SizedPart } from './sized.js';
import { sizedRows } from './sized-rows.js';
import { checkTargets } from './targets.js';
import { runWipe, wipeRows, type WipeSide } from './wipe.js';
import { FAMILY_COST_N, familyCostRows, runFamilyCost } from './family-cost.js';
import type { SampleBudget } from './stats.js';
import { runStall, stallCheck, stallRows, type StallSide } from './stall.js';
import { runTlsCost, type TlsCostResult } from './tls-cost.js';
import { lifecycleChecks, lifecycleRows, runLifecycle, type LifecycleResult } from './lifecycle.js';
import { runRedisHa } from './redis-ha.js';
import type { TargetCheck } from './report.js';

const ALL = ['cal', 'a', 'a2', 'b', 'c', 'd', 'e', 'f', 'g', 'w', 'h', 'm', 't', 'x', 'r'] as const;
const SIZED: readonly SizedPart[] = ['c', 'd', 'e', 'f', 'g'];

interface Options {
  quick: boolean;
  only: Set<string>;
  json?: string;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { quick: false, only: new Set(ALL) };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const eq = a.indexOf('=');
      if (eq >= 0) return a.slice(eq + 1);
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      o.only = new Set(
        value()
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== ''),
      );
      for (const s of o.only)
        if (!(ALL as readonly string[]).includes(s)) throw new Error(`unknown scenario ${s}; known: ${ALL.join(',')}`);
    } else if (a === '--json' || a.startsWith('--json=')) o.json = value();
    else throw new Error(`unknown argument ${a}; usage: run.js [--quick] [--only a,b,c] [--json FILE]`);
  }
  return o;
}

/** Installs the reference from Debian when it is missing, and stops the service Debian starts with it. */
function ensureReference(): void {
  if (!referenceAvailable()) {
    spawnSync(
      'sh',
      [
        '-c',
        'apt-get install -y -qq prometheus-pushgateway >/dev/null 2>&1 || (apt-get update -qq && apt-get ' +
          'install -y -qq prometheus-pushgateway)',
      ],
      { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } },
    );
    spawnSync(
      'sh',
      ['-c', 'systemctl stop prometheus-pushgateway 2>/dev/null; pkill -x prometheus-pushgateway 2>/dev/null'],
      { stdio: 'ignore' },
    );
  }
  if (!referenceAvailable())
    throw new Error(
      `${REFERENCE_BIN} is missing and could not be installed (apt-get install -y prometheus-pushgateway)`,
    );
}

function machine(): Record<string, string> {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const ref = spawnSync(REFERENCE_BIN, ['--version'], { encoding: 'utf8' });
  const refVersion = `${ref.stdout}${ref.stderr}`.split('\n')[0]?.trim() || 'unknown';
  const git = spawnSync('git', ['-C', PROJECT_ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  const dirty =
    spawnSync('git', ['-C', PROJECT_ROOT, 'status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).stdout.trim() !==
    '';
  const pkg = JSON.parse(readFileSync(`${PROJECT_ROOT}/package.json`, 'utf8')) as { version: string };
  return {
    cpu: model,
    cores: String(os.cpus().length),
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    ours:
      `pushgateway-ts ${pkg.version} ` +
      `(${git.stdout.trim() || 'no git'}${dirty ? ', src/ has uncommitted changes' : ''})`,
    reference: refVersion,
    'load avg': `${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')} (1/5/15 min, at start; other work on the machine skews results)`,
  };
}

interface Budgets {
  windowMs: number;
  /** A/B rounds per throughput row; the table shows the median. */
  rounds: number;
  sizes: number[];
  scrape: SampleBudget;
  push: SampleBudget;
}

function budgets(quick: boolean): Budgets {
  return quick
    ? {
        windowMs: 2_000,
        rounds: 1,
        sizes: [1_000, 10_000],
        scrape: { max: 10, min: 2, capMs: 5_000 },
        push: { max: 200, min: 5, capMs: 5_000 },
      }
    : {
        windowMs: 5_000,
        rounds: 3,
        sizes: [1_000, 10_000, 100_000],
        scrape: { max: 20, min: 3, capMs: 20_000 },
        push: { max: 200, min: 5, capMs: 20_000 },
      };
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  ensureReference();
  ensureWrk();
  installExitHooks();
  const started = Date.now();
  const log = (s: string): void => {
    console.error(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${s}`);
  };
  const m = machine();
  console.log('Machine:');
  for (const [k, v] of Object.entries(m)) console.log(`  ${k.padEnd(10)} ${v}`);
  const b = budgets(opts.quick);
  console.log(
    `Mode: ${opts.quick ? 'quick' : 'full'}; scenarios ${[...opts.only].join(',')}; loopback; load ` +
      `generator: wrk (throughput rows a, a2, b, cal, e, t), node:http keep-alive (latency rows)\n`,
  );

  const rows: Row[] = [];
  const throughput: Record<string, ThroughputResult['runs']> = {};
  for (const spec of throughputSpecs()) {
    if (!opts.only.has(spec.id)) continue;
    log(`scenario ${spec.id}`);
    const t = await runThroughput(spec, b.windowMs, b.rounds, log);
    rows.push(t.row);
    throughput[spec.id] = t.runs;
  }
  const parts = new Set(SIZED.filter((p) => opts.only.has(p)));
  let sized: Record<string, SideResult> | undefined;
  if (parts.size > 0) {
    const so: SizedOptions = {
      sizes: b.sizes,
      parts,
      loadCapMs: 120_000,
      windowMs: b.windowMs,
      scrapeBudget: b.scrape,
      pushBudget: b.push,
      tmpDir: os.tmpdir(),
      log,
    };
    log(`scenarios ${[...parts].join(',')}: ours`);
    const ours = await runSized('ours', so);
    log(`scenarios ${[...parts].join(',')}: reference`);
    const reference = await runSized('reference', so);
    sized = { ours, reference };
    rows.push(...sizedRows(ours, reference, b.sizes, parts, b.scrape, b.push));
  }
  let wipe: Record<string, WipeSide> | undefined;
  if (opts.only.has('w')) {
    // The reference's wipe is one queued delete per group competing with the pushes (issue #384): cap it.
    const capMs = opts.quick ? 30_000 : 120_000;
    log('scenario w: ours');
    const ours = await runWipe('ours', capMs, os.tmpdir(), log);
    log('scenario w: reference');
    const reference = await runWipe('reference', capMs, os.tmpdir(), log);
    wipe = { ours, reference };
    rows.push(...wipeRows(ours, reference));
  }
  let stall: Record<string, StallSide> | undefined;
  if (opts.only.has('h')) {
    const names = opts.quick ? 300_000 : 1_000_000;
    const ours = await runStall('ours', names, log);
    const reference = await runStall('reference', names, log);
    stall = { ours, reference };
    rows.push(...stallRows(ours, reference, names));
  }
  if (opts.only.has('m')) {
    // --quick measures a tenth of the size: the per-unit cost hardly depends on it.
    const n = opts.quick ? FAMILY_COST_N / 10 : FAMILY_COST_N;
    log('scenario m: ours');
    const ours = await runFamilyCost('ours', n, log);
    log('scenario m: reference');
    const reference = await runFamilyCost('reference', n, log);
    rows.push(...familyCostRows(ours, reference, n));
  }
  let tls: Omit<TlsCostResult, 'rows'> | undefined;
  if (opts.only.has('t')) {
    const t = await runTlsCost({
      windowMs: b.windowMs,
      rounds: b.rounds,
      scrapeBudget: b.scrape,
      loadCapMs: 120_000,
      tmpDir: os.tmpdir(),
      log,
    });
    rows.push(...t.rows);
    tls = { push: t.push, scrape: t.scrape };
  }
  let lifecycle: LifecycleResult | undefined;
  if (opts.only.has('x')) {
    log('scenario x: ours (lifecycle, issue 12)');
    lifecycle = await runLifecycle(opts.quick, log);
    rows.push(...lifecycleRows(lifecycle));
  }
  const redisTargets: TargetCheck[] = [];
  if (opts.only.has('r')) {
    log('scenario r: the Redis store');
    const r = await runRedisHa({
      windowMs: b.windowMs,
      scrapeBudget: b.scrape,
      catchUpSizes: [10_000, 100_000],
      log,
    });
    rows.push(...r.rows);
    redisTargets.push(...r.targets);
  }
  const seconds = (Date.now() - started) / 1000;
  console.log(renderTable(rows));
  const targets = [
    ...checkTargets(rows),
    stallCheck(rows),
    ...(lifecycle === undefined ? [] : lifecycleChecks(lifecycle)),
    ...redisTargets,
  ].filter((c) => c.measured !== 'not run');
  console.log(
    `\nTargets (issue "Performance"; t: issue 10 "Cost"; x: issue 12; r: issue 11):\n${renderTargets(targets)}`,
  );
  console.log(`\nTotal time ${seconds.toFixed(0)} s.`);
  if (opts.json !== undefined) {
    const out = {
      machine: m,
      mode: opts.quick ? 'quick' : 'full',
      scenarios: [...opts.only],
      budgets: b,
      startedAt: new Date(started).toISOString(),
      seconds,
      rows: rows.map((r) => ({ ...r, ratio: ratios(r) ?? null })),
      targets,
      raw: { throughput, sized, wipe, stall, tls, lifecycle },
    };
    writeFileSync(opts.json, `${JSON.stringify(out, null, 2)}\n`);
    console.log(`Wrote ${opts.json}`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
