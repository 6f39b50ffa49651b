/**
 * A Map that holds its first entry in two fields and becomes a real Map only at the second. Most metric
 * families of a gateway are pushed by one group with one series and one type, and a FamilyIndex keeps
 * three maps per family (members, type counts, series keys): an empty V8 Map with its hash table costs
 * about 180 bytes, so these three were a fifth of what a distinct family cost. Insertion order is kept
 * (the oldest member decides a family's HELP and type).
 */
export class SmallMap<K, V> {
  private key: K | undefined;
  private value: V | undefined;
  private has1 = false;
  private map: Map<K, V> | undefined;

  get size(): number {
    return this.map !== undefined ? this.map.size : this.has1 ? 1 : 0;
  }

  get(k: K): V | undefined {
    if (this.map !== undefined) return this.map.get(k);
    return this.has1 && this.key === k ? this.value : undefined;
  }

  has(k: K): boolean {
    if (this.map !== undefined) return this.map.has(k);
    return this.has1 && this.key === k;
  }

  set(k: K, v: V): this {
    if (this.map !== undefined) {
      this.map.set(k, v);
    } else if (!this.has1 || this.key === k) {
      this.key = k;
      this.value = v;
      this.has1 = true;
    } else {
      this.map = new Map([
        [this.key as K, this.value as V],
        [k, v],
      ]);
      this.key = undefined;
      this.value = undefined;
      this.has1 = false;
    }
    return this;
  }

  delete(k: K): boolean {
    if (this.map !== undefined) return this.map.delete(k);
    if (!this.has1 || this.key !== k) return false;
    this.key = undefined;
    this.value = undefined;
    this.has1 = false;
    return true;
  }

  *entries(): IterableIterator<[K, V]> {
    if (this.map !== undefined) yield* this.map.entries();
    else if (this.has1) yield [this.key as K, this.value as V];
  }

  *values(): IterableIterator<V> {
    for (const [, v] of this.entries()) yield v;
  }

  [Symbol.iterator](): IterableIterator<[K, V]> {
    return this.entries();
  }

  /** The first value in insertion order, without an iterator. */
  first(): V | undefined {
    if (this.map === undefined) return this.has1 ? this.value : undefined;
    for (const v of this.map.values()) return v;
    return undefined;
  }
}
