/**
 * The order of writes while a big push is applied in slices (store.ts pushSliced). A big write holds its
 * group and its family names (with the names a `_count`/`_sum`/`_bucket` suffix ties them to) from the
 * moment it arrives until it is applied. A later write that touches any of them waits for it, so writes
 * to one group stay in arrival order and a sliced check stays true until its commit; a write that waits
 * holds its own group and names in turn. A write that touches none of them goes ahead at once: the order
 * between it and the big write cannot be told apart. A wipe touches everything: it waits for every write
 * that arrived before it, and every write that arrives after it waits for the wipe. Big writes also take
 * turns among themselves, and readers that need one consistent view wait while a big write is committing
 * (settled()).
 */
import { PUSH_FAILURE_TIME, PUSH_TIME } from './group.js';

const SUFFIXES = ['_count', '_sum', '_bucket'];

/** The family names a write touches: a Set, or the keys of a map the parser built anyway. */
export interface NameSet {
  has(name: string): boolean;
  readonly size: number;
  keys(): Iterable<string>;
}

/**
 * The names a write touches when it also removes the families its group holds (a PUT, a delete): the
 * pushed names plus those the group holds when another write asks, not when this one was called. A
 * group's families change only by writes to that group, which wait for this one; but an earlier write
 * still waiting may give the group a family before this one runs, and a later write that reads that
 * family (a push of the same name elsewhere) must then wait for this one too: waitForEarlier() asks
 * again each time a blocker is done, so it sees the family once it is there.
 */
export function withGroupFamilies(pushed: NameSet, families: () => NameSet | undefined): NameSet {
  return {
    has: (name) => pushed.has(name) || families()?.has(name) === true,
    get size() {
      return pushed.size + (families()?.size ?? 0);
    },
    *keys() {
      yield* pushed.keys();
      const held = families();
      if (held !== undefined) yield* held.keys();
    },
  };
}

interface HeldWrite {
  /** Arrival order: a write waits only for writes that arrived before it, so nothing waits in a circle. */
  seq: number;
  groupId: string;
  names: NameSet;
  /** A wipe: it touches every group and name. */
  everything: boolean;
  done: Promise<void>;
}

/**
 * Do two writes touch a common family, or families one's consistency check reads for the other's
 * (`x` and `x_count`)? The relation is symmetric, so walking the smaller set is enough. The timestamp
 * gauges are in every group, always gauges with the group's own labels: no write can clash on them.
 */
function overlap(a: NameSet, b: NameSet): boolean {
  const [few, many] = a.size < b.size ? [a, b] : [b, a];
  for (const name of few.keys()) {
    if (name === PUSH_TIME || name === PUSH_FAILURE_TIME) continue;
    if (many.has(name)) return true;
    for (const s of SUFFIXES) {
      if (many.has(name + s)) return true;
      if (name.endsWith(s) && many.has(name.slice(0, -s.length))) return true;
    }
  }
  return false;
}

export class WriteOrder {
  private readonly held = new Set<HeldWrite>();
  private arrivals = 0;
  private turn: Promise<void> = Promise.resolve();
  private commit: Promise<void> | null = null;
  private endCommit: (() => void) | null = null;

  /**
   * Runs a small write at once when no earlier write holds its group or names (no pause at all, the
   * common case), else holds them itself, waits for those writes, then runs it.
   */
  async small<T>(groupId: string, names: NameSet, run: () => T): Promise<T> {
    if (this.held.size === 0) return run();
    const write = this.hold(groupId, names);
    try {
      await this.waitForEarlier(write);
      return run();
    } finally {
      this.release(write);
    }
  }

  /** Runs a big write: holds its group and names from now, waits for its turn and for earlier writes. */
  async exclusive<T>(groupId: string, names: NameSet, run: () => Promise<T>): Promise<T> {
    const write = this.hold(groupId, names);
    const previous = this.turn;
    this.turn = write.done;
    try {
      await previous;
      await this.waitForEarlier(write);
      return await run();
    } finally {
      this.release(write);
    }
  }

  /**
   * Runs a write that touches every group (the wipe, the expiry's sliced batch delete, a scrape's last
   * round) once no write that arrived before it holds anything. It holds from its call to its end, pauses
   * included, so the writes that arrive meanwhile wait for it: a push called after a wipe is never wiped.
   */
  async everything<T>(run: () => T | Promise<T>): Promise<T> {
    const write = this.hold('', new Set(), true);
    try {
      await this.waitForEarlier(write);
      return await run();
    } finally {
      this.release(write);
    }
  }

  /** A big write starts changing the store: readers wait for commitEnded(). */
  commitStarted(): void {
    if (this.commit !== null) return;
    this.commit = new Promise((r) => {
      this.endCommit = r;
    });
  }

  commitEnded(): void {
    const end = this.endCommit;
    this.commit = null;
    this.endCommit = null;
    end?.();
  }

  /** Is a big write half-way through changing the store? */
  get committing(): boolean {
    return this.commit !== null;
  }

  /** Resolves when no big write is half-way through changing the store. */
  async settled(): Promise<void> {
    while (this.commit !== null) await this.commit;
  }

  private hold(groupId: string, names: NameSet, everything = false): HeldWrite & { release: () => void } {
    let release!: () => void;
    const done = new Promise<void>((r) => {
      release = r;
    });
    const write = { seq: this.arrivals++, groupId, names, everything, done, release };
    this.held.add(write);
    return write;
  }

  private release(write: HeldWrite & { release: () => void }): void {
    this.held.delete(write);
    write.release();
  }

  private async waitForEarlier(write: HeldWrite): Promise<void> {
    for (;;) {
      const blocker = this.blocker(write);
      if (blocker === undefined) return;
      await blocker.done;
    }
  }

  private blocker(write: HeldWrite): HeldWrite | undefined {
    for (const w of this.held) {
      if (w.seq >= write.seq) continue;
      if (w.everything || write.everything || w.groupId === write.groupId || overlap(w.names, write.names)) return w;
    }
    return undefined;
  }
}
