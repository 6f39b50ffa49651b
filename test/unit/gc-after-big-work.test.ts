/**
 * The full collection after a big push (observe/gc.ts) holds the event loop for one long pause, so it
 * must wait until no request is in flight: shown over real HTTP, with V8's own record of the forced
 * collection (a `gc` performance entry flagged forced) and the time the last request ended.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { PerformanceObserver, constants, type PerformanceEntry } from 'node:perf_hooks';
import { collectAfterBigWork } from '../../src/observe/gc.js';
import { trackRequest } from '../../src/observe/request-activity.js';

test('the collection after big work runs only once no request has been in flight for a second', async () => {
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  const server = http.createServer((req, res) => {
    trackRequest(res);
    if (req.url === '/slow') void held.then(() => res.end('done'));
    else res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const forced: PerformanceEntry[] = [];
  let sawForced: () => void = () => {};
  const seen = new Promise<void>((resolve) => {
    sawForced = resolve;
  });
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const { detail } = e as unknown as { detail: { kind: number; flags: number } };
      if (
        detail.kind === constants.NODE_PERFORMANCE_GC_MAJOR &&
        detail.flags & constants.NODE_PERFORMANCE_GC_FLAGS_FORCED
      ) {
        forced.push(e);
        sawForced();
      }
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  try {
    const slow = fetch(`http://127.0.0.1:${port}/slow`).then((r) => r.text());
    // The slow request is in flight once the server holds it; short requests come and go meanwhile.
    for (let i = 0; i < 3; i++) assert.equal(await (await fetch(`http://127.0.0.1:${port}/`)).text(), 'ok');
    collectAfterBigWork();
    // Long enough for a collection that ignored the request in flight to have run (its first look is at 250 ms).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const releasedAt = performance.now();
    release();
    assert.equal(await slow, 'done');
    await Promise.race([
      seen,
      new Promise((_, reject) => setTimeout(() => reject(new Error('no forced collection within 10 s')), 10_000)),
    ]);
    const first = forced[0]!;
    assert.ok(
      first.startTime >= releasedAt + 900,
      `forced collection at ${first.startTime.toFixed(0)} ms, request released at ${releasedAt.toFixed(0)} ms`,
    );
  } finally {
    observer.disconnect();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});
