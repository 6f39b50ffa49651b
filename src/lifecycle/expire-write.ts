/**
 * The expiry write (docs/lifecycle.md, "With the Redis store"): a batch of conditional deletes, "delete
 * group G if its expiry clock still started at `sinceMs`". It is a write like a push or a DELETE (with the
 * Redis store, one log entry), applied by whatever applies writes, on every replica alike, in write order:
 * a successful push to G applied before it restarted G's clock, so G stays; a group another replica's
 * expiry already deleted is gone, so a duplicate is a no-op. The answer tells which items took effect, so
 * only the replica whose write deleted a group counts and logs that expiry.
 */
import { groupIdFor, type GroupingLabels } from '../model/grouping-key.js';
import type { MemoryStore } from '../store/store.js';
import type { GroupLifecycle } from './group-lifecycle.js';
import { deleteAndForget } from '../store/delete-groups.js';

export interface ExpireItem {
  labels: GroupingLabels;
  /** The start of the group's expiry clock when the expiry was decided (its last successful push's time). */
  sinceMs: number;
}

/**
 * Applies the items as one store write (deleteAndForget: ordered after the writes called before it, the
 * condition checked as it runs); resolves with whether each deleted its group. One id per item, and no
 * promise or change notification per group: a batch of due groups is cheap to delete.
 */
export async function applyExpire(
  store: MemoryStore,
  lifecycle: GroupLifecycle,
  items: readonly ExpireItem[],
): Promise<boolean[]> {
  const ids = items.map((it) => groupIdFor(it.labels));
  return deleteAndForget(store, lifecycle, ids, (i) => lifecycle.get(ids[i]!)?.sinceMs === items[i]!.sinceMs);
}
