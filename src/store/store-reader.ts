/**
 * The read half of the store seam (docs/high-availability.md, "The store seam"): what scrapes, the JSON
 * API, the UI, the push guards and persistence read. It is always the local store (the MemoryStore, or a
 * replica's mirror of the shared state, which is a MemoryStore too), so reads never wait on a network and
 * the cached exposition pieces stay where they are. Writes go through a StoreWriter (store-writer.ts).
 */
import type { GroupingLabels } from '../model/grouping-key.js';
import type { Slicer, Steps } from '../slicer.js';
import type { FamilyIndex } from './family-index.js';
import type { GroupView } from './group.js';
import type { Exposition, StoredGroup } from './store.js';

export interface StoreReader {
  /** Increases with every change; caches of rendered output are keyed by it. */
  readonly version: number;
  /** Is a big write half-way through its commit (a reader that paused must start again)? */
  readonly committing: boolean;
  /** Resolves when no big write is half-way through its commit: what readers see is then one state. */
  settled(): Promise<void>;
  /** settled(), and still so when the caller resumes. */
  settledNow(): Promise<void>;
  /** Calls `fn` after every change (push, failed push, delete, wipe, restore). */
  onChange(fn: () => void): void;

  /** Pushed families as text 0.0.4 pieces, in exposition order (cached per version). */
  exposition(): Exposition;
  /** exposition() walked in slices, for scrapes of a big store. */
  expositionAsync(slicer?: Slicer): Promise<Exposition>;
  /** The stored series of one family in exposition order (for merging with own series). */
  familyIndex(name: string): FamilyIndex | undefined;
  /** The stored family names in exposition order. */
  familyNames(): string[];
  familyNamesSteps(): Steps<string[]>;
  /** Every consistency problem of the whole store (only with --push.disable-consistency-check). */
  problems(): string[];
  problemsAsync(slicer?: Slicer): Promise<string[]>;

  /** The group stored under a grouping key, if any. */
  getGroup(labels: GroupingLabels): GroupView | undefined;
  /** getGroup() by the group's id (groupIdFor of its labels). */
  groupById(id: string): GroupView | undefined;
  readonly groupCount: number;
  /** The groups as they are, in store order (to be read in one go). */
  groups(): Iterable<GroupView>;
  snapshotGroups(): GroupView[];
  /** Every group at one point in time, copied in slices (JSON API, status page). */
  snapshotGroupsAsync(slicer?: Slicer): Promise<GroupView[]>;
  /** Everything needed to rebuild the store exactly (persistence, snapshots). */
  exportState(): StoredGroup[];
}

/**
 * The local store persistence works on: it reads it, and at start restores the persistence file into it.
 * Restoring is not a write through the StoreWriter: it fills the local store before anything is served.
 */
export interface RestorableStore extends StoreReader {
  /** Replaces the whole content with an exported state. */
  restore(groups: StoredGroup[]): void;
}
