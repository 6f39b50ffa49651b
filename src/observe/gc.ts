/**
 * Forcing a garbage collection without starting Node with --expose-gc (the flag can be turned on at run
 * time; `gc` is then reachable through a new context). Used sparingly, and only where measured to help:
 * before the memory budget refuses a push (decide on live bytes, not on garbage), and once a burst of big
 * request bodies is over (their buffers are external memory that V8 frees only when it collects the small
 * heap objects holding them, which an idle gateway would not do for a long time: RSS stayed at 1.2 GiB).
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { quietFor } from './request-activity.js';

type GcFunction = (options?: { type?: 'major' | 'minor'; execution?: 'sync' | 'async' }) => void | Promise<void>;

let cached: GcFunction | null | undefined;

/** global.gc, or null where the runtime refuses to expose it. */
export function gcFunction(): GcFunction | null {
  if (cached !== undefined) return cached;
  const g = (globalThis as { gc?: GcFunction }).gc;
  if (typeof g === 'function') return (cached = g);
  try {
    v8.setFlagsFromString('--expose-gc');
    cached = vm.runInNewContext('gc') as GcFunction;
  } catch {
    cached = null;
  }
  return cached;
}

/** A full collection, run from a task of its own (V8 still does it in one pause: call it where that is fine). */
export function collectSoon(): void {
  const gc = gcFunction();
  if (gc === null) return;
  try {
    void gc({ type: 'major', execution: 'async' });
  } catch {
    // a runtime without the options form: skip rather than block
  }
}

/** Collections after big work are at most this frequent; one asked for meanwhile runs at the end of it. */
const AFTER_BIG_WORK_INTERVAL_MS = 1_000;
/** How long the gateway must have served nobody before that collection runs, and how often it looks. */
const QUIET_MS = 1_000;
const QUIET_POLL_MS = 250;
let afterBigWork: NodeJS.Timeout | null = null;
let lastAfterBigWork = 0;

/**
 * A full collection after a big push (or a first render of a big store): parsing a body of a million
 * lines leaves hundreds of megabytes of garbage in the old generation, which V8 collects only once the
 * heap grows again, so an idle gateway kept RSS at twice what its metrics need (docs/memory.md).
 * V8 runs a forced collection in one pause (about 0.8 s per million stored families), so it waits until
 * no request has been in flight for a second: a client that arrives during it waits, nobody in flight does.
 * While the gateway stays busy it is not run at all, and V8's own incremental collections do the work.
 */
export function collectAfterBigWork(): void {
  if (afterBigWork !== null) return;
  const wait = Math.max(QUIET_POLL_MS, lastAfterBigWork + AFTER_BIG_WORK_INTERVAL_MS - Date.now());
  const attempt = (): void => {
    if (!quietFor(QUIET_MS)) {
      afterBigWork = setTimeout(attempt, QUIET_POLL_MS);
      afterBigWork.unref();
      return;
    }
    afterBigWork = null;
    lastAfterBigWork = Date.now();
    collectSoon();
  };
  afterBigWork = setTimeout(attempt, wait);
  afterBigWork.unref();
}
