/**
 * Paired fixed-rate load: the same requests, at the same fixed rate, to several gateways at once, each
 * tick's requests interleaved across them (the order reversed every other tick), and each gateway's CPU per
 * request (from /proc) per window. For a cost that is a few per cent of a push, the only instrument on
 * this 2-core VM whose A/A control stays within about ±2 %: the machine's own speed drifts by ±30 % from
 * one second to the next (a fixed CPU-bound loop, pinned, took 100-181 ms), so windows run one after the
 * other compare two moments of the machine, not two gateways; loaded together, both see the same moments.
 * A fixed rate below saturation also gives both the same batching per event-loop turn, where a closed loop
 * hands more requests (and so a cheaper per-request share of each turn) to whichever answers faster.
 */
import { cpuMs } from './proc-cpu.js';
import { keepAliveAgent, request, type BenchRequest } from './load.js';

export interface PairedSide {
  /** The gateway's base URL and process id. */
  url: string;
  pid: number;
  /** Request i for this gateway. */
  make: (i: number) => BenchRequest;
}

export interface PairedOptions {
  /** Requests per second sent to each gateway. */
  ratePerSide: number;
  windowMs: number;
  /** Counted windows, after one uncounted warm-up window. */
  windows: number;
  /** Statuses that count as success; anything else fails the run. */
  expect: readonly number[];
  /** Requests in flight per gateway beyond which a tick's request is skipped (counted) rather than queued. */
  maxInFlight?: number;
}

export interface PairedResult {
  /** [window][side]: the gateway's CPU µs per request answered in that window. */
  cpuUs: number[][];
  /** Requests answered per side over the counted windows. */
  answered: number[];
  /** Requests not sent because the gateway had maxInFlight outstanding (the rate was not held). */
  skipped: number;
}

const TICK_MS = 2;

export async function runPaired(sides: readonly PairedSide[], opts: PairedOptions): Promise<PairedResult> {
  const maxInFlight = opts.maxInFlight ?? 32;
  const state = sides.map((s) => ({
    ...s,
    base: new URL(s.url),
    agent: keepAliveAgent(maxInFlight),
    inFlight: 0,
    done: 0,
  }));
  let next = 0;
  let skipped = 0;
  let failure: string | undefined;
  const window = async (ms: number): Promise<number[]> => {
    const cpu0 = state.map((s) => cpuMs(s.pid));
    for (const s of state) s.done = 0;
    const started = performance.now();
    let sent = 0;
    await new Promise<void>((resolve) => {
      const tick = (): void => {
        const elapsed = performance.now() - started;
        if (elapsed >= ms || failure !== undefined) {
          resolve();
          return;
        }
        const due = Math.floor((elapsed / 1000) * opts.ratePerSide);
        for (; sent < due; sent++) {
          const i = next++;
          for (let k = 0; k < state.length; k++) {
            const s = state[i % 2 === 0 ? k : state.length - 1 - k]!;
            if (s.inFlight >= maxInFlight) {
              skipped++;
              continue;
            }
            s.inFlight++;
            request(s.base, s.agent, s.make(i)).then(
              (res) => {
                s.inFlight--;
                s.done++;
                if (!opts.expect.includes(res.status)) failure ??= `HTTP ${res.status} from ${s.url}`;
              },
              (err: unknown) => {
                s.inFlight--;
                failure ??= `${s.url}: ${String(err)}`;
              },
            );
          }
        }
        setTimeout(tick, TICK_MS);
      };
      tick();
    });
    // The window's requests all answered before its CPU is read: each request is counted where it ran.
    while (state.some((s) => s.inFlight > 0)) await new Promise((resolve) => setTimeout(resolve, TICK_MS));
    if (failure !== undefined) throw new Error(`paired load: ${failure}`);
    return state.map((s, k) => ((cpuMs(s.pid) - cpu0[k]!) * 1000) / Math.max(1, s.done));
  };
  try {
    await window(opts.windowMs);
    skipped = 0;
    const cpuUs: number[][] = [];
    const answered = state.map(() => 0);
    for (let w = 0; w < opts.windows; w++) {
      cpuUs.push(await window(opts.windowMs));
      state.forEach((s, k) => {
        answered[k] = answered[k]! + s.done;
      });
    }
    return { cpuUs, answered, skipped };
  } finally {
    for (const s of state) s.agent.destroy();
  }
}
