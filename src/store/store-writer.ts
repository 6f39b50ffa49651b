/**
 * The write half of the store seam (docs/high-availability.md, "The store seam"): every push, delete and
 * wipe the HTTP layer makes goes through a StoreWriter. Reads (scrapes, the JSON API, the UI, persistence)
 * always go to the local MemoryStore. LocalWriter applies straight to it; a replicated writer appends the
 * write to a shared log and answers with what applying that entry to the local mirror returned.
 *
 * Whatever applies a write to the store also tells the group lifecycle (src/lifecycle/), right after, in
 * the same order: with Redis the log's reader does, so every replica's lifecycle follows every replica's
 * writes, not only its own (docs/lifecycle.md, "With the Redis store").
 */
import type { GroupingLabels } from '../model/grouping-key.js';
import type { ConsistencyError } from '../errors.js';
import type { MemoryStore, PushRequest } from './store.js';
import type { GroupLifecycle } from '../lifecycle/group-lifecycle.js';
import { applyExpire, type ExpireItem } from '../lifecycle/expire-write.js';
import { applyDeleteGroups } from './delete-groups.js';

export interface StoreWriter {
  /** Applies a push in the global order; resolves with why it was rejected, or undefined once applied. */
  push(req: PushRequest): Promise<ConsistencyError | undefined>;
  /** Deletes a group (a no-op for an unknown key); resolves true when there was one. */
  deleteGroup(labels: GroupingLabels): Promise<boolean>;
  /**
   * Deletes these groups as one write (delete-groups.ts: the delete by selector), after every write that
   * came before and before every later one; resolves with how many of them there were.
   */
  deleteGroups(groups: readonly GroupingLabels[]): Promise<number>;
  /** Removes every group, after every write that came before; resolves with how many there were. */
  wipe(): Promise<number>;
  /** Expires groups (expire-write.ts); resolves with whether each item deleted its group. */
  expire(items: readonly ExpireItem[]): Promise<boolean[]>;
  /** Whether the writer can take writes and its store has caught up (what /-/ready reports). */
  readonly ready: boolean;
  /** Stops taking writes and releases connections; writes already taken are finished first. */
  close(): Promise<void>;
}

/** The embedded default: writes applied to the in-process store, big ones in slices and in order. */
export class LocalWriter implements StoreWriter {
  readonly ready = true;

  constructor(
    private readonly store: MemoryStore,
    private readonly lifecycle?: GroupLifecycle,
  ) {}

  async push(req: PushRequest): Promise<ConsistencyError | undefined> {
    const failure = await this.store.pushSliced(req);
    this.lifecycle?.applied(req, failure === undefined);
    return failure;
  }

  async deleteGroup(labels: GroupingLabels): Promise<boolean> {
    const found = await this.store.deleteSliced(labels);
    this.lifecycle?.removed(labels);
    return found;
  }

  deleteGroups(groups: readonly GroupingLabels[]): Promise<number> {
    return applyDeleteGroups(this.store, this.lifecycle, groups);
  }

  async wipe(): Promise<number> {
    const n = await this.store.wipeInOrder();
    this.lifecycle?.wiped();
    return n;
  }

  expire(items: readonly ExpireItem[]): Promise<boolean[]> {
    if (this.lifecycle === undefined) return Promise.resolve(items.map(() => false));
    return applyExpire(this.store, this.lifecycle, items);
  }

  async close(): Promise<void> {
    await this.store.settled();
  }
}
