/**
 * The expiry write (docs/lifecycle.md, "With the Redis store"): a batch of conditional deletes, "delete
 * group G if its expiry clock still started at `sinceMs`". It is a write like a push or a DELETE (with the
 * Redis store, one log entry), applied by whatever applies writes, on every replica alike, in write order:
 * a successful push to G applied before it restarted G's clock, so G stays; a group another replica's
 * expiry already deleted is gone, so a duplicate is a no-op. The answer tells which items took effect, so
 * only the replica whose write deleted a group counts and logs that expiry.
 */
import type { GroupingLabels } from '../model/grouping-key.js';
import type { MemoryStore } from '../store/store.js';
import type { GroupLifecycle } from './group-lifecycle.js';

export interface ExpireItem {
  labels: GroupingLabels;
  /** The start of the group's expiry clock when the expiry was decided (its last successful push's time). */
  sinceMs: number;
}

/**
 * Applies the items in order; resolves with whether each deleted its group. The deletes of one batch are
 * issued together (each is ordered after the writes called before it, so the check made here at the call
 * holds when it runs: writes called later come after), then awaited as one.
 */
export async function applyExpire(
  store: MemoryStore,
  lifecycle: GroupLifecycle,
  items: readonly ExpireItem[],
): Promise<boolean[]> {
  const deletes: Array<Promise<boolean> | false> = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const { labels, sinceMs } = items[i]!;
    deletes[i] = lifecycle.stillExpires(labels, sinceMs) && store.deleteSliced(labels);
  }
  const done = await Promise.all(deletes);
  for (let i = 0; i < items.length; i++) if (deletes[i] !== false) lifecycle.removed(items[i]!.labels);
  return done;
}
