/**
 * Starts real gateway processes on loopback ports for integration tests: ours (dist/src/cli.js) and the
 * Debian reference (/usr/bin/prometheus-pushgateway). Each returns a handle with its base URL and stop().
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { skipUnless } from './skip.js';

export const REFERENCE_BIN = '/usr/bin/prometheus-pushgateway';
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const OUR_CLI = path.join(PROJECT_ROOT, 'dist/src/cli.js');
/** The command users run (a sh script that execs Node with the gateway's flags). */
export const OUR_BIN = path.join(PROJECT_ROOT, 'bin/pushgateway');

export interface RunningGateway {
  url: string;
  port: number;
  process: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Where the test processes of a run reserve ports: one file per port, holding the owner's pid. */
const PORT_LOCK_DIR = path.join(os.tmpdir(), 'pushgateway-ts-ports');
/** How many ports below the kernel's ephemeral range are ours to hand out. */
const PORT_RANGE_SIZE = 10_000;
const handedOut = new Set<number>();
const ownLocks: string[] = [];
process.on('exit', () => {
  for (const file of ownLocks) rmSync(file, { force: true });
});

/** The ports to pick from: just below the ephemeral range, so no outgoing connection is given one meanwhile. */
function portRange(): { low: number; size: number } {
  let ephemeralLow = 32768;
  try {
    ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
  } catch {
    // not Linux: keep IANA's dynamic range start as Linux's default
  }
  const low = Math.max(1024, ephemeralLow - PORT_RANGE_SIZE);
  return { low, size: ephemeralLow - low };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Reserves `port` for this process with a lock file created exclusively (one winner among processes).
 * A lock left by a process that is gone is removed, so a later pick may have the port again.
 */
function reserve(port: number): boolean {
  const file = path.join(PORT_LOCK_DIR, String(port));
  try {
    writeFileSync(file, String(process.pid), { flag: 'wx' });
    ownLocks.push(file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    let owner = 0;
    try {
      owner = Number(readFileSync(file, 'utf8'));
    } catch {
      // removed meanwhile
    }
    // An empty file is a lock being written: its owner is alive.
    if (Number.isInteger(owner) && owner > 0 && !processAlive(owner)) rmSync(file, { force: true });
    return false;
  }
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * A free loopback TCP port that no other caller in this test run is handed: never twice in this
 * process, reserved against the other test processes by a lock file (see reserve), taken from below the
 * ephemeral range (the kernel does not give it to a client socket while the server is starting), and
 * checked free by binding it. Servers that need their port up front (the reference) get one this way.
 */
export async function freePort(): Promise<number> {
  mkdirSync(PORT_LOCK_DIR, { recursive: true });
  const { low, size } = portRange();
  const start = Math.floor(Math.random() * size);
  for (let i = 0; i < size; i++) {
    const port = low + ((start + i) % size);
    if (handedOut.has(port) || !reserve(port)) continue;
    handedOut.add(port);
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port left in ${low}-${low + size - 1} (locks in ${PORT_LOCK_DIR})`);
}

export function referenceAvailable(): boolean {
  return existsSync(REFERENCE_BIN);
}

/** Why a test that needs the reference is skipped, printed loudly, or false when it is there. */
export function referenceSkipReason(): string | false {
  return skipUnless(referenceAvailable(), REFERENCE_BIN, 'apt-get install -y prometheus-pushgateway');
}

async function fetchHealthy(url: string): Promise<boolean> {
  const res = await fetch(`${url}/-/healthy`);
  await res.arrayBuffer();
  return res.status === 200;
}

async function waitHealthy(
  url: string,
  child: ChildProcess,
  out: () => string,
  healthy: (url: string) => Promise<boolean> = fetchHealthy,
): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`gateway exited with ${child.exitCode}:\n${out()}`);
    try {
      if (await healthy(url)) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gateway at ${url} did not become healthy:\n${out()}`);
}

/** Extra spawn options for a gateway under test (another uid, environment, inherited descriptors). */
export type ExtraSpawnOptions = Pick<SpawnOptions, 'uid' | 'gid' | 'env' | 'cwd'> & {
  extraFds?: number[];
  /** Runs right after the spawn, before waiting for health (e.g. to close the parent's copy of a socket). */
  afterSpawn?: () => void;
  /** Whether the gateway at `url` (http://127.0.0.1:port) answers yet; default: GET /-/healthy is 200. */
  healthy?: (url: string) => Promise<boolean>;
};

async function startProcess(
  cmd: string,
  args: string[],
  port: number,
  prefix = '',
  extra: ExtraSpawnOptions = {},
): Promise<RunningGateway> {
  const { extraFds = [], afterSpawn, healthy, ...spawnOpts } = extra;
  const child = spawn(cmd, args, { ...spawnOpts, stdio: ['ignore', 'pipe', 'pipe', ...extraFds] });
  afterSpawn?.();
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    buf += d.toString();
  });
  const url = `http://127.0.0.1:${port}${prefix}`;
  try {
    await waitHealthy(url, child, () => buf, healthy);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    url,
    port,
    process: child,
    output: () => buf,
    stop: (signal: NodeJS.Signals = 'SIGTERM') => stopChild(child, signal),
  };
}

/** Sends `signal` (SIGKILL after 5 s) and resolves with the exit code; at once if the child has ended. */
export function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    child.kill(signal);
  });
}

/**
 * The Node.js flags our gateway runs with: those bin/pushgateway (the one place they are written) puts on
 * its `exec "$node"` line, so tests and the bench run what ships, plus PGTS_NODE_FLAGS (space-separated)
 * to try other tunings. (The heap limit the bin computes per command line is left to Node's default.)
 */
export function ourNodeFlags(): string[] {
  const exec = readFileSync(OUR_BIN, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('exec "$node" '));
  if (exec === undefined) throw new Error(`${OUR_BIN} has no 'exec "$node" …' line to read the Node flags from`);
  const shipped = exec.split(/\s+/).filter((w) => /^--[a-z0-9-]+(=[^\s"'$]+)?$/.test(w));
  return [...shipped, ...(process.env.PGTS_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '')];
}

/** Starts our gateway (built into dist/) with the given extra flags on a free loopback port. */
export async function startOurs(
  extraArgs: string[] = [],
  opts: { prefix?: string; port?: number; spawn?: ExtraSpawnOptions } = {},
): Promise<RunningGateway> {
  const port = opts.port ?? (await freePort());
  return startProcess(
    process.execPath,
    [...ourNodeFlags(), OUR_CLI, `--web.listen-address=127.0.0.1:${port}`, ...extraArgs],
    port,
    opts.prefix,
    opts.spawn,
  );
}

/** Starts our gateway with exactly these arguments (no listen address added), serving on `port`. */
export async function startOursWith(
  cmd: string,
  args: string[],
  port: number,
  spawnOpts: ExtraSpawnOptions = {},
): Promise<RunningGateway> {
  return startProcess(cmd, args, port, '', spawnOpts);
}

/** Starts the Debian reference 1.5.1 with persistence off, on a free loopback port. */
export async function startReference(
  extraArgs: string[] = [],
  opts: { prefix?: string; spawn?: ExtraSpawnOptions } = {},
): Promise<RunningGateway> {
  const port = await freePort();
  return startProcess(
    REFERENCE_BIN,
    [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file=', ...extraArgs],
    port,
    opts.prefix,
    opts.spawn,
  );
}
