/**
 * When each group falls due (issue 12's expiry, docs/lifecycle.md): a binary min-heap of (due time, key)
 * with lazy invalidation. Setting a key's due time costs O(log n) and leaves any older entry of the key in
 * the heap, marked stale by a generation number; popping skips stale entries. So a push that moves its
 * group's expiry later never walks the other groups, and the cost of a check is in the groups that are due,
 * not in the groups that are not. Stale entries are compacted away when they outnumber live ones, which
 * bounds the heap at about twice the number of keys.
 */

interface Entry<K> {
  due: number;
  key: K;
  gen: number;
}

export class DueQueue<K> {
  private heap: Entry<K>[] = [];
  /** The live generation and due time of each key. */
  private readonly live = new Map<K, { gen: number; due: number }>();
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
      const gen = this.nextGen++;
      this.live.set(key, { gen, due });
      this.push({ due, key, gen });
    }
    if (this.heap.length > 64 && this.heap.length > 2 * this.live.size) this.compact();
  }

  /** The earliest due time of any key, or undefined when none is set. */
  nextDue(): number | undefined {
    this.dropStaleTop();
    return this.heap[0]?.due;
  }

  /**
   * Removes and returns up to `max` keys due at or before `now`, earliest first; their due times are
   * cleared. A caller that must not hold the event loop takes a few at a time.
   */
  takeDue(now: number, max = Number.POSITIVE_INFINITY): K[] {
    const out: K[] = [];
    while (out.length < max) {
      this.dropStaleTop();
      const top = this.heap[0];
      if (top === undefined || top.due > now) break;
      this.pop();
      this.live.delete(top.key);
      out.push(top.key);
    }
    return out;
  }

  private isLive(e: Entry<K>): boolean {
    return this.live.get(e.key)?.gen === e.gen;
  }

  private dropStaleTop(): void {
    while (this.heap.length > 0 && !this.isLive(this.heap[0]!)) this.pop();
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
      const c = r < h.length && h[r]!.due < h[l]!.due ? r : l;
      if (h[c]!.due >= e.due) break;
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
      if (h[parent]!.due <= e.due) break;
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
