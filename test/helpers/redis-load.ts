/**
 * Load and checks shared by the Redis fault tests (redis-faults, redis-sentinel): a Pusher per replica
 * that records what was acknowledged, the pushed part of a replica's /metrics, readiness, and the check
 * that a body holds every acknowledged push. Every wait polls with a deadline.
 */
import type { RunningGateway } from './servers.js';

export const SLOTS = 50;

export async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The pushed part of a replica's /metrics (own metrics differ per process), or undefined if it is down. */
export async function pushed(gw: RunningGateway): Promise<string | undefined> {
  try {
    const res = await fetch(`${gw.url}/metrics`, { signal: AbortSignal.timeout(2_000) });
    const body = await res.text();
    return body
      .split('\n')
      .filter((l) => l !== '' && !/^(# (HELP|TYPE) )?(pushgateway_|process_|nodejs_)/.test(l))
      .join('\n');
  } catch {
    return undefined;
  }
}

export async function ready(gw: RunningGateway): Promise<boolean | undefined> {
  try {
    const res = await fetch(`${gw.url}/-/ready`, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.status === 200 || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Pushes `fault_push <n>` to /metrics/job/p<r>/instance/<n % SLOTS> on its replica, n counting up, two
 * at a time; lastAcked[slot] is the highest n answered 200. A later push to a slot overwrites an earlier
 * one, so "nothing acknowledged lost" reads: each slot's value on every replica is at least lastAcked.
 */
export class Pusher {
  acked = 0;
  failed = 0;
  readonly lastAcked = new Map<number, number>();
  private n = 0;
  private stopped = false;
  private loops: Promise<void>[] = [];
  constructor(
    readonly r: number,
    private readonly target: () => RunningGateway,
  ) {}

  /** Starts (or resumes after stop) its two loops. */
  start(): void {
    this.stopped = false;
    this.loops = [this.loop(), this.loop()];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const n = this.n++;
      const slot = n % SLOTS;
      try {
        const res = await fetch(`${this.target().url}/metrics/job/p${this.r}/instance/${slot}`, {
          method: 'PUT',
          body: `fault_push ${n}\n`,
          signal: AbortSignal.timeout(3_000),
        });
        await res.arrayBuffer();
        if (res.status === 200) {
          this.acked++;
          if ((this.lastAcked.get(slot) ?? -1) < n) this.lastAcked.set(slot, n);
          continue;
        }
      } catch {
        // the replica is down or frozen: not acknowledged
      }
      this.failed++;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** Why `body` lacks an acknowledged push of one of the pushers (undefined: every one is there). */
export function missing(body: string, pushers: Pusher[]): string | undefined {
  const values = new Map<string, number>();
  for (const m of body.matchAll(/^fault_push\{instance="(\d+)",job="p(\d)"\} (\d+)$/gm)) {
    values.set(`${m[2]}/${m[1]}`, Number(m[3]));
  }
  for (const p of pushers) {
    for (const [slot, n] of p.lastAcked) {
      const got = values.get(`${p.r}/${slot}`);
      if (got === undefined || got < n) return `p${p.r}/${slot}: acknowledged ${n}, shows ${got}`;
    }
  }
  return undefined;
}

/**
 * Every replica has every acknowledged push so far and all the bodies are the same (within 30 s). Call it
 * with the pushers stopped: under load three scrapes are three instants, never one quiet state.
 */
export async function convergedAll(gws: RunningGateway[], pushers: Pusher[], what: string): Promise<void> {
  let last = 'bodies differ';
  await until(`${what}: replicas converged`, async () => {
    const bodies = await Promise.all(gws.map(pushed));
    if (bodies.some((b) => b === undefined)) return undefined;
    for (const b of bodies) {
      const why = missing(b!, pushers);
      if (why !== undefined) {
        last = why;
        return undefined;
      }
    }
    last = 'bodies differ';
    return bodies.every((b) => b === bodies[0]) ? true : undefined;
  }).catch((err: Error) => {
    throw new Error(`${err.message} (${last})`);
  });
}
