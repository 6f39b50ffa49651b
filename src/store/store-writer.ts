/**
 * The write half of the store seam (docs/high-availability.md, "The store seam"): every push, delete and
 * wipe the HTTP layer makes goes through a StoreWriter. Reads (scrapes, the JSON API, the UI, persistence)
 * always go to the local MemoryStore. LocalWriter applies straight to it; a replicated writer appends the
 * write to a shared log and answers with what applying that entry to the local mirror returned.
 */
import type { GroupingLabels } from '../model/grouping-key.js';
import type { ConsistencyError } from '../errors.js';
import type { MemoryStore, PushRequest } from './store.js';

export interface StoreWriter {
  /** Applies a push in the global order; resolves with why it was rejected, or undefined once applied. */
  push(req: PushRequest): Promise<ConsistencyError | undefined>;
  /** Deletes a group (a no-op for an unknown key); resolves true when there was one. */
  deleteGroup(labels: GroupingLabels): Promise<boolean>;
  /** Removes every group, after every write that came before; resolves with how many there were. */
  wipe(): Promise<number>;
  /** Whether the writer can take writes and its store has caught up (what /-/ready reports). */
  readonly ready: boolean;
  /** Stops taking writes and releases connections; writes already taken are finished first. */
  close(): Promise<void>;
}

/** The embedded default: writes applied to the in-process store, big ones in slices and in order. */
export class LocalWriter implements StoreWriter {
  readonly ready = true;

  constructor(private readonly store: MemoryStore) {}

  push(req: PushRequest): Promise<ConsistencyError | undefined> {
    return this.store.pushSliced(req);
  }

  deleteGroup(labels: GroupingLabels): Promise<boolean> {
    return this.store.deleteSliced(labels);
  }

  wipe(): Promise<number> {
    return this.store.wipeInOrder();
  }

  async close(): Promise<void> {
    await this.store.settled();
  }
}
