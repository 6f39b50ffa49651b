/**
 * When each group falls due (issue 12's expiry, docs/lifecycle.md): a binary min-heap of (due time, key)
 * with lazy updates. A key's heap entry may hold an earlier time than the key's due time: a push moves its
 * group's expiry later, and that is only recorded (O(1), no allocation, the heap untouched); the entry is
 * moved down to the recorded time when it reaches the top. Only a time moved earlier pushes a new entry,
 * which leaves the key's old one in the heap, marked stale by a generation number; stale entries are
 * dropped when they reach the top, and compacted away when they outnumber live ones, which bounds the heap
 * at about twice the number of keys. So a push never walks the other groups, and the cost of a check is in
 * the groups that are due, not in the groups that are not.
 */

interface Entry<K> {
  /** The time the entry is ordered by: at or before its key's due time while the entry is live. */
  at: number;
  key: K;
  gen: number;
}

interface Live {
  gen: number;
  due: number;
  /** The `at` of the key's live entry in the heap. */
  at: number;
}

export class DueQueue<K> {
  private heap: Entry<K>[] = [];
  /** The live generation, due time and heap position time of each key. */
  private readonly live = new Map<K, Live>();
  private nextGen = 0;

  get size(): number {
    return this.live.size;
  }

  /** The due time of a key, or undefined when it has none. */
  dueOf(key: K): number | undefined {
    return this.live.get(key)?.due;
  }

  /** Sets (or, with undefined, clears) when `key` falls due, in ms since the epoch. */
  set(key: K, due: number | undefined): void {
    if (due === undefined) {
      this.live.delete(key);
    } else {
      const cur = this.live.get(key);
      if (cur !== undefined && due >= cur.at) {
        // Later (the usual case: a push restarts its group's clock): the live entry stays where it is.
        cur.due = due;
        return;
      }
      const gen = this.nextGen++;
      if (cur === undefined) this.live.set(key, { gen, due, at: due });
      else {
        cur.gen = gen;
        cur.due = due;
        cur.at = due;
      }
      this.push({ at: due, key, gen });
    }
    if (this.heap.length > 64 && this.heap.length > 2 * this.live.size) this.compact();
  }

  /** The earliest due time of any key, or undefined when none is set. */
  nextDue(): number | undefined {
    this.settleTop();
    return this.heap[0]?.at;
  }

  /**
   * Removes and returns up to `max` keys due at or before `now`, earliest first; their due times are
   * cleared. A caller that must not hold the event loop takes a few at a time.
   */
  takeDue(now: number, max = Number.POSITIVE_INFINITY): K[] {
    const out: K[] = [];
    while (out.length < max) {
      this.settleTop();
      const top = this.heap[0];
      if (top === undefined || top.at > now) break;
      this.pop();
      this.live.delete(top.key);
      out.push(top.key);
    }
    return out;
  }

  /** Until the top entry is live and at its key's due time: stale ones dropped, postponed ones moved down. */
  private settleTop(): void {
    const h = this.heap;
    while (h.length > 0) {
      const top = h[0]!;
      const l = this.live.get(top.key);
      if (l === undefined || l.gen !== top.gen) {
        this.pop();
      } else if (l.due > top.at) {
        top.at = l.due;
        l.at = l.due;
        this.siftDown(0, top);
      } else {
        return;
      }
    }
  }

  private isLive(e: Entry<K>): boolean {
    return this.live.get(e.key)?.gen === e.gen;
  }

  /** Drops the stale entries and rebuilds the heap bottom-up: O(n), not a sort's O(n log n). */
  private compact(): void {
    const kept = this.heap.filter((e) => this.isLive(e));
    this.heap = kept;
    for (let i = (kept.length >> 1) - 1; i >= 0; i--) this.siftDown(i, kept[i]!);
  }

  /** Places `e` at or below slot `i`, moving smaller children up. */
  private siftDown(start: number, e: Entry<K>): void {
    const h = this.heap;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && h[r]!.at < h[l]!.at ? r : l;
      if (h[c]!.at >= e.at) break;
      h[i] = h[c]!;
      i = c;
    }
    h[i] = e;
  }

  private push(e: Entry<K>): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.at <= e.at) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = e;
  }

  private pop(): void {
    const last = this.heap.pop()!;
    if (this.heap.length > 0) this.siftDown(0, last);
  }
}
