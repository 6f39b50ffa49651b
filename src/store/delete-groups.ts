/**
 * The delete by selector's write (`DELETE /api/v1/admin/groups?match[]=…`, docs/lifecycle.md, "Read and
 * delete by selector"): the groups the selectors matched, deleted as one store write. It is applied by
 * whatever applies writes (the local writer, or with the Redis store every mirror, from one log entry),
 * as MemoryStore.deleteMany: after every write called before it and before every later one, with one
 * change notification, so no write, scrape or replica sees some of the groups deleted and others not.
 */
import { groupIdFor, type GroupingLabels } from '../model/grouping-key.js';
import type { MemoryStore } from './store.js';
import { mapSteps, type Steps } from '../slicer.js';
import type { GroupLifecycle } from '../lifecycle/group-lifecycle.js';

/**
 * Deletes the groups with these ids (or the ids these steps compute, inside the write) for which `still(i)`
 * holds when the write runs, as one MemoryStore.deleteMany, then drops the lifecycle state of each one
 * deleted; resolves with whether each was. The one step behind both batch deletes: this one and the
 * expiry's (lifecycle/expire-write.ts).
 */
export async function deleteAndForget(
  store: MemoryStore,
  lifecycle: GroupLifecycle | undefined,
  ids: readonly string[] | (() => Steps<readonly string[]>),
  still: (i: number) => boolean,
): Promise<boolean[]> {
  let list: readonly string[] = [];
  const done = await store.deleteMany(function* () {
    list = typeof ids === 'function' ? yield* ids() : ids;
    return list;
  }, still);
  if (lifecycle !== undefined) for (let i = 0; i < list.length; i++) if (done[i]) lifecycle.removedId(list[i]!);
  return done;
}

/** Deletes the groups (unknown keys and repeats are no-ops); resolves with how many it deleted. */
export async function applyDeleteGroups(
  store: MemoryStore,
  lifecycle: GroupLifecycle | undefined,
  groups: readonly GroupingLabels[],
): Promise<number> {
  // The ids computed inside the write, in slices: 100k of them took 200 ms in one go (a selector matching
  // every group), and computed before it the write would take its place in the order too late.
  const done = await deleteAndForget(
    store,
    lifecycle,
    () => mapSteps(groups, groupIdFor),
    () => true,
  );
  return done.filter(Boolean).length;
}
