/**
 * The verdicts of past bcrypt checks, so a client that sends the same credentials on every request costs
 * one bcrypt, not one per request. Sized and evicted as exporter-toolkit v0.14.0's web/cache.go: at most
 * 100 entries; when full, about a tenth of them (len/10 + 1) leave at random, so a long tail of keys
 * does not make every insert an eviction and no insertion order can be exploited to keep a key in.
 * The keys hold plain-text passwords in memory, as the toolkit's do: the client sends them in clear anyway.
 */

export const AUTH_CACHE_SIZE = 100;

export class AuthCache {
  private readonly entries = new Map<string, boolean>();
  constructor(
    private readonly capacity = AUTH_CACHE_SIZE,
    private readonly random: () => number = Math.random,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get(key: string): boolean | undefined {
    return this.entries.get(key);
  }

  set(key: string, verdict: boolean): void {
    if (!this.entries.has(key)) this.makeRoom();
    this.entries.set(key, verdict);
  }

  private makeRoom(): void {
    if (this.entries.size < this.capacity) return;
    const evict = Math.max(1, Math.floor(this.entries.size / 10)) + 1;
    // A Map keeps insertion order; picking indexes at random is what keeps eviction from being FIFO.
    const keys = [...this.entries.keys()];
    for (let n = 0; n < evict && keys.length > 0; n++) {
      const i = Math.floor(this.random() * keys.length);
      this.entries.delete(keys[i]!);
      keys[i] = keys[keys.length - 1]!;
      keys.pop();
    }
  }
}
