/**
 * A preload for a gateway under bench (`--import`, bench x): a 5 ms interval timer inside the gateway that
 * writes each event-loop gap over 20 ms, with its wall-clock end, to the file named by
 * PGTS_LOOP_GAPS_FILE, so the bench can take the longest pause inside an exact interval (from a due time
 * to the last expiry). The gateway's own nodejs_eventloop_lag_max_seconds cannot be read for such an
 * interval: its window restarts only at a scrape, and a scrape of 100k groups is itself seconds long.
 * Bench-only: nothing of it ships.
 */
import { appendFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const TICK_MS = 5;
const REPORTED_MS = 20;

const file = process.env.PGTS_LOOP_GAPS_FILE;
if (file !== undefined && file !== '') {
  // A first line, so the bench can tell a quiet gateway from a probe that never ran.
  appendFileSync(file, `# probe started in ${process.pid}\n`);
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    const gap = now - last - TICK_MS;
    last = now;
    // One line per pause: the wall time it ended (ms since the epoch) and its length (ms).
    if (gap > REPORTED_MS) appendFileSync(file, `${Date.now()} ${gap.toFixed(1)}\n`);
  }, TICK_MS).unref();
}

/** Gaps shorter than this are not recorded: "none" means every pause was shorter. */
export const GAP_REPORTED_MS = REPORTED_MS;

/**
 * The longest gap recorded in `text` that overlaps [fromMs, toMs]; 0 when none over GAP_REPORTED_MS did;
 * undefined when the probe never ran.
 */
export function longestGap(text: string, fromMs: number, toMs: number): number | undefined {
  if (!text.startsWith('# probe started')) return undefined;
  let max = 0;
  for (const line of text.split('\n')) {
    const [end, len] = line.split(' ').map(Number);
    if (end === undefined || len === undefined || !Number.isFinite(end) || !Number.isFinite(len)) continue;
    // A pause counts if any part of it lies inside the interval.
    if (end >= fromMs && end - len <= toMs) max = Math.max(max, len);
  }
  return max;
}
