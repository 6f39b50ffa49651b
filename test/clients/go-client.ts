/**
 * Builds the Go pushers (test/clients/go-push/main.go, go-tls-push/main.go) once per test process, offline,
 * in GOPATH mode against Debian's packaged client_golang and golang/snappy, with a build cache in the temp
 * directory.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PROJECT_ROOT } from '../helpers/servers.js';
import { skipUnless, skipUnlessProgram } from '../helpers/skip.js';

const GOPATH = '/usr/share/gocode';
const NEEDED: Array<[string, string]> = [
  [`${GOPATH}/src/github.com/prometheus/client_golang/prometheus/push`, 'golang-github-prometheus-client-golang-dev'],
  [`${GOPATH}/src/github.com/golang/snappy`, 'golang-github-golang-snappy-dev'],
];

const built = new Map<string, { binary: string } | { skip: string }>();

function build(program: string): { binary: string } | { skip: string } {
  const goSkip = skipUnlessProgram('go', 'apt-get install -y golang-go');
  if (goSkip !== false) return { skip: goSkip };
  for (const [path, pkg] of NEEDED) {
    const skip = skipUnless(existsSync(path), path, `apt-get install -y ${pkg}`);
    if (skip !== false) return { skip };
  }
  const dir = mkdtempSync(join(tmpdir(), `${program}-`));
  const binary = join(dir, program);
  const src = join(PROJECT_ROOT, 'test/clients', program);
  // One build cache in the temp dir for every test process (Go's cache is safe for concurrent use).
  const env = {
    ...process.env,
    GO111MODULE: 'off',
    GOPATH,
    GOCACHE: join(tmpdir(), 'pushgateway-ts-gocache'),
    GOFLAGS: '',
  };
  const r = spawnSync('go', ['build', '-o', binary, '.'], { cwd: src, env, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`building ${src} failed:\n${r.stderr}${r.error ?? ''}`);
  return { binary };
}

/** The built binary of test/clients/<program>, or a loud skip reason when Go or the packages are missing. */
export function goProgram(program: string): { binary: string } | { skip: string } {
  let b = built.get(program);
  if (b === undefined) built.set(program, (b = build(program)));
  return b;
}

/** The built go-push binary's path, or a loud skip reason (printed once). */
export function goPusher(): { binary: string } | { skip: string } {
  return goProgram('go-push');
}

/** Runs the pusher (asynchronously: the gateway under test may be a child of this process too). */
export function runGoPusher(
  binary: string,
  args: string[],
  input?: Buffer,
): Promise<{ status: number | null; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { cwd: dirname(binary), stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout: Buffer.concat(out), stderr: err });
    });
    child.stdin.end(input);
  });
}
