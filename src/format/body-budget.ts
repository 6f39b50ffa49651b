/**
 * A ceiling on the bytes held by request bodies in flight across all requests (--push.body-memory-limit):
 * received bytes and their decompressed output, from the first byte until the push is answered. Without
 * it, 100 concurrent 60 MiB uploads held 2 GiB at once. A body that would take the total over the ceiling
 * is refused with 503 and Retry-After (BodyMemoryError) and the rest of it is read and discarded.
 *
 * A quarter of the ceiling is kept for small bodies (SMALL_BODY_BYTES at most, which typical pushes are),
 * so big uploads cannot starve them: big bodies may fill three quarters, small ones the whole.
 */
import type { ServerResponse } from 'node:http';
import { BodyMemoryError } from '../errors.js';
import { collectSoon } from '../observe/gc.js';

/** Bodies up to this size (received plus decoded) may use the reserved quarter of the ceiling. */
export const SMALL_BODY_BYTES = 1024 * 1024;
/**
 * When bodies in flight drop to none after holding this much, a collection frees their buffers at once
 * (measured: without it, RSS stayed at the burst's 1.2 GiB on an idle gateway; with it, back near idle).
 */
const BURST_BYTES = 64 * 1024 * 1024;

export class BodyBudget {
  /** The ceiling in bytes; 0 = none. */
  readonly capBytes: number;
  /** Bytes held by bodies in flight now. */
  held = 0;
  /** Bodies refused since start. */
  refused = 0;
  /** The most held since bodies in flight last dropped to none. */
  private peak = 0;

  constructor(capBytes: number) {
    this.capBytes = capBytes;
  }

  /** A hold for one request's body, released when its response is done (or the connection is gone). */
  holdFor(res: ServerResponse): BodyHold {
    const hold = new BodyHold(this);
    res.once('close', () => hold.release());
    return hold;
  }

  /** Could a body grow to `total` bytes now, holding `current` already? */
  allows(current: number, total: number): boolean {
    if (this.capBytes <= 0 || total <= current) return true;
    const after = this.held + (total - current);
    const shared = total <= SMALL_BODY_BYTES ? this.capBytes : this.capBytes - Math.floor(this.capBytes / 4);
    return after <= shared;
  }

  /** The most a body holding `current` bytes could grow to now. */
  room(current: number): number {
    if (this.capBytes <= 0) return Infinity;
    const big = this.capBytes - Math.floor(this.capBytes / 4) - this.held + current;
    if (big > SMALL_BODY_BYTES) return big;
    return Math.max(big, Math.min(SMALL_BODY_BYTES, this.capBytes - this.held + current));
  }

  /** Called by holds as they change: tracks the peak, and collects once a big burst is over. */
  changed(): void {
    if (this.held > this.peak) this.peak = this.held;
    if (this.held === 0 && this.peak >= BURST_BYTES) {
      this.peak = 0;
      collectSoon();
    }
  }

  refusal(): BodyMemoryError {
    this.refused++;
    return new BodyMemoryError(
      `push refused for now: request bodies in flight would take more than ` +
        `${this.capBytes} bytes (--push.body-memory-limit); retry later`,
    );
  }
}

export class BodyHold {
  private readonly budget: BodyBudget;
  /** Bytes this request holds now. */
  bytes = 0;
  private released = false;

  constructor(budget: BodyBudget) {
    this.budget = budget;
  }

  /** Grows (or shrinks) the hold to `total` bytes; throws BodyMemoryError when the ceiling forbids it. */
  setTotal(total: number): void {
    if (this.released) return;
    if (!this.budget.allows(this.bytes, total)) throw this.budget.refusal();
    this.budget.held += total - this.bytes;
    this.bytes = total;
    this.budget.changed();
  }

  /** The most this hold could grow to now. */
  room(): number {
    return this.released ? Infinity : this.budget.room(this.bytes);
  }

  /** The budget's refusal, for a decoder that found out it has no room. */
  refusal(): BodyMemoryError {
    return this.budget.refusal();
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.budget.held -= this.bytes;
    this.bytes = 0;
    this.budget.changed();
  }
}
