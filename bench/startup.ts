/**
 * Start-up time and size of the single executable against bin/pushgateway (Node + dist/) and the Go
 * reference: each is spawned on a free loopback port, and the time from spawn() to the first 200 from
 * /-/ready is taken, RUNS times each, alternating, median and spread printed. Needs dist/binary/pushgateway
 * (`npm run build:binary`). Usage: node dist/bench/startup.js [runs]   (docs/packaging.md has the numbers)
 */
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { freePort, OUR_BIN, PROJECT_ROOT, REFERENCE_BIN } from '../test/helpers/servers.js';

const RUNS = Number(process.argv[2] ?? 15);
const BINARY = path.join(PROJECT_ROOT, 'dist/binary/pushgateway');

async function startToReady(cmd: string, extra: string[]): Promise<number> {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(cmd, [`--web.listen-address=127.0.0.1:${port}`, ...extra], { stdio: 'ignore' });
  try {
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/-/ready`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) return performance.now() - t0;
      if (performance.now() - t0 > 20_000) throw new Error(`${cmd} not ready after 20 s`);
      await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

const targets: [string, string, string[]][] = [
  ['single executable', BINARY, []],
  ['bin/pushgateway (node + dist)', OUR_BIN, []],
  ['reference 1.5.1', REFERENCE_BIN, ['--persistence.file=']],
];
const times = new Map<string, number[]>(targets.map(([name]) => [name, []]));
for (let i = 0; i < RUNS; i++) {
  for (const [name, cmd, extra] of targets) {
    if (existsSync(cmd)) times.get(name)!.push(await startToReady(cmd, extra));
  }
}
for (const [name, cmd] of targets) {
  const t = times.get(name)!.sort((a, b) => a - b);
  if (t.length === 0) {
    process.stdout.write(`${name}: missing (${cmd})\n`);
    continue;
  }
  const size = (statSync(cmd).size / 2 ** 20).toFixed(1);
  const q = (p: number) => t[Math.min(t.length - 1, Math.floor(p * t.length))]!.toFixed(0);
  process.stdout.write(`${name}: ${size} MiB file; spawn to /-/ready median ${q(0.5)} ms (min ${q(0)}, max ${q(1)})\n`);
}
