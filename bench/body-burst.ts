/**
 * Finding 4 of issue 8, measured: 100 concurrent 60 MiB uploads (PUTs with Content-Length) against a
 * gateway, printing RSS before the burst, its peak during it (sampled every 20 ms from /proc), and after
 * it (1 s and 5 s later), with how the uploads were answered. Ours holds at most --push.body-memory-limit
 * of bodies in flight and answers the rest 503 + Retry-After; the reference streams its bodies.
 *   node dist/bench/body-burst.js [ours|reference] [-- extra gateway flags]
 */
import http from 'node:http';
import { rssBytes, startGateway, installExitHooks, type Side } from './gateways.js';

const MiB = 2 ** 20;
const UPLOADS = 100;
const SIZE = 60 * MiB;

function upload(url: string, i: number, body: Buffer, agent: http.Agent): Promise<number | string> {
  return new Promise((resolve) => {
    const req = http.request(
      `${url}/metrics/job/burst${i}`,
      { method: 'PUT', agent, headers: { 'Content-Length': body.length } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode!));
      },
    );
    req.on('error', (e) => resolve((e as NodeJS.ErrnoException).code ?? 'error'));
    req.end(body);
  });
}

async function run(side: Side, flags: string[]): Promise<void> {
  const gw = await startGateway(side, flags);
  try {
    const pid = gw.process.pid!;
    // One valid sample line, then comment padding: a valid text body of exactly SIZE bytes.
    const body = Buffer.alloc(SIZE, 0x20);
    body.write('burst_bytes 1\n#', 0);
    body[SIZE - 1] = 0x0a;
    await new Promise((r) => setTimeout(r, 500));
    const before = rssBytes(pid);
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssBytes(pid));
    }, 20);
    const agent = new http.Agent({ maxSockets: UPLOADS });
    const t0 = performance.now();
    const results = await Promise.all(Array.from({ length: UPLOADS }, (_v, i) => upload(gw.url, i, body, agent)));
    const seconds = (performance.now() - t0) / 1000;
    clearInterval(sampler);
    agent.destroy();
    await new Promise((r) => setTimeout(r, 1000));
    const after1 = rssBytes(pid);
    await new Promise((r) => setTimeout(r, 4000));
    const after5 = rssBytes(pid);
    const answers = new Map<string, number>();
    for (const r of results) answers.set(String(r), (answers.get(String(r)) ?? 0) + 1);
    const health = await fetch(`${gw.url}/-/healthy`).then(
      (r) => r.status,
      () => 'down',
    );
    const mb = (n: number): string => `${(n / MiB).toFixed(0)} MiB`;
    console.log(
      `${side}: ${UPLOADS} × ${SIZE / MiB} MiB in ${seconds.toFixed(1)} s; answers ` +
        `${[...answers].map(([k, v]) => `${k}×${v}`).join(', ')}; ` +
        `RSS before ${mb(before)}, peak ${mb(peak)}, 1 s after ${mb(after1)}, 5 s after ${mb(after5)}; ` +
        `/-/healthy ${health}`,
    );
  } finally {
    await gw.kill();
  }
}

installExitHooks();
const args = process.argv.slice(2);
const dash = args.indexOf('--');
const sides = (dash < 0 ? args : args.slice(0, dash)) as Side[];
const flags = dash < 0 ? [] : args.slice(dash + 1);
for (const side of sides.length > 0 ? sides : (['ours', 'reference'] as Side[])) await run(side, flags);
process.exit(0);
