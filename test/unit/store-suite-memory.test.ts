/**
 * The store conformance suite (test/helpers/store-suite.ts) against the embedded store: a LocalWriter over
 * a MemoryStore, which is also the reader. A second run mirrors every write to a second MemoryStore in
 * the same order, as a replica's mirror would apply it, so the suite's two-reader path is exercised
 * before a replicated store exists.
 */
import type { ExpireItem } from '../../src/lifecycle/expire-write.js';
import assert from 'node:assert/strict';
import { MemoryStore, type PushRequest } from '../../src/store/store.js';
import { LocalWriter, type StoreWriter } from '../../src/store/store-writer.js';
import type { GroupingLabels } from '../../src/model/grouping-key.js';
import type { ConsistencyError } from '../../src/errors.js';
import { storeSuite } from '../helpers/store-suite.js';
import { GroupLifecycle } from '../../src/lifecycle/group-lifecycle.js';

const lifecycleOf = (store: MemoryStore): GroupLifecycle => new GroupLifecycle(store, { defaultTtlMs: 0, upGrace: 2 });

storeSuite('memory store (LocalWriter)', async (options) => {
  const store = new MemoryStore(options);
  const lifecycle = lifecycleOf(store);
  const writer = new LocalWriter(store, lifecycle);
  return {
    writer,
    reader: store,
    lifecycles: [lifecycle],
    settle: () => store.settledNow(),
    close: () => writer.close(),
  };
});

/**
 * Applies every write to two local stores in call order and answers with the first one's answer, after
 * checking the second gave the same: what every mirror of a replicated store must do.
 */
class MirroredWriter implements StoreWriter {
  readonly ready = true;
  private readonly writers: [LocalWriter, LocalWriter];

  readonly lifecycles: [GroupLifecycle, GroupLifecycle];

  constructor(a: MemoryStore, b: MemoryStore) {
    this.lifecycles = [lifecycleOf(a), lifecycleOf(b)];
    this.writers = [new LocalWriter(a, this.lifecycles[0]), new LocalWriter(b, this.lifecycles[1])];
  }

  async push(req: PushRequest): Promise<ConsistencyError | undefined> {
    // Each store takes over the objects of its push: the mirror gets its own copy.
    const [a, b] = await Promise.all([this.writers[0].push(req), this.writers[1].push(structuredClone(req))]);
    assert.equal(b?.message, a?.message, 'the mirror answered the same');
    return a;
  }

  async deleteGroup(labels: GroupingLabels): Promise<boolean> {
    const [a, b] = await Promise.all(this.writers.map((w) => w.deleteGroup(labels)));
    assert.equal(b, a);
    return a!;
  }

  async deleteGroups(groups: readonly GroupingLabels[]): Promise<number> {
    const [a, b] = await Promise.all(this.writers.map((w) => w.deleteGroups(groups)));
    assert.equal(b, a);
    return a!;
  }

  async wipe(): Promise<number> {
    const [a, b] = await Promise.all(this.writers.map((w) => w.wipe()));
    assert.equal(b, a);
    return a!;
  }

  async expire(items: readonly ExpireItem[]): Promise<boolean[]> {
    const [a, b] = await Promise.all(this.writers.map((w) => w.expire(items)));
    assert.deepEqual(b, a);
    return a!;
  }

  async close(): Promise<void> {
    await Promise.all(this.writers.map((w) => w.close()));
  }
}

storeSuite('memory store mirrored to a second memory store', async (options) => {
  const local = new MemoryStore(options);
  const mirror = new MemoryStore(options);
  const writer = new MirroredWriter(local, mirror);
  return {
    writer,
    reader: local,
    otherReader: mirror,
    lifecycles: writer.lifecycles,
    settle: async () => {
      await local.settledNow();
      await mirror.settledNow();
    },
    close: () => writer.close(),
  };
});
