/**
 * Does a burst of new basic-auth credentials hold other requests? An in-process gateway with one user
 * (a cost-10 bcrypt hash, the usual) gets 50 requests at once, each with a password never seen (so each
 * costs a bcrypt check, run one at a time); meanwhile one client keeps asking GET /-/healthy with the
 * right, cached credentials, one request at a time. Prints the probe latencies taken during the burst.
 * Run: node dist/bench/basic-auth-stall.js [cost]
 */
import http from 'node:http';
import bcrypt from 'bcryptjs';
import { startInProcess } from '../test/helpers/in-process.js';
import { percentile, sleep } from './stats.js';

function get(url: string, auth: string, agent: http.Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(
      url,
      { agent, headers: { Authorization: `Basic ${Buffer.from(auth).toString('base64')}` } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
  });
}

async function main(): Promise<void> {
  const cost = Number(process.argv[2] ?? 10);
  const hash = bcrypt.hashSync('right', cost);
  const gw = await startInProcess({ webConfig: { http2: true, headers: {}, basicAuthUsers: { alice: hash } } });
  const probeAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const burstAgent = new http.Agent({ keepAlive: true, maxSockets: 50 });
  await get(`${gw.url}/-/healthy`, 'alice:right', probeAgent); // the probe's credentials are cached from now on
  const idle: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    await get(`${gw.url}/-/healthy`, 'alice:right', probeAgent);
    idle.push(performance.now() - t);
  }
  let done = false;
  const t0 = performance.now();
  const burst = Promise.all(
    Array.from({ length: 50 }, (_, i) => get(`${gw.url}/metrics`, `alice:wrong${i}`, burstAgent)),
  ).then((codes) => {
    done = true;
    return codes;
  });
  const during: number[] = [];
  while (!done) {
    const t = performance.now();
    const code = await get(`${gw.url}/-/healthy`, 'alice:right', probeAgent);
    if (code !== 200) throw new Error(`probe answered ${code}`);
    during.push(performance.now() - t);
    await sleep(5); // a probe every few ms, not a busy loop competing with bcrypt for the two cores
  }
  const codes = await burst;
  const burstMs = performance.now() - t0;
  await gw.close();
  probeAgent.destroy();
  burstAgent.destroy();
  const fmt = (xs: number[]): string =>
    `n=${xs.length} p50=${percentile(xs, 0.5).toFixed(1)} p99=${percentile(xs, 0.99).toFixed(1)} ` +
    `max=${Math.max(...xs).toFixed(1)} ms`;
  console.log(
    `cost ${cost}: burst of 50 new credentials took ${burstMs.toFixed(0)} ms ` +
      `(${(burstMs / 50).toFixed(1)} ms per bcrypt), all 401: ${codes.every((c) => c === 401)}`,
  );
  console.log(`/-/healthy idle:        ${fmt(idle)}`);
  console.log(`/-/healthy during burst: ${fmt(during)}`);
}

await main();
