/**
 * A gateway process restoring a big Redis snapshot (20k groups × 10 metrics, written by the test) keeps
 * answering while it decodes and restores: the mirror works in slices (store/snapshot.ts
 * decodeSnapshotSteps, MemoryStore.restoreSliced). What proves it: the gateway logs `restoring the Redis
 * snapshot` after the snapshot was fetched and gunzipped, right before the decode, and `restored the
 * snapshot` once the restored state is swapped in; on Linux a process's writes to a pipe and a socket
 * happen in the order it makes them. Health checks and scrapes are sent one after another; those sent after
 * the test saw the first line and answered before it saw the second were served in between. With the
 * decode and restore in one go (as before) none could be; this needs at least three. Meanwhile /-/ready
 * answers 503 (not ready until restored and caught up); after it, every group is on /metrics.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { createClient } from 'redis';
import { parseText } from '../../src/format/text-parse.js';
import { encodeSnapshot } from '../../src/store/snapshot.js';
import type { StoredGroup } from '../../src/store/store.js';
import { startOurs, type RunningGateway } from '../helpers/servers.js';
import { redisSkipReason, startRedis, type RunningRedis } from '../helpers/redis.js';
import { tenMetricBody } from '../../bench/workload.js';

const skip = redisSkipReason();
const GROUPS = 20_000;
const STARTED = 'restoring the Redis snapshot';
const DONE = 'restored the snapshot';

/** GROUPS groups of the bench's 10-metric body; ranks in group order (the first holder's HELP). */
function bigState(): StoredGroup[] {
  const groups: StoredGroup[] = [];
  for (let i = 0; i < GROUPS; i++) {
    const families = parseText(tenMetricBody(i).toString('utf8'));
    groups.push({
      labels: { job: 'big', instance: `i${i}` },
      families: families.map((family) => ({ family, lastPushMs: 1.7e12 + i, rank: i })),
    });
  }
  return groups;
}

describe('a replica restoring a big Redis snapshot', { skip }, () => {
  let redis: RunningRedis;
  let gw: RunningGateway | undefined;
  before(async () => {
    redis = await startRedis();
    const raw = createClient({ url: redis.url });
    await raw.connect();
    const data = gzipSync(encodeSnapshot(bigState(), { written: new Date().toISOString(), writer: 'test' }), {
      level: 1,
    });
    await raw.set('big:snapshot', data);
    await raw.set('big:snapshot-at', '1-0');
    await raw.quit();
  });
  after(async () => {
    await gw?.stop();
    await redis?.stop();
  });

  it('answers /-/healthy and /metrics while it decodes and restores, and is not ready until done', async () => {
    gw = await startOurs([`--store.redis.url=${redis.url}`, '--store.redis.key-prefix=big:', '--log.level=info']);
    const g = gw;
    const deadline = Date.now() + 120_000;
    let between = 0;
    const statuses = new Set<string>();
    let i = 0;
    while (!g.output().includes(DONE)) {
      if (Date.now() > deadline) throw new Error(`the restore did not end in time:\n${g.output()}`);
      const sentInside = g.output().includes(STARTED);
      const path = ['/-/healthy', '/metrics', '/-/ready'][i++ % 3]!;
      const res = await fetch(`${g.url}${path}`);
      await res.arrayBuffer();
      if (sentInside && !g.output().includes(DONE)) {
        between++;
        statuses.add(`${path} ${res.status}`);
      }
    }
    console.log(`# ${between} requests answered while the snapshot was decoded and restored`);
    assert.ok(between >= 3, `only ${between} requests answered between the two log lines:\n${g.output()}`);
    for (const s of statuses) {
      assert.ok(['/-/healthy 200', '/metrics 200', '/-/ready 503'].includes(s), `meanwhile: ${s}`);
    }
    const deadlineReady = Date.now() + 60_000;
    while ((await fetch(`${g.url}/-/ready`).then((r) => r.arrayBuffer().then(() => r.status))) !== 200) {
      if (Date.now() > deadlineReady) throw new Error(`not ready after the restore:\n${g.output()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const body = await (await fetch(`${g.url}/metrics`)).text();
    const series = body.split('\n').filter((l) => l.startsWith('bench_metric_0{')).length;
    assert.equal(series, GROUPS);
    assert.match(body, /^pushgateway_store_snapshot_restores_total 1$/m);
  });
});
