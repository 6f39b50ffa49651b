/**
 * The due-time heap behind group expiry (src/store/due-queue.ts): keys come out in due order, a key set
 * again comes out once at its latest time, cleared keys never come out, takeDue honours its bound, and the
 * heap stays within about twice the live keys however often due times move (checked against a plain map
 * over many random operations).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DueQueue } from '../../src/store/due-queue.js';

describe('DueQueue', () => {
  it('gives keys in due order, each once, at its latest due time', () => {
    const q = new DueQueue<string>();
    q.set('a', 30);
    q.set('b', 10);
    q.set('c', 20);
    q.set('b', 40); // moved later: its old entry at 10 is stale
    assert.equal(q.nextDue(), 20);
    assert.deepEqual(q.takeDue(25), ['c']);
    assert.deepEqual(q.takeDue(35), ['a']);
    assert.equal(q.dueOf('b'), 40);
    assert.deepEqual(q.takeDue(100), ['b']);
    assert.equal(q.nextDue(), undefined);
    assert.equal(q.size, 0);
  });

  it('a due time moved later is only recorded: one heap entry per key, which comes out at the latest', () => {
    const q = new DueQueue<string>();
    q.set('a', 1_000);
    q.set('b', 5_000);
    for (let t = 1_001; t <= 3_000; t++) q.set('a', t);
    assert.equal((q as unknown as { heap: unknown[] }).heap.length, 2);
    assert.equal(q.nextDue(), 3_000);
    assert.deepEqual(q.takeDue(2_999), []);
    q.set('a', 500); // moved earlier: a new entry, the old one stale
    assert.equal(q.nextDue(), 500);
    assert.deepEqual(q.takeDue(10_000), ['a', 'b']);
    assert.equal((q as unknown as { heap: unknown[] }).heap.length, 0);
  });

  it('a cleared key never comes out; takeDue takes at most max', () => {
    const q = new DueQueue<number>();
    for (let i = 0; i < 10; i++) q.set(i, i);
    q.set(3, undefined);
    assert.deepEqual(q.takeDue(100, 4), [0, 1, 2, 4]);
    assert.deepEqual(q.takeDue(100), [5, 6, 7, 8, 9]);
  });

  it('agrees with a plain map over 20,000 random operations, and the heap stays bounded', () => {
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    const q = new DueQueue<number>();
    const model = new Map<number, number>();
    let now = 0;
    for (let op = 0; op < 20_000; op++) {
      const r = rand(10);
      if (r < 6) {
        const k = rand(500);
        const due = now + rand(1000);
        q.set(k, due);
        model.set(k, due);
      } else if (r < 7) {
        const k = rand(500);
        q.set(k, undefined);
        model.delete(k);
      } else {
        now += rand(50);
        const want = [...model].filter(([, d]) => d <= now).sort((x, y) => x[1] - y[1]);
        const got = q.takeDue(now);
        assert.deepEqual(
          got.map((k) => model.get(k)),
          want.map(([, d]) => d),
          `op ${op}: the due times taken, in order`,
        );
        assert.deepEqual(new Set(got), new Set(want.map(([k]) => k)));
        for (const k of got) model.delete(k);
      }
      assert.equal(q.size, model.size);
      const heapLength = (q as unknown as { heap: unknown[] }).heap.length;
      assert.ok(heapLength <= Math.max(64, 2 * model.size) + 1, `op ${op}: heap of ${heapLength}`);
    }
  });
});
