/**
 * Long work cut into slices, with the event loop served in between, so that one big push, scrape or API
 * call never holds health checks and other clients' pushes for more than a slice (issue: "no push can
 * stall the gateway"). Work is written once, as a generator that yields at points where it may pause;
 * `runSync` drives it to the end in one go (tests, small inputs), `runSliced` pauses at a yield only when
 * the current slice has used up its time, so small work never pays for a pause.
 */

/** How long one slice may hold the event loop. */
export const SLICE_MS = 5;

/** Work that may pause at each yield. */
export type Steps<T> = Generator<void, T, void>;

/** Gives the event loop back: I/O callbacks (new requests, socket reads) run before we resume. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class Slicer {
  private deadline: number;
  private readonly sliceMs: number;
  private readonly onResume: Array<() => void> = [];

  constructor(sliceMs = SLICE_MS) {
    this.sliceMs = sliceMs;
    this.deadline = performance.now() + sliceMs;
  }

  /** Has the current slice used up its time? */
  get due(): boolean {
    return performance.now() >= this.deadline;
  }

  /**
   * Calls `check` after every pause, before the work goes on: it may throw to end the work (the memory
   * budget does, when the heap has grown past it meanwhile).
   */
  whenResumed(check: () => void): void {
    this.onResume.push(check);
  }

  /** Ends the slice: yields to the event loop and starts a new one. */
  async pause(): Promise<void> {
    await yieldToEventLoop();
    this.deadline = performance.now() + this.sliceMs;
    for (const check of this.onResume) check();
  }

  /** Pauses only if the slice is used up. */
  async maybePause(): Promise<void> {
    if (this.due) await this.pause();
  }
}

/** Runs the steps to the end without pausing. */
export function runSync<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done === true) return r.value;
  }
}

/** Runs the steps, pausing at a yield whenever the slice is used up. */
export async function runSliced<T>(steps: Steps<T>, slicer: Slicer): Promise<T> {
  for (;;) {
    const r = steps.next();
    if (r.done === true) return r.value;
    if (slicer.due) await slicer.pause();
  }
}

/** Elements sorted or merged between two points where a sliced sort may pause. */
const SORT_RUN = 4096;

/**
 * A stable sort as steps: runs of SORT_RUN elements sorted by the engine, then merged pairwise, with a
 * yield every few thousand elements, so sorting a million names never holds the event loop for long.
 * Sorts `items` in place and returns it.
 */
export function* sortSteps<T>(items: T[], compare: (a: T, b: T) => number): Steps<T[]> {
  const n = items.length;
  if (n <= SORT_RUN) return items.sort(compare);
  for (let lo = 0; lo < n; lo += SORT_RUN) {
    const run = items.slice(lo, Math.min(n, lo + SORT_RUN)).sort(compare);
    for (let i = 0; i < run.length; i++) items[lo + i] = run[i]!;
    yield;
  }
  let from = items;
  let to = new Array<T>(n);
  for (let width = SORT_RUN; width < n; width *= 2) {
    let since = 0;
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(n, lo + width);
      const hi = Math.min(n, lo + 2 * width);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        to[k++] = compare(from[j]!, from[i]!) < 0 ? from[j++]! : from[i++]!;
        if (++since === SORT_RUN) {
          since = 0;
          yield;
        }
      }
      while (i < mid) to[k++] = from[i++]!;
      while (j < hi) to[k++] = from[j++]!;
    }
    [from, to] = [to, from];
    yield;
  }
  if (from !== items) for (let i = 0; i < n; i++) items[i] = from[i]!;
  return items;
}

/** The items of `items` that `keep` accepts, in order, with a yield every `every` items looked at. */
export function* filterSteps<T>(items: Iterable<T>, keep: (item: T) => boolean, every = 1024): Steps<T[]> {
  const out: T[] = [];
  let n = 0;
  for (const item of items) {
    if (keep(item)) out.push(item);
    if (++n % every === 0) yield;
  }
  return out;
}

/** items.map(fn) with a yield every `every` items. */
export function* mapSteps<T, U>(items: readonly T[], fn: (item: T) => U, every = 1024): Steps<U[]> {
  const out = new Array<U>(items.length);
  for (let i = 0; i < items.length; i++) {
    out[i] = fn(items[i]!);
    if (i % every === every - 1) yield;
  }
  return out;
}
