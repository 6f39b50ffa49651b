/**
 * Starts a real redis-server (Debian's package) for tests of the Redis store: on a free loopback port,
 * with its own temporary directory, no config file of the system's, and persistence off unless asked
 * (`aof`). stop() ends it gracefully, kill() with SIGKILL (a crash), restart() starts it again on the same
 * port and directory (so an AOF file is read back). Tests skip loudly when redis-server is missing.
 * startSentinel() starts a redis-sentinel monitoring a primary under a master name, with short timeouts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './servers.js';
import { hasProgram, skipUnless } from './skip.js';

export const REDIS_SERVER = 'redis-server';

export interface RunningRedis {
  url: string;
  port: number;
  dir: string;
  /** Everything the server wrote so far (its log goes to stdout). */
  output(): string;
  /** SIGTERM and wait for the exit (the port is free again). */
  stop(): Promise<void>;
  /** SIGKILL and wait for the exit: Redis gone without a goodbye. */
  kill(): Promise<void>;
  /** Starts it again on the same port and directory, once stopped or killed. */
  restart(): Promise<void>;
}

/** Why a Redis test is skipped (printed loudly), or false when redis-server is installed. */
export function redisSkipReason(): string | false {
  return skipUnless(hasProgram(REDIS_SERVER), REDIS_SERVER, 'apt-get install -y redis-server');
}

export const REDIS_SENTINEL = 'redis-sentinel';

/** Why a Sentinel test is skipped, or false when redis-server and redis-sentinel are installed. */
export function sentinelSkipReason(): string | false {
  return (
    redisSkipReason() || skipUnless(hasProgram(REDIS_SENTINEL), REDIS_SENTINEL, 'apt-get install -y redis-sentinel')
  );
}

export interface RunningSentinel {
  port: number;
  address: string;
  stop(): Promise<void>;
}

/**
 * A redis-sentinel on a free loopback port watching `primary` as `master` (quorum `quorum`), its config
 * file in a temporary directory of its own (Sentinel rewrites it). Down after 1 s, failover timeout 5 s.
 */
export async function startSentinel(
  primary: RunningRedis,
  master: string,
  quorum = 2,
  auth: { authPass?: string; requirepass?: string } = {},
): Promise<RunningSentinel> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pgts-sentinel-'));
  const conf = path.join(dir, 'sentinel.conf');
  writeFileSync(
    conf,
    [
      `port ${port}`,
      'bind 127.0.0.1',
      'daemonize no',
      `dir ${dir}`,
      'loglevel warning',
      `sentinel monitor ${master} 127.0.0.1 ${primary.port} ${quorum}`,
      `sentinel down-after-milliseconds ${master} 1000`,
      `sentinel failover-timeout ${master} 5000`,
      `sentinel parallel-syncs ${master} 1`,
      ...(auth.authPass === undefined ? [] : [`sentinel auth-pass ${master} ${auth.authPass}`]),
      ...(auth.requirepass === undefined ? [] : [`requirepass ${auth.requirepass}`]),
      '',
    ].join('\n'),
  );
  let buf = '';
  const child = spawn(REDIS_SENTINEL, [conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    buf += d.toString();
  });
  await waitPing(port, child, () => buf);
  process.on('exit', () => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    port,
    address: `127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** Resolves once something accepts TCP connections and answers PING on the port, within 10 s. */
async function waitPing(port: number, child: ChildProcess, out: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}:\n${out()}`);
    const pong = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      let got = '';
      s.setTimeout(1000, () => s.destroy());
      s.on('connect', () => s.write('PING\r\n'));
      s.on('data', (d) => {
        got += d.toString();
        if (got.includes('\r\n')) {
          s.destroy();
          // A server with requirepass answers NOAUTH: it is up.
          resolve(got.startsWith('+PONG') || got.startsWith('-NOAUTH'));
        }
      });
      s.on('error', () => resolve(false));
      s.on('close', () => resolve(got.startsWith('+PONG') || got.startsWith('-NOAUTH')));
    });
    if (pong) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server on port ${port} did not answer PING:\n${out()}`);
}

/**
 * `replicaOf`: start it as a Redis replica of that server (replication, for WAIT). `password`: its
 * requirepass (the url then carries it).
 */
export async function startRedis(
  opts: { aof?: boolean; replicaOf?: RunningRedis; password?: string } = {},
): Promise<RunningRedis> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pgts-redis-'));
  let child: ChildProcess;
  let buf = '';
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--save',
    '',
    '--appendonly',
    opts.aof === true ? 'yes' : 'no',
    '--appendfsync',
    'always',
    '--daemonize',
    'no',
    '--protected-mode',
    'yes',
    '--loglevel',
    'warning',
    ...(opts.replicaOf === undefined ? [] : ['--replicaof', '127.0.0.1', String(opts.replicaOf.port)]),
    ...(opts.password === undefined ? [] : ['--requirepass', opts.password]),
  ];
  const launch = async (): Promise<void> => {
    child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      buf += d.toString();
    });
    try {
      await waitPing(port, child, () => buf);
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
  };
  const end = (signal: NodeJS.Signals): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  await launch();
  process.on('exit', () => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    url: `redis://${opts.password === undefined ? '' : `:${opts.password}@`}127.0.0.1:${port}`,
    port,
    dir,
    output: () => buf,
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
    restart: launch,
  };
}
