/**
 * Scenario t's basic-auth cost, measured so that the machine's load moves it little: one of our gateways
 * over HTTPS, its --web.config.file switched between "TLS only" and "TLS + basic auth" by the reloader
 * (written by rename, waited for with /-/healthy answering 200 or 401), so both halves run on the same
 * process and the same store. Each half is a wrk window of row a's workload; the cost is the gateway's CPU
 * time (utime + stime from /proc) per push, with auth against without, over several alternating rounds.
 * The median round is the verdict: req/s rows on a shared 2-core machine swing 2–5× between windows,
 * CPU per request far less. Ours only: the reference re-reads the file on every request anyway.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { cpuMs } from './proc-cpu.js';
import https from 'node:https';
import type { Gateway } from './gateways.js';
import { runWrk } from './wrk.js';
import { CONCURRENCY, GROUPS } from './throughput.js';
import { bodyFor, groupPath } from './workload.js';

export interface AuthCpuRound {
  /** Gateway CPU µs per push without and with basic auth. */
  withoutUs: number;
  withUs: number;
}

function status(url: string, ca: string): Promise<number> {
  return new Promise((resolve) => {
    const req = https.get(`${url}/-/healthy`, { ca, servername: 'localhost' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
  });
}

/** Replaces the config file by rename and waits (bounded) until the gateway answers as the new one does. */
async function switchTo(file: string, text: string, gw: Gateway, ca: string, want: number): Promise<void> {
  writeFileSync(`${file}.new`, text);
  renameSync(`${file}.new`, file);
  const deadline = Date.now() + 15_000;
  while ((await status(gw.url, ca)) !== want) {
    if (Date.now() > deadline) throw new Error(`the web config change did not apply (want ${want})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function authCpuRounds(o: {
  gw: Gateway;
  file: string;
  tlsText: string;
  authText: string;
  ca: string;
  authorization: string;
  windowMs: number;
  rounds: number;
}): Promise<AuthCpuRound[]> {
  const load = (authorization?: string) =>
    runWrk(o.gw.url, {
      method: 'PUT',
      path: groupPath('i'),
      counter: { cycle: GROUPS },
      body: bodyFor(0),
      contentType: 'text/plain; version=0.0.4',
      connections: CONCURRENCY,
      durationMs: o.windowMs,
      ...(authorization === undefined ? {} : { authorization }),
    });
  const pid = o.gw.process.pid!;
  const perPush = async (authorization?: string): Promise<number> => {
    const before = cpuMs(pid);
    const r = await load(authorization);
    if (r.errors > 0) throw new Error(`auth-cpu: ${r.errors} failed pushes (${r.firstError})`);
    return ((cpuMs(pid) - before) * 1000) / Math.max(1, r.requests);
  };
  await load(); // warm-up: JIT, and the store grown to its 10k groups
  const rounds: AuthCpuRound[] = [];
  for (let i = 0; i < o.rounds; i++) {
    await switchTo(o.file, o.tlsText, o.gw, o.ca, 200);
    const withoutUs = await perPush();
    await switchTo(o.file, o.authText, o.gw, o.ca, 401);
    const withUs = await perPush(o.authorization);
    rounds.push({ withoutUs, withUs });
  }
  return rounds;
}

/** The median round's cost, 1 − without/with as a fraction of the CPU per push (negative: noise). */
export function medianCost(rounds: readonly AuthCpuRound[]): number {
  const costs = rounds.map((r) => r.withUs / r.withoutUs - 1).sort((a, b) => a - b);
  return costs[(costs.length - 1) >> 1]!;
}
