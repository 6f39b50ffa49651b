/**
 * Builds the packaging artefacts once per test run for the packaging tests: the single executable
 * (scripts/build-binary.js, about a minute), the release tarball and the .deb. Several test files need the
 * same executable and run in parallel, so the first to arrive builds under a lock directory and the others
 * wait for its completion marker; `npm run build` empties dist/, so a marker found there is this build's.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import path from 'node:path';
import { PROJECT_ROOT } from './servers.js';

const BUILD_TIMEOUT_MS = 8 * 60_000;

/** package.json's version: the artefacts' names carry it (scripts/build-release.js, build-deb.js). */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Runs `node scripts/<script>` once for `marker` (a file in dist/), however many test files ask. */
async function buildOnce(script: string, marker: string): Promise<void> {
  const done = path.join(PROJECT_ROOT, 'dist', `${marker}.built`);
  const lock = path.join(PROJECT_ROOT, 'dist', `${marker}.lock`);
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  while (!existsSync(done)) {
    try {
      mkdirSync(lock);
    } catch {
      if (Date.now() > deadline) throw new Error(`${script}: another test's build did not finish in time`);
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    try {
      execFileSync(process.execPath, [path.join(PROJECT_ROOT, 'scripts', script)], {
        cwd: PROJECT_ROOT,
        stdio: ['ignore', 'ignore', 'pipe'],
        timeout: BUILD_TIMEOUT_MS,
      });
      writeFileSync(done, `${new Date().toISOString()}\n`);
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

/** dist/binary/pushgateway, built if this run has not built it yet. */
export async function singleExecutable(): Promise<string> {
  await buildOnce('build-binary.js', 'binary');
  return path.join(PROJECT_ROOT, 'dist/binary/pushgateway');
}

/** dist/release/<tarball>, built (with the executable) if this run has not built it yet. */
export async function releaseTarball(): Promise<{ dir: string; tarball: string; folder: string }> {
  await singleExecutable();
  await buildOnce('build-release.js', 'release');
  const folder = `pushgateway-ts-${packageVersion()}.linux-amd64`;
  return { dir: path.join(PROJECT_ROOT, 'dist/release'), tarball: `${folder}.tar.gz`, folder };
}

/** dist/deb/<package>.deb, built (with the executable) if this run has not built it yet. */
export async function debPackage(): Promise<string> {
  await singleExecutable();
  await buildOnce('build-deb.js', 'deb');
  return path.join(PROJECT_ROOT, 'dist/deb', `pushgateway-ts_${packageVersion()}_amd64.deb`);
}

const SYSTEM_LOCK = '/tmp/pushgateway-ts-system-install.lock';

/**
 * Runs `fn` while holding the machine-wide lock of the tests that install for real (the tutorial's
 * useradd and /usr/local/bin, the .deb's /usr/bin and its user): they share the `pushgateway` user and
 * port 9091, so two of them must never overlap. The lock is a directory holding the owner's pid; one left
 * by a process that died is taken over.
 */
export async function withSystemInstallLock<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  for (;;) {
    try {
      mkdirSync(SYSTEM_LOCK);
      writeFileSync(path.join(SYSTEM_LOCK, 'pid'), String(process.pid));
      break;
    } catch {
      let owner = Number.NaN;
      try {
        owner = Number(readFileSync(path.join(SYSTEM_LOCK, 'pid'), 'utf8'));
        process.kill(owner, 0);
      } catch {
        if (Number.isInteger(owner)) rmSync(SYSTEM_LOCK, { recursive: true, force: true });
      }
      if (Date.now() > deadline) throw new Error(`${SYSTEM_LOCK} held too long by ${owner}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(SYSTEM_LOCK, { recursive: true, force: true });
  }
}

/** Whether anything accepts connections on 127.0.0.1:`port` (the tutorial's fixed 9091 must be free). */
export function portTaken(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}
