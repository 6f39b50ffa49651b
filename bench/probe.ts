import { runLoad } from './load.js';
import { pushToGroup } from './workload.js';
import { installExitHooks, startGateway, stopGateway, type Side } from './gateways.js';
installExitHooks();
const side = process.argv[2] as Side;
const flags = process.argv.slice(3);
const gw = await startGateway(side, flags);
const base = new URL(gw.url);
let n = 0;
for (let round = 0; round < 20; round++) {
  const r = await runLoad(base, { concurrency: 50, durationMs: 3000, maxRequests: 1000, expect: [200, 202], make: (i) => pushToGroup('PUT', `i${n + i}`, i) });
  n += r.requests;
  console.log(n, r.perSecond.toFixed(0), r.errors, r.firstError ?? '');
}
await stopGateway(gw);
