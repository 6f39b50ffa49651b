/**
 * Starting the two gateways under test with the same flags, remembering every child so that an exit or
 * Ctrl-C never leaves one running, and reading a child's resident set size from /proc.
 * The reference can also be started on a persistence file: the only way to give it 10k+ groups in
 * consistency-checked mode, because its checked push re-gathers the whole store (hours of loading).
 * A gateway under a --web.config.file with TLS or basic auth is started with an Access: how to reach it
 * (https and the CA to trust, the Authorization header), which its readiness probe uses too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { keepAliveAgent, request } from './load.js';
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

/** How a gateway is reached: plain HTTP by default; https with `ca` (PEM); `authorization` on every request. */
export interface Access {
  ca?: string;
  authorization?: string;
}

export interface Gateway {
  /** http://127.0.0.1:port, or https:// when started with an Access that has a CA. */
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

/** One GET /-/ready with the access's CA and credentials; its status, or 0 when nothing answered. */
async function readyStatus(url: string, access: Access): Promise<number> {
  const agent = keepAliveAgent(1, access.ca);
  try {
    const headers = access.authorization === undefined ? undefined : { Authorization: access.authorization };
    const res = await request(
      new URL(url),
      agent,
      { method: 'GET', path: '/-/ready', ...(headers === undefined ? {} : { headers }) },
      { timeoutMs: 5_000 },
    );
    return res.status;
  } catch {
    return 0; // not listening yet
  } finally {
    agent.destroy();
  }
}

/** Spawns a gateway listening on `port` and waits up to `readyMs` for /-/ready. */
async function spawnReady(
  cmd: string,
  args: string[],
  port: number,
  readyMs: number,
  access: Access = {},
): Promise<Gateway> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let tail = '';
  child.stderr!.on('data', (d: Buffer) => {
    tail = (tail + d.toString()).slice(-4000);
  });
  const gw = wrap(`${access.ca === undefined ? 'http' : 'https'}://127.0.0.1:${port}`, child);
  const deadline = Date.now() + readyMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) break;
    if ((await readyStatus(gw.url, access)) === 200) return gw;
    await new Promise((r) => setTimeout(r, 100));
  }
  await gw.kill();
  const why = child.exitCode !== null ? `exited with ${child.exitCode}` : `did not become ready within ${readyMs} ms`;
  // The last line the process wrote comes first, so that a one-line summary of the error names the reason.
  const last = tail.trim().split('\n').at(-1) ?? '';
  throw new Error(`${path.basename(cmd)} ${why}: ${last}\n${tail}`);
}

/**
 * A gateway of one side with `flags` (a --web.config.file among them, typically), reached as `access`
 * says; the reference with persistence off, as startGateway starts it.
 */
export async function startGatewayWith(side: Side, flags: string[], access: Access): Promise<Gateway> {
  const port = await freePort();
  const listen = `--web.listen-address=127.0.0.1:${port}`;
  return side === 'ours'
    ? spawnReady(process.execPath, [...ourNodeFlags(), OUR_CLI, listen, ...flags], port, 15_000, access)
    : spawnReady(REFERENCE_BIN, [listen, '--persistence.file=', ...flags], port, 15_000, access);
}

/** The reference on a persistence file (read at start, written at SIGTERM), waiting up to `readyMs`. */
export async function startReferenceOnFile(
  file: string,
  flags: string[],
  readyMs: number,
  access: Access = {},
): Promise<Gateway> {
  const port = await freePort();
  return spawnReady(
    REFERENCE_BIN,
    [`--web.listen-address=127.0.0.1:${port}`, `--persistence.file=${file}`, '--persistence.interval=24h', ...flags],
    port,
    readyMs,
    access,
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
