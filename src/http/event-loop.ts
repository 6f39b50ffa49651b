/**
 * Giving the event loop back during long work (big scrapes, the JSON API and the status page over a big
 * store), so health checks and pushes are answered in between.
 */
import { SLICE_MS } from '../slicer.js';

export { SLICE_MS, yieldToEventLoop } from '../slicer.js';

/**
 * `render(item)` for every item, joined by `separator`, as UTF-8 pieces: a piece is cut and `pause()`
 * awaited whenever rendering has held the event loop for `sliceMs`. No single string holds the whole.
 */
export async function renderInSlices<T>(items: readonly T[], render: (item: T) => string, separator: string,
  pause: () => Promise<void>, sliceMs = SLICE_MS): Promise<Buffer[]> {
  const pieces: Buffer[] = [];
  let batch = '';
  let since = performance.now();
  for (let i = 0; i < items.length; i++) {
    batch += (i === 0 ? '' : separator) + render(items[i]!);
    if (performance.now() - since >= sliceMs) {
      pieces.push(Buffer.from(batch, 'utf8'));
      batch = '';
      await pause();
      since = performance.now();
    }
  }
  if (batch !== '') pieces.push(Buffer.from(batch, 'utf8'));
  return pieces;
}
