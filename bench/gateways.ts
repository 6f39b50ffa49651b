/**
 * Starting the two gateways under test with the same flags, remembering every child so that an exit or
 * Ctrl-C never leaves one running, and reading a child's resident set size from /proc.
 */
import { readFileSync } from 'node:fs';
import { startOurs, startReference, type RunningGateway } from '../test/helpers/servers.js';

export type Side = 'ours' | 'reference';
export const SIDES: readonly Side[] = ['ours', 'reference'];

const running = new Set<RunningGateway>();

export async function startGateway(side: Side, flags: string[]): Promise<RunningGateway> {
  const gw = side === 'ours' ? await startOurs(flags) : await startReference(flags);
  running.add(gw);
  return gw;
}

export async function stopGateway(gw: RunningGateway): Promise<void> {
  running.delete(gw);
  await gw.stop('SIGKILL');
}

/** Kills every gateway still running; synchronous so it can run in an 'exit' handler. */
export function killAll(): void {
  for (const gw of running) {
    try { gw.process.kill('SIGKILL'); } catch { /* already gone */ }
  }
  running.clear();
}

let hooksInstalled = false;

export function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      console.error(`\n${sig}: stopping gateways`);
      killAll();
      process.exit(130);
    });
  }
  process.on('uncaughtException', (err) => {
    console.error(err);
    killAll();
    process.exit(1);
  });
}

/** VmRSS of a process in bytes (Linux /proc). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (m === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

/** Runs `fn` with a fresh gateway of one side and always stops it afterwards. */
export async function withGateway<T>(side: Side, flags: string[], fn: (gw: RunningGateway) => Promise<T>): Promise<T> {
  const gw = await startGateway(side, flags);
  try {
    return await fn(gw);
  } finally {
    await stopGateway(gw);
  }
}
