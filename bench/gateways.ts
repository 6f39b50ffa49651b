/**
 * Starting the two gateways under test with the same flags, remembering every child so that an exit or
 * Ctrl-C never leaves one running, and reading a child's resident set size from /proc.
 * The reference can also be started on a persistence file: the only way to give it 10k+ groups in
 * consistency-checked mode, because its checked push re-gathers the whole store (hours of loading).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  OUR_CLI,
  REFERENCE_BIN,
  freePort,
  ourNodeFlags,
  startOurs,
  startReference,
  type RunningGateway,
} from '../test/helpers/servers.js';

export type Side = 'ours' | 'reference';
export const SIDES: readonly Side[] = ['ours', 'reference'];

export interface Gateway {
  url: string;
  process: ChildProcess;
  /** SIGKILL: no persistence write, no drain. */
  kill(): Promise<void>;
  /** SIGTERM and wait (the reference writes its persistence file on the way out). */
  shutdown(timeoutMs: number): Promise<void>;
}

const running = new Set<ChildProcess>();

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

function wrap(url: string, child: ChildProcess): Gateway {
  running.add(child);
  const end = async (signal: NodeJS.Signals, timeoutMs: number): Promise<void> => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.kill(signal);
    await exited(child);
    clearTimeout(timer);
    running.delete(child);
  };
  return { url, process: child, kill: () => end('SIGKILL', 5_000), shutdown: (ms) => end('SIGTERM', ms) };
}

export async function startGateway(side: Side, flags: string[]): Promise<Gateway> {
  const gw: RunningGateway = side === 'ours' ? await startOurs(flags) : await startReference(flags);
  return wrap(gw.url, gw.process);
}

/** Spawns a gateway listening on `port` and waits up to `readyMs` for /-/ready. */
async function spawnReady(cmd: string, args: string[], port: number, readyMs: number): Promise<Gateway> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let tail = '';
  child.stderr!.on('data', (d: Buffer) => {
    tail = (tail + d.toString()).slice(-4000);
  });
  const gw = wrap(`http://127.0.0.1:${port}`, child);
  const deadline = Date.now() + readyMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    try {
      const res = await fetch(`${gw.url}/-/ready`);
      await res.arrayBuffer();
      if (res.status === 200) return gw;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await gw.kill();
  throw new Error(`${cmd} did not become ready within ${readyMs} ms:\n${tail}`);
}

/** The reference on a persistence file (read at start, written at SIGTERM), waiting up to `readyMs`. */
export async function startReferenceOnFile(file: string, flags: string[], readyMs: number): Promise<Gateway> {
  const port = await freePort();
  return spawnReady(
    REFERENCE_BIN,
    [`--web.listen-address=127.0.0.1:${port}`, `--persistence.file=${file}`, '--persistence.interval=24h', ...flags],
    port,
    readyMs,
  );
}

/** Ours under `node --cpu-prof`; the profile is written to `dir` when it exits on SIGTERM. */
export async function startOursProfiled(flags: string[], dir: string): Promise<Gateway> {
  const port = await freePort();
  return spawnReady(
    process.execPath,
    [
      ...ourNodeFlags(),
      '--cpu-prof',
      `--cpu-prof-dir=${dir}`,
      OUR_CLI,
      `--web.listen-address=127.0.0.1:${port}`,
      ...flags,
    ],
    port,
    15_000,
  );
}

/** Kills every gateway still running; synchronous so it can run in an 'exit' handler. */
export function killAll(): void {
  for (const child of running) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  running.clear();
}

export function installExitHooks(): void {
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
export async function withGateway<T>(side: Side, flags: string[], fn: (gw: Gateway) => Promise<T>): Promise<T> {
  const gw = await startGateway(side, flags);
  try {
    return await fn(gw);
  } finally {
    await gw.kill();
  }
}
