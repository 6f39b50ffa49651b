/**
 * The store conformance suite (test/helpers/store-suite.ts) against the Redis store: a real redis-server
 * on a loopback port, two replicas in this process (a MemoryStore and a RedisWriter each) on one log, a
 * fresh key prefix per test. Writes go through replica A; the suite reads A's mirror and B's, which must
 * end byte-identical. settle() waits until B has applied everything A has (the same log position);
 * logEntries() is the log's XLEN, read on a connection of the test's own.
 */
import { after, it } from 'node:test';
import { PassThrough } from 'node:stream';
import { createClient } from 'redis';
import { MemoryStore } from '../../src/store/store.js';
import { createLogger } from '../../src/observe/logger.js';
import { RedisWriter } from '../../src/store/redis/redis-writer.js';
import { storeSuite } from '../helpers/store-suite.js';
import { GroupLifecycle } from '../../src/lifecycle/group-lifecycle.js';
import { redisSkipReason, startRedis } from '../helpers/redis.js';

const skip = redisSkipReason();
const quiet = createLogger({ level: 'error', format: 'logfmt', stream: new PassThrough() });

async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

if (skip) {
  it('store conformance: Redis store', { skip }, () => {});
} else {
  const redis = await startRedis();
  // The test's own connection, to count the log's entries (XLEN) apart from the replicas' connections.
  const raw = createClient({ url: redis.url });
  await raw.connect();
  after(async () => {
    await raw.close();
    await redis.stop();
  });
  let n = 0;
  storeSuite('Redis store, two replicas on one log', async (options) => {
    const keyPrefix = `suite${n++}:`;
    const open = async (): Promise<{ store: MemoryStore; writer: RedisWriter; lifecycle: GroupLifecycle }> => {
      const store = new MemoryStore(options);
      const lifecycle = new GroupLifecycle(store, { defaultTtlMs: 0, upGrace: 2 });
      const storeFlags = { checkConsistency: options.checkConsistency, utf8Names: options.utf8Names };
      const writer = await RedisWriter.open(
        { url: redis.url, keyPrefix, waitReplicas: 0, storeFlags, lifecycle },
        store,
        quiet,
      );
      await until(() => writer.ready, 'replica ready');
      return { store, writer, lifecycle };
    };
    const [a, b] = await Promise.all([open(), open()]);
    return {
      writer: a.writer,
      reader: a.store,
      otherReader: b.store,
      lifecycles: [a.lifecycle, b.lifecycle],
      settle: async () => {
        await until(() => b.writer.tail.lastId === a.writer.tail.lastId, 'B at A’s log position');
        await a.store.settledNow();
        await b.store.settledNow();
      },
      logEntries: () => raw.xLen(`${keyPrefix}log`),
      close: async () => {
        await Promise.all([a.writer.close(), b.writer.close()]);
      },
    };
  });
}
