/**
 * Giving the event loop back during long work (big scrapes, the JSON API and the status page over a big
 * store), so health checks and pushes are answered in between.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** How long one slice of a big JSON or HTML body may hold the event loop. */
export const SLICE_MS = 5;

/**
 * `render(item)` for every item, joined by `separator`, as UTF-8 parts: a part is cut and `pause()`
 * awaited whenever rendering has held the event loop for `sliceMs`. No single string holds the whole.
 */
export async function renderInSlices<T>(items: readonly T[], render: (item: T) => string, separator: string,
  pause: () => Promise<void>, sliceMs = SLICE_MS): Promise<Buffer[]> {
  const parts: Buffer[] = [];
  let batch = '';
  let since = performance.now();
  for (let i = 0; i < items.length; i++) {
    batch += (i === 0 ? '' : separator) + render(items[i]!);
    if (performance.now() - since >= sliceMs) {
      parts.push(Buffer.from(batch, 'utf8'));
      batch = '';
      await pause();
      since = performance.now();
    }
  }
  if (batch !== '') parts.push(Buffer.from(batch, 'utf8'));
  return parts;
}
