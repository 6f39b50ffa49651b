/**
 * The Redis store's writer and mirror in-process, against a real redis-server on a loopback port: two
 * replicas (a MemoryStore each, a RedisWriter each) sharing one log. What one accepts the other shows;
 * clashing writes through both at once: exactly one accepted, the stores end byte-identical; a replica
 * that starts later reads the whole log; Redis gone: writes fail at once with 503, the mirror keeps its
 * state, and after Redis is back (AOF on, so the log survives) writes go through again.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { MemoryStore, type PushRequest } from '../../src/store/store.js';
import { parseText } from '../../src/format/text-parse.js';
import { OWN_STRICT_HELP, OWN_TYPES } from '../../src/observe/self-metrics.js';
import { createLogger } from '../../src/observe/logger.js';
import { RedisWriter } from '../../src/store/redis/redis-writer.js';
import { ConsistencyError, StoreUnavailableError } from '../../src/errors.js';
import { redisSkipReason, startRedis, type RunningRedis } from '../helpers/redis.js';

const skip = redisSkipReason();

interface Replica {
  store: MemoryStore;
  writer: RedisWriter;
}

const quiet = createLogger({ level: 'error', format: 'logfmt', stream: new PassThrough() });

async function replica(redis: RunningRedis, prefix: string): Promise<Replica> {
  const store = new MemoryStore({
    checkConsistency: true,
    utf8Names: false,
    ownTypes: OWN_TYPES,
    ownStrictHelp: OWN_STRICT_HELP,
  });
  const writer = await RedisWriter.open(
    { url: redis.url, keyPrefix: prefix, waitReplicas: 0, writeTimeoutMs: 5_000 },
    store,
    quiet,
  );
  await until(() => writer.ready, 'replica ready');
  return { store, writer };
}

function req(job: string, body: string, replace = true): PushRequest {
  return { labels: { job }, families: parseText(body), replace, timeMs: Date.now() };
}

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('Redis store writer and mirror (store/redis/)', { skip }, () => {
  let redis: RunningRedis;
  let a: Replica;
  let b: Replica;
  before(async () => {
    redis = await startRedis({ aof: true });
    a = await replica(redis, 'w1:');
    b = await replica(redis, 'w1:');
  });
  after(async () => {
    await a?.writer.close();
    await b?.writer.close();
    await redis?.stop();
  });

  it('a push accepted through one replica is in the other one’s store', async () => {
    assert.equal(await a.writer.push(req('j1', 'm1 1\n')), undefined);
    // The writer's answer came from its own mirror: visible there at once.
    assert.match(a.store.renderText(), /m1\{instance="",job="j1"\} 1/);
    await until(() => b.store.renderText() === a.store.renderText(), 'B to mirror A');
  });

  it('clashing pushes through both at once: exactly one is accepted; both stores end identical', async () => {
    for (let round = 0; round < 20; round++) {
      const name = `clash_${round}`;
      const [ra, rb] = await Promise.all([
        a.writer.push(req(`ca${round}`, `# TYPE ${name} counter\n${name} 1\n`)),
        b.writer.push(req(`cb${round}`, `# TYPE ${name} gauge\n${name} 1\n`)),
      ]);
      const accepted = [ra, rb].filter((r) => r === undefined).length;
      assert.equal(accepted, 1, `round ${round}: ${ra?.message} / ${rb?.message}`);
      assert.ok([ra, rb].some((r) => r instanceof ConsistencyError));
    }
    await until(() => a.writer.tail.lastId === b.writer.tail.lastId, 'both at the same log position');
    assert.equal(b.store.renderText(), a.store.renderText());
  });

  it('DELETE and wipe through one replica are applied by the other, in order after the push', async () => {
    assert.equal(await b.writer.push(req('gone', 'g 1\n')), undefined);
    assert.equal(await b.writer.deleteGroup({ job: 'gone' }), true);
    assert.equal(await a.writer.deleteGroup({ job: 'never-there' }), false);
    await until(() => a.writer.tail.lastId === b.writer.tail.lastId, 'A at B’s position');
    assert.doesNotMatch(a.store.renderText(), /job="gone"/);
    const groups = a.store.groupCount;
    assert.equal(await b.writer.wipe(), groups);
    await until(() => a.store.groupCount === 0, 'A wiped');
  });

  it('a replica started later reads the whole log and ends identical', async () => {
    assert.equal(await a.writer.push(req('late', 'l 1\n')), undefined);
    const c = await replica(redis, 'w1:');
    try {
      assert.equal(c.store.renderText(), a.store.renderText());
      assert.equal(c.writer.tail.lastId, a.writer.tail.lastId);
    } finally {
      await c.writer.close();
    }
  });

  it('another key prefix is another, independent log', async () => {
    const other = await replica(redis, 'w2:');
    try {
      assert.equal(other.store.groupCount, 0);
      assert.equal(await other.writer.push(req('elsewhere', 'e 1\n')), undefined);
      assert.doesNotMatch(a.store.renderText(), /elsewhere/);
    } finally {
      await other.writer.close();
    }
  });

  it('a replica with other store flags on the same log is never ready and refuses writes, naming why', async () => {
    const store = new MemoryStore({ checkConsistency: false, utf8Names: false, ownTypes: OWN_TYPES });
    const odd = await RedisWriter.open(
      { url: redis.url, keyPrefix: 'w1:', waitReplicas: 0, storeFlags: { checkConsistency: false, utf8Names: false } },
      store,
      quiet,
    );
    try {
      // It catches up (its mirror reads the log) but does not become ready.
      await until(() => odd.tail.caughtUp, 'the odd replica caught up');
      let err: unknown;
      const refusal = async (): Promise<string> => {
        err = await odd.push(req('odd', 'o 1\n')).then(
          () => assert.fail('accepted'),
          (e: unknown) => e,
        );
        return String(err);
      };
      // Until its config check has answered, it refuses with `still checking w1:config` (bounded wait).
      for (let i = 0; i < 200 && (await refusal()).includes('still checking'); i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
      assert.ok(err instanceof StoreUnavailableError);
      assert.match(err.message, /store settings .* differ from those of the log's replicas in w1:config/);
      assert.equal(odd.ready, false);
    } finally {
      await odd.close();
    }
  });

  it('Redis gone: writes fail at once with 503 naming Redis, the mirror keeps its state; back: writes go', async () => {
    const before = a.store.renderText();
    await redis.kill();
    await until(() => !a.writer.ready, 'A not ready');
    const err = await a.writer.push(req('down', 'd 1\n')).then(
      () => assert.fail('a push with Redis gone was accepted'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof StoreUnavailableError, String(err));
    assert.equal(err.status, 503);
    // Which words depends on whether the commands connection has seen the loss yet (the tail's may see it
    // first): not connected, or the append cut off. Both are the catalogued 503 naming Redis.
    assert.match(
      err.message,
      /^Redis store unavailable: (not connected to redis:\/\/127\.0\.0\.1:\d+|appending to the log failed \()/,
    );
    assert.equal(a.store.renderText(), before);
    await redis.restart();
    await until(() => a.writer.ready && b.writer.ready, 'both ready again', 15_000);
    assert.equal(await a.writer.push(req('back', 'b 1\n')), undefined);
    await until(() => /job="back"/.test(b.store.renderText()), 'B sees the push after the restart');
    assert.equal(b.store.renderText(), a.store.renderText());
  });
});
