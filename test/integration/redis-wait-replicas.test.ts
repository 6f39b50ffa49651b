/**
 * --store.redis.wait-replicas against a real Redis primary and replica (two redis-server processes, the
 * second started with --replicaof): a write is acknowledged once the replica has it; with the replica gone
 * it is answered 503 saying it may still be applied, and it is applied (it is in the log).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { MemoryStore, type PushRequest } from '../../src/store/store.js';
import { parseText } from '../../src/format/text-parse.js';
import { OWN_STRICT_HELP, OWN_TYPES } from '../../src/observe/self-metrics.js';
import { createLogger } from '../../src/observe/logger.js';
import { RedisWriter } from '../../src/store/redis/redis-writer.js';
import { StoreUnavailableError } from '../../src/errors.js';
import { redisSkipReason, startRedis, type RunningRedis } from '../helpers/redis.js';

const skip = redisSkipReason();
const quiet = createLogger({ level: 'error', format: 'logfmt', stream: new PassThrough() });

function req(job: string): PushRequest {
  return { labels: { job }, families: parseText(`${job} 1\n`), replace: true, timeMs: Date.now() };
}

async function until(cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('--store.redis.wait-replicas (WAIT) with a real Redis replica', { skip }, () => {
  let primary: RunningRedis;
  let replica: RunningRedis;
  let store: MemoryStore;
  let writer: RedisWriter;
  before(async () => {
    primary = await startRedis();
    replica = await startRedis({ replicaOf: primary });
    store = new MemoryStore({
      checkConsistency: true,
      utf8Names: false,
      ownTypes: OWN_TYPES,
      ownStrictHelp: OWN_STRICT_HELP,
    });
    writer = await RedisWriter.open(
      { url: primary.url, keyPrefix: 'wait:', waitReplicas: 1, writeTimeoutMs: 1_000 },
      store,
      quiet,
    );
    await until(() => writer.ready, 'writer ready');
  });
  after(async () => {
    await writer?.close();
    await replica?.stop();
    await primary?.stop();
  });

  it('a write is acknowledged once the Redis replica has it', async () => {
    // The replica's first sync takes a moment: until then WAIT counts 0 and the write is refused.
    let answer: unknown;
    await until(async () => {
      answer = await writer.push(req('first')).then(
        (r) => r ?? 'accepted',
        (e: unknown) => e,
      );
      return answer === 'accepted';
    }, 'the replica to acknowledge a write');
    assert.equal(await writer.push(req('second')), undefined);
    assert.match(store.renderText(), /second\{instance="",job="second"\} 1/);
  });

  it('with the replica gone: 503 saying the write may still be applied, and it is applied', async () => {
    await replica.stop();
    const err = await writer.push(req('unacked')).then(
      () => assert.fail('acknowledged without a replica'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof StoreUnavailableError, String(err));
    assert.equal(err.status, 503);
    assert.equal(err.appended, true);
    assert.match(
      err.message,
      new RegExp(
        /^Redis store unavailable: only 0 of the 1 Redis replicas asked for \(--store\.redis\.wait-replicas\) /.source +
          /have the write; the write may still be applied, retry later$/.source,
      ),
    );
    await until(() => /job="unacked"/.test(store.renderText()), 'the unacknowledged write applied from the log');
  });
});
