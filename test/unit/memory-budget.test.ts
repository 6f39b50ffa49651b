/**
 * The memory budget's arithmetic (src/store/memory-budget.ts) and the in-flight body budget's policy
 * (src/format/body-budget.ts), without a server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import {
  MemoryBudget,
  countLines,
  effectiveBudget,
  heapLimitMiB,
  HEAP_LIMIT_FACTOR,
  availableMemory,
  defaultMemoryLimit,
} from '../../src/store/memory-budget.js';
import { BodyBudget, BodyHold, SMALL_BODY_BYTES } from '../../src/format/body-budget.js';
import { BodyMemoryError, MemoryLimitError } from '../../src/errors.js';

const MiB = 2 ** 20;

test('the heap limit the bin sets is 1.5 × the budget, and a budget never exceeds what the heap allows', () => {
  assert.equal(heapLimitMiB(512 * MiB), 768);
  assert.equal(heapLimitMiB(0), undefined);
  assert.equal(effectiveBudget(100 * MiB, 1024 * MiB), 100 * MiB);
  assert.equal(effectiveBudget(4096 * MiB, 1536 * MiB), 1024 * MiB);
  assert.equal(effectiveBudget(0, 1536 * MiB), 1024 * MiB); // 0: no limit of its own, still under V8's
  assert.equal(HEAP_LIMIT_FACTOR, 1.5);
  assert.ok(defaultMemoryLimit() <= availableMemory().bytes / 2 && defaultMemoryLimit() > 0);
});

test('assertHeadroom: passes for pushes that do not grow the store, refuses beyond the budget with 507', () => {
  const used = v8.getHeapStatistics().used_heap_size;
  const budget = new MemoryBudget(used + 64 * MiB, '--store.memory-limit=test');
  assert.doesNotThrow(() => budget.assertHeadroom(1 * MiB));
  assert.doesNotThrow(() => budget.assertHeadroom(0));
  assert.doesNotThrow(() => budget.assertHeadroom(-10 * MiB));
  assert.throws(
    () => budget.assertHeadroom(1024 * MiB),
    (err: unknown) =>
      err instanceof MemoryLimitError &&
      err.status === 507 &&
      err.code === 'PGW_ERR_MEMORY_LIMIT' &&
      new RegExp(
        /^push refused: it would take the store past its memory limit of \d+MiB /.source +
          /\(--store\.memory-limit=test\): [\d.]+MiB of heap in use, the push needs about /.source +
          /1024MiB more; delete groups or raise the limit$/.source,
      ).test(err.message),
  );
  assert.equal(budget.refused, 1);
  // No budget: nothing is refused.
  assert.doesNotThrow(() => new MemoryBudget(0).assertHeadroom(1e15));
});

test('countLines is exact up to 1 MiB and close beyond', () => {
  assert.equal(countLines(Buffer.from('a 1\nb 2\nc')), 2);
  const big = Buffer.from(Array.from({ length: 500_000 }, (_v, i) => `line_${i} 1\n`).join(''));
  assert.ok(Math.abs(countLines(big) - 500_000) < 25_000, String(countLines(big)));
});

test('body budget: big bodies share three quarters, small ones may use the whole', () => {
  const b = new BodyBudget(8 * MiB);
  const big = new BodyHold(b);
  big.setTotal(6 * MiB);
  const other = new BodyHold(b);
  assert.throws(
    () => other.setTotal(2 * MiB),
    (e: unknown) => e instanceof BodyMemoryError && e.status === 503 && e.headers['Retry-After'] === '1',
  );
  other.setTotal(SMALL_BODY_BYTES); // the reserved quarter
  assert.equal(b.held, 6 * MiB + SMALL_BODY_BYTES);
  big.release();
  big.release(); // idempotent
  assert.equal(b.held, SMALL_BODY_BYTES);
  other.setTotal(100); // shrinking always works
  assert.equal(b.held, 100);
  assert.equal(b.refused, 1);
  const unlimited = new BodyHold(new BodyBudget(0));
  assert.doesNotThrow(() => unlimited.setTotal(1e12));
});
