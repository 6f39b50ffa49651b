/**
 * Whether the gateway is serving anybody: requests in flight and when the last one ended. The full
 * collection after big work (gc.ts) holds the event loop for about 0.8 s per million stored families,
 * so it waits for a quiet moment instead of landing on the requests of other clients.
 */
let inFlight = 0;
let lastEndedMs = 0;

function ended(): void {
  inFlight--;
  lastEndedMs = performance.now();
}

/** Counts one request until its response is closed (sent, or the connection gone). */
export function trackRequest(res: { once(event: 'close', listener: () => void): unknown }): void {
  inFlight++;
  res.once('close', ended);
}

/** True when no request is in flight and none ended in the last `ms` milliseconds. */
export function quietFor(ms: number): boolean {
  return inFlight === 0 && performance.now() - lastEndedMs >= ms;
}
