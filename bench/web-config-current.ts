/**
 * What following --web.config.file costs a request: WebConfigSource.current() called 1M times in a loop,
 * for the reloader (a real file, watchers on) and for a fixed config, in alternating rounds (the stat
 * timer fires between rounds, so some rounds include starting a stat check). Prints ns per call per round.
 * Run: node dist/bench/web-config-current.js [rounds]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { createLogger } from '../src/observe/logger.js';
import { WebConfigReloader } from '../src/web-config/web-config-reloader.js';
import { fixedWebConfig, type WebConfigSource } from '../src/web-config/web-config-source.js';
import { sleep } from './stats.js';

const CALLS = 1_000_000;

function nsPerCall(source: WebConfigSource): number {
  let users = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) users += source.current().http2 ? 1 : 0;
  const ns = Number(process.hrtime.bigint() - start) / CALLS;
  if (users !== CALLS) throw new Error('the loop was not run');
  return ns;
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 7);
  const dir = mkdtempSync(path.join(tmpdir(), 'pgw-bench-webcfg-'));
  const file = path.join(dir, 'web.yml');
  writeFileSync(file, `basic_auth_users:\n  alice: ${bcrypt.hashSync('pw', 4)}\n`);
  const reloader = WebConfigReloader.open(file, createLogger({ level: 'info', format: 'logfmt' }));
  const fixed = fixedWebConfig(reloader.current());
  const results: Record<string, number[]> = { reloader: [], fixed: [] };
  for (let r = 0; r < rounds; r++) {
    results.reloader!.push(nsPerCall(reloader));
    results.fixed!.push(nsPerCall(fixed));
    await sleep(400);
  }
  reloader.close();
  rmSync(dir, { recursive: true, force: true });
  for (const [name, ns] of Object.entries(results)) {
    const sorted = [...ns].sort((a, b) => a - b);
    console.log(
      `${name.padEnd(9)} current(): min ${sorted[0]!.toFixed(1)} ns, median ` +
        `${sorted[Math.floor(sorted.length / 2)]!.toFixed(1)} ns per call ` +
        `(rounds: ${ns.map((n) => n.toFixed(1)).join(' ')})`,
    );
  }
}

await main();
