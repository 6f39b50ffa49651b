/**
 * The store's family names in exposition order (sorted), kept up to date by merging: a push of a few new
 * names costs a merge, not a sort of every name; a push of a million new names is sorted and merged in
 * slices (sortSteps). Readers that pause (a big scrape) and readers that do not may interleave: a result
 * is installed only if nobody else installed one meanwhile, else the work starts again from the newer one.
 */
import { sortSteps, runSync, type Steps } from '../slicer.js';

const MERGED_PER_YIELD = 8192;

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class FamilyNames {
  private sorted: string[] = [];
  /** Names created since `sorted` was made, in creation order; append-only until the next install. */
  private added: string[] = [];
  /** Names removed since `sorted` was made (they are filtered out at the next install). */
  private removals = 0;

  /** A family name came into the store. */
  add(name: string): void {
    this.added.push(name);
  }

  /** A family name left the store. */
  remove(): void {
    this.removals++;
  }

  /** The store was emptied (wipe) or replaced (restore: `names` are the new ones). */
  reset(names: string[] = []): void {
    this.sorted = [];
    this.added = names;
    this.removals = 0;
  }

  /** The sorted names of the families `has` knows, in one go. */
  get(has: (name: string) => boolean): string[] {
    return runSync(this.steps(has));
  }

  /** get() as steps, for readers that pause. */
  *steps(has: (name: string) => boolean): Steps<string[]> {
    while (this.added.length > 0 || this.removals > 0) {
      const base = this.sorted;
      const added = this.added;
      const taken = added.length;
      const removals = this.removals;
      const batch = yield* sortSteps(added.slice(0, taken), compareNames);
      const merged = yield* mergeSteps(base, batch, removals > 0 || taken > 0 ? has : undefined);
      if (this.sorted !== base || this.added !== added) continue; // another reader installed meanwhile
      this.sorted = merged;
      this.added = added.slice(taken);
      this.removals -= removals;
    }
    return this.sorted;
  }
}

/**
 * Merges two sorted lists, dropping repeats and names that are gone (`has`): a name removed and added
 * again may be in both, and one removed after it was added in neither list's favour.
 */
function* mergeSteps(a: string[], b: string[], has: ((name: string) => boolean) | undefined): Steps<string[]> {
  const out: string[] = [];
  let i = 0;
  let j = 0;
  let since = 0;
  let last: string | undefined;
  while (i < a.length || j < b.length) {
    const name = j >= b.length || (i < a.length && a[i]! <= b[j]!) ? a[i++]! : b[j++]!;
    if (name !== last && (has === undefined || has(name))) out.push(name);
    last = name;
    if (++since === MERGED_PER_YIELD) {
      since = 0;
      yield;
    }
  }
  return out;
}
