import { runLoad, request, keepAliveAgent } from './load.js';
import { pushToGroup } from './workload.js';
import { installExitHooks, startGateway, stopGateway, rssBytes, type Side } from './gateways.js';
installExitHooks();
const side = process.argv[2] as Side;
const total = Number(process.argv[3]);
const flags = process.argv.slice(4);
const gw = await startGateway(side, flags);
const base = new URL(gw.url);
console.log('idle rss', rssBytes(gw.process.pid!) / 1e6);
let t = performance.now();
const r = await runLoad(base, { concurrency: 50, durationMs: 300000, maxRequests: total, expect: [200, 202], make: (i) => pushToGroup('PUT', `i${i}`, i) });
console.log('load', r.requests, r.perSecond.toFixed(0), r.errors, r.firstError ?? '', ((performance.now() - t) / 1000).toFixed(1));
const agent = keepAliveAgent(2);
for (let k = 0; k < 3; k++) {
  const s = await request(base, agent, { method: 'GET', path: '/metrics' });
  console.log('scrape', s.status, s.bytes, s.ms.toFixed(0));
}
const s = await request(base, agent, { method: 'GET', path: '/metrics', headers: { 'Accept-Encoding': 'gzip' } });
console.log('scrape gz', s.status, s.bytes, s.ms.toFixed(0));
console.log('rss', rssBytes(gw.process.pid!) / 1e6);
await stopGateway(gw);
