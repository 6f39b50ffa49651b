/**
 * `npm run soak`: a bounded soak of our gateway (dist/src/cli.js) with persistence on. Concurrent pushers
 * (text, protobuf delimited, gzip text; PUT and POST), deleters, scrapers (plain and gzip) and JSON API
 * readers run for --minutes (default 3) on a loopback port. At the end every group must hold its last
 * acknowledged push (or be absent after a delete), both live and after a restart from the persistence
 * file. RSS and open descriptors are sampled and must be flat after warm-up; /-/healthy latency p99
 * (measured from a worker thread) and the gateway's own nodejs_eventloop_lag_seconds are printed.
 * Exits 1 on any failed valid operation, any mismatch with the ledger, or a growing curve.
 *   --minutes=N     load duration (default 3)
 *   --groups=N      groups pushed to and deleted (default 200)
 *   --pause-ms=N    pause of every worker between two operations (default 5)
 *   --sample-s=N    resource sampling interval (default 3)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { startOurs, type RunningGateway } from '../test/helpers/servers.js';
import { Traffic } from './soak-traffic.js';
import { checkAgainstLedger, type CheckResult } from './soak-check.js';
import { judgeFlat, mib, renderCurve, samplePoint, type Point } from './soak-curve.js';
import { closeClient, send } from './soak-http.js';
import type { ProbeOutput } from './soak-probe.js';
import { percentile } from './stats.js';

function arg(name: string, fallback: number): number {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  if (a === undefined) return fallback;
  const v = Number(a.slice(name.length + 3));
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} needs a positive number`);
  return v;
}

const minutes = arg('minutes', 3);
const groups = Math.round(arg('groups', 200));
const pauseMs = arg('pause-ms', 5);
const sampleS = arg('sample-s', 3);

const dir = mkdtempSync(path.join(os.tmpdir(), 'pgts-soak-'));
const file = path.join(dir, 'soak.persist');
const flags = [`--persistence.file=${file}`, '--persistence.interval=2s'];
let gateway: RunningGateway | undefined;
process.on('exit', () => {
  if (gateway !== undefined && gateway.process.exitCode === null) gateway.process.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function errorLines(gw: RunningGateway): string[] {
  return gw
    .output()
    .split('\n')
    .filter((l) => /level=error/.test(l));
}

async function scrapeText(url: string): Promise<string> {
  const res = await send(`${url}/metrics`, 'GET');
  if (res.status !== 200) throw new Error(`final scrape answered ${res.status}`);
  return res.body.toString();
}

function printCheck(label: string, r: CheckResult): void {
  console.log(
    `${label}: ${r.checkedPushed} groups hold their last acknowledged push, ${r.checkedAbsent} absent as expected` +
      `${r.skipped > 0 ? `, ${r.skipped} skipped (last operation failed)` : ''}, ${r.problems.length} problems`,
  );
  for (const p of r.problems) console.log(`  ✗ ${p}`);
}

async function main(): Promise<number> {
  console.log(
    `soak: ${minutes} min, ${groups} groups, pause ${pauseMs} ms, sampling every ${sampleS} s, ` +
      `persistence ${flags.join(' ')}`,
  );
  gateway = await startOurs(flags);
  const pid = gateway.process.pid!;
  const started = Date.now();
  const points: Point[] = [samplePoint(pid, started)];
  const sampler = setInterval(() => points.push(samplePoint(pid, started)), sampleS * 1000);

  const probe = new Worker(new URL('./soak-probe.js', import.meta.url), {
    workerData: { url: gateway.url, intervalMs: 50 },
  });
  const probeDone = new Promise<ProbeOutput>((resolve, reject) => {
    probe.once('message', resolve);
    probe.once('error', reject);
  });

  const traffic = new Traffic(gateway.url, groups, pauseMs);
  const running = traffic.run();
  const progress = setInterval(() => {
    const c = traffic.counts;
    process.stderr.write(
      `  ${((Date.now() - started) / 1000).toFixed(0)} s: ${c.pushes} pushes, ${c.deletes} deletes, ` +
        `${c.scrapes} scrapes, ${c.apiReads} API reads, ${c.failures} failures, RSS ` +
        `${mib(points[points.length - 1]!.rss)}\n`,
    );
  }, 30_000);
  await new Promise((r) => setTimeout(r, minutes * 60_000));
  traffic.stop();
  await running;
  clearInterval(progress);
  clearInterval(sampler);
  points.push(samplePoint(pid, started));
  probe.postMessage('stop');
  const health = await probeDone;
  await probe.terminate();
  const elapsedS = (Date.now() - started) / 1000;

  const c = traffic.counts;
  console.log(
    `\nload: ${c.pushes} pushes, ${c.deletes} deletes, ${c.scrapes} scrapes, ${c.apiReads} JSON API reads ` +
      `in ${elapsedS.toFixed(0)} s` +
      ` (${((c.pushes + c.deletes + c.scrapes + c.apiReads) / elapsedS).toFixed(0)} req/s); failed ` +
      `operations: ${c.failures}`,
  );
  for (const e of c.examples) console.log(`  ✗ ${e}`);

  const live = checkAgainstLedger(await scrapeText(gateway.url), traffic.slots);
  printCheck('live check', live);

  // Persistence: a graceful stop writes the file, a restart must bring back exactly the same groups.
  const exitCode = await gateway.stop('SIGTERM');
  const errorsBefore = errorLines(gateway);
  gateway = await startOurs(flags);
  const restored = checkAgainstLedger(await scrapeText(gateway.url), traffic.slots);
  printCheck(`after restart from the persistence file (first gateway exited ${exitCode})`, restored);
  const errors = [...errorsBefore, ...errorLines(gateway)];
  await gateway.stop('SIGTERM');
  closeClient();
  console.log(`gateway error log lines: ${errors.length}`);
  for (const l of errors.slice(0, 5)) console.log(`  ${l.slice(0, 300)}`);

  console.log(`\nresources of the gateway (pid ${pid}), ${points.length} samples:\n${renderCurve(points)}`);
  const rssVerdict = judgeFlat(
    'RSS',
    points.map((p) => p.rss),
    0.1,
    16 * 1048576,
    mib,
  );
  const fdVerdict = judgeFlat(
    'open fds',
    points.map((p) => p.fds),
    0.1,
    8,
    (v) => String(Math.round(v)),
  );
  console.log(rssVerdict.text);
  console.log(fdVerdict.text);

  const lat = [...health.latenciesMs].sort((a, b) => a - b);
  console.log(
    `\n/-/healthy latency under load (worker-thread client, every 50 ms, ${lat.length} probes, ` +
      `${health.failures} failed):` +
      ` p50 ${percentile(lat, 0.5).toFixed(1)} ms, p99 ${percentile(lat, 0.99).toFixed(1)} ms, max ` +
      `${lat[lat.length - 1]!.toFixed(1)} ms`,
  );
  console.log(
    `gateway nodejs_eventloop_lag_seconds (mean delay per sampling period), max seen in scrapes: ` +
      `${(traffic.maxServerLagS * 1000).toFixed(1)} ms`,
  );

  const ok =
    c.failures === 0 &&
    health.failures === 0 &&
    live.problems.length === 0 &&
    restored.problems.length === 0 &&
    exitCode === 0 &&
    rssVerdict.flat &&
    fdVerdict.flat;
  console.log(`\nsoak ${ok ? 'PASSED' : 'FAILED'}`);
  return ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  },
);
