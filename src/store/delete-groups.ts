/**
 * The delete by selector's write (`DELETE /api/v1/admin/groups?match[]=…`, docs/lifecycle.md, "Read and
 * delete by selector"): the groups the selectors matched, deleted as one store write. It is applied by
 * whatever applies writes (the local writer, or with the Redis store every mirror, from one log entry),
 * as MemoryStore.deleteMany: after every write called before it and before every later one, with one
 * change notification, so no write, scrape or replica sees some of the groups deleted and others not.
 */
import { groupIdFor, type GroupingLabels } from '../model/grouping-key.js';
import type { MemoryStore } from './store.js';
import type { GroupLifecycle } from '../lifecycle/group-lifecycle.js';

/**
 * Deletes the groups with these ids for which `still(i)` holds when the write runs, as one
 * MemoryStore.deleteMany, then drops the lifecycle state of each one deleted; resolves with whether each
 * was. The one step behind both batch deletes: this one and the expiry's (lifecycle/expire-write.ts).
 */
export async function deleteAndForget(
  store: MemoryStore,
  lifecycle: GroupLifecycle | undefined,
  ids: readonly string[],
  still: (i: number) => boolean,
): Promise<boolean[]> {
  const done = await store.deleteMany(ids, still);
  if (lifecycle !== undefined) for (let i = 0; i < ids.length; i++) if (done[i]) lifecycle.removedId(ids[i]!);
  return done;
}

/** Deletes the groups (unknown keys and repeats are no-ops); resolves with how many it deleted. */
export async function applyDeleteGroups(
  store: MemoryStore,
  lifecycle: GroupLifecycle | undefined,
  groups: readonly GroupingLabels[],
): Promise<number> {
  const done = await deleteAndForget(store, lifecycle, groups.map(groupIdFor), () => true);
  return done.filter(Boolean).length;
}
