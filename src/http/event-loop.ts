/**
 * Giving the event loop back during long work (big scrapes, the JSON API and the status page over a big
 * store), so health checks and pushes are answered in between.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
