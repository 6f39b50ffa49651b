/**
 * The replication lag in entries (pushgateway_store_replication_lag_entries, LogTail.lagEntries), with two
 * in-process replicas on a real redis-server. Entries are numbered in log order as they are appended (the
 * APPEND_LUA script's `n`, from INCR of `<prefix>seq`), and the mirror's read of the log also reads `seq`:
 * the lag is `seq` minus the `n` of the last entry applied. Deterministic without timing: a big push (tens
 * of thousands of series) appended through A is applied by B in slices, and for as long as B is inside it
 * B has read it (its `seq` counts it) but not applied it, so the lag B reports is at least 1, observed by
 * polling between B's slices; once B has applied everything, it is 0 again, on B's own metrics too. Entries
 * are numbered 1, 2, … in log order, and a replica started later (from a snapshot with `snapshot-seq`, or
 * from the log) agrees on the count.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'redis';
import { MemoryStore, type PushRequest } from '../../src/store/store.js';
import { parseText } from '../../src/format/text-parse.js';
import { OWN_STRICT_HELP, OWN_TYPES } from '../../src/observe/self-metrics.js';
import { createLogger } from '../../src/observe/logger.js';
import { RedisWriter } from '../../src/store/redis/redis-writer.js';
import { redisSkipReason, startRedis, type RunningRedis } from '../helpers/redis.js';

const skip = redisSkipReason();
const BIG_SERIES = 40_000;

async function replica(redis: RunningRedis, prefix: string, snapshotEntries = 10_000): Promise<RedisWriter> {
  const store = new MemoryStore({
    checkConsistency: true,
    utf8Names: false,
    ownTypes: OWN_TYPES,
    ownStrictHelp: OWN_STRICT_HELP,
  });
  const logger = createLogger({ level: 'warn', format: 'logfmt' });
  const writer = await RedisWriter.open(
    { url: redis.url, keyPrefix: prefix, waitReplicas: 0, writeTimeoutMs: 30_000, snapshotEntries },
    store,
    logger,
  );
  await until(() => writer.ready, 'replica ready');
  return writer;
}

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

function req(job: string, body: string): PushRequest {
  return { labels: { job }, families: parseText(body), replace: true, timeMs: Date.now() };
}

function ownLag(w: RedisWriter): number | undefined {
  return w.ownMetrics().find((f) => f.name === 'pushgateway_store_replication_lag_entries')?.metrics[0]?.value;
}

describe('replication lag in entries', { skip }, () => {
  let redis: RunningRedis;
  let raw: ReturnType<typeof createClient>;
  const writers: RedisWriter[] = [];
  before(async () => {
    redis = await startRedis();
    raw = createClient({ url: redis.url });
    await raw.connect();
  });
  after(async () => {
    for (const w of writers) await w.close();
    await raw?.quit().catch(() => undefined);
    await redis?.stop();
  });

  it('is at least 1 while a replica applies a big entry another appended, and 0 once it has', async () => {
    const a = await replica(redis, 'lag1:');
    const b = await replica(redis, 'lag1:');
    writers.push(a, b);
    assert.equal(ownLag(b), 0);
    let big = '';
    for (let i = 0; i < BIG_SERIES; i++) big += `big_lag{i="${i}"} ${i}\n`;
    const bigReq = req('big', big);
    let maxSeen = 0;
    let polling = true;
    const poll = (async () => {
      while (polling) {
        maxSeen = Math.max(maxSeen, b.tail.lagEntries);
        await new Promise((r) => setTimeout(r, 1));
      }
    })();
    const acks = [a.push(bigReq)];
    for (let i = 0; i < 20; i++) acks.push(a.push(req(`small${i}`, `small_lag ${i}\n`)));
    for (const r of await Promise.all(acks)) assert.equal(r, undefined);
    await until(() => b.tail.lastId === a.tail.lastId, 'B applied everything A did');
    polling = false;
    await poll;
    console.log(`# the most B reported behind: ${maxSeen} entries`);
    assert.ok(maxSeen >= 1, `B never reported a lag (max ${maxSeen})`);
    await until(() => b.tail.lagEntries === 0, 'B reports lag 0 again');
    assert.equal(ownLag(b), 0);
    assert.equal(ownLag(a), 0);
    // Entries are numbered 1, 2, … in log order; `seq` is the count.
    assert.equal(await raw.get('lag1:seq'), '21');
    const entries = (await raw.xRange('lag1:log', '-', '+')) as Array<{ message: Record<string, string> }>;
    assert.deepEqual(
      entries.map((e) => e.message.n),
      Array.from({ length: 21 }, (_, i) => String(i + 1)),
    );
    assert.equal(b.tail.appliedSeq, 21);
  });

  it('a replica started from a snapshot knows its entry count (snapshot-seq) and reports lag 0', async () => {
    const a = await replica(redis, 'lag2:', 20);
    writers.push(a);
    for (let i = 0; i < 70; i++) assert.equal(await a.push(req(`g${i % 5}`, `snap_lag ${i}\n`)), undefined);
    await until(() => a.tail.snapshotsWritten >= 2, 'two snapshots');
    const seqAt = await raw.get('lag2:snapshot-seq');
    assert.ok(seqAt !== null && Number(seqAt) > 0, `snapshot-seq ${seqAt}`);
    const c = await replica(redis, 'lag2:', 20);
    writers.push(c);
    assert.equal(c.tail.restores, 1);
    await until(() => c.tail.lastId === a.tail.lastId, 'C caught up');
    assert.equal(c.tail.appliedSeq, 70);
    await until(() => c.tail.lagEntries === 0, 'C reports lag 0');
  });
});
