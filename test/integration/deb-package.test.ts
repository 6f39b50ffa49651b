/**
 * The Debian package (`npm run build:deb`) installed for real with dpkg: lintian finds nothing (what it
 * would find about Node.js inside is overridden with reasons, deploy/debian/lintian-overrides), the files,
 * user and state directory are there, `systemd-analyze verify` accepts the installed unit, the gateway
 * starts as the package's user with the flags of /etc/default/pushgateway (by hand where systemd is not
 * running the machine), takes a push and serves it, an upgrade to a newer build keeps the persistence file
 * and serves its metrics again, remove keeps the data and purge deletes the user and /var/lib/pushgateway.
 * Root only (CI runs as root); skipped loudly otherwise, or when the package or port 9091 are in use.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { debPackage, packageVersion, portTaken, withSystemInstallLock } from '../helpers/packaging.js';
import { PROJECT_ROOT } from '../helpers/servers.js';
import { hasProgram, skipUnless } from '../helpers/skip.js';

const STORE = '/var/lib/pushgateway/metrics.store';

function sh(cmd: string): { code: number | null; out: string } {
  const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

const installed = (pkg: string) => sh(`dpkg-query -W -f='\${Status}' ${pkg} 2>/dev/null`).out.includes('installed');

const skip =
  skipUnless(process.getuid?.() === 0, 'root (dpkg -i)', 'run as root') ||
  skipUnless(hasProgram('dpkg-deb') && hasProgram('dpkg'), 'dpkg-deb', 'a Debian machine') ||
  skipUnless(
    !installed('pushgateway-ts') && sh('id pushgateway').code !== 0,
    'a machine without pushgateway-ts installed or a pushgateway user (the test would remove them)',
    'dpkg -P pushgateway-ts',
  ) ||
  skipUnless(!(await portTaken(9091)), 'a free port 9091 (the default flags listen there)', 'stop what listens there');

/** Starts the installed gateway as its user with /etc/default/pushgateway's ARGS, as the unit does. */
async function startInstalled(): Promise<{ stop: () => Promise<number | null>; output: () => string }> {
  const uid = Number(sh('id -u pushgateway').out);
  const gid = Number(sh('id -g pushgateway').out);
  const child = spawn('/bin/sh', ['-c', '. /etc/default/pushgateway && exec /usr/bin/pushgateway $ARGS'], {
    uid,
    gid,
    cwd: '/var/lib/pushgateway',
    env: { PATH: '/usr/bin:/bin' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ok = await fetch('http://127.0.0.1:9091/-/ready').then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`installed gateway not ready on :9091:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    output: () => out,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}

describe('the .deb', { skip, timeout: 12 * 60_000 }, () => {
  let deb: string;
  let newer: string;
  let work: string;
  let releaseLock: () => void = () => {};
  const newerVersion = `${packageVersion()}+upgrade1`;

  before(async () => {
    deb = await debPackage();
    work = mkdtempSync(path.join(os.tmpdir(), 'pgts-deb-'));
    execFileSync(process.execPath, [path.join(PROJECT_ROOT, 'scripts/build-deb.js'), work], {
      env: { ...process.env, DEB_VERSION: newerVersion },
      stdio: 'ignore',
      timeout: 5 * 60_000,
    });
    newer = path.join(work, `pushgateway-ts_${newerVersion}_amd64.deb`);
    await new Promise<void>((held) => {
      void withSystemInstallLock(
        () =>
          new Promise<void>((done) => {
            releaseLock = done;
            held();
          }),
      );
    });
  });

  after(() => {
    if (installed('pushgateway-ts')) sh('dpkg -P pushgateway-ts');
    rmSync(work, { recursive: true, force: true });
    releaseLock();
  });

  it('is lintian clean', { skip: skipUnless(hasProgram('lintian'), 'lintian', 'apt-get install -y lintian') }, () => {
    const r = spawnSync('lintian', ['--tag-display-limit', '0', deb], { encoding: 'utf8', timeout: 300_000 });
    const findings = `${r.stdout}${r.stderr}`.split('\n').filter((l) => /^[EWI]: /.test(l));
    assert.deepEqual(findings, []);
    assert.equal(r.status, 0, r.stderr);
  });

  it('installs the binary, the unit, the flags file, the user and /var/lib/pushgateway', () => {
    const r = sh(`dpkg -i ${deb}`);
    assert.equal(r.code, 0, r.out);
    for (const f of ['/usr/bin/pushgateway', '/lib/systemd/system/pushgateway.service', '/etc/default/pushgateway']) {
      assert.ok(existsSync(f), f);
    }
    assert.equal(sh('stat -c %U:%G:%a /var/lib/pushgateway').out.trim(), 'pushgateway:pushgateway:700');
    assert.equal(sh('getent passwd pushgateway | cut -d: -f7').out.trim(), '/usr/sbin/nologin');
    assert.match(sh('/usr/bin/pushgateway --version').out, new RegExp(`version ${packageVersion()} `));
  });

  it('has a unit systemd-analyze verify accepts', {
    skip: skipUnless(hasProgram('systemd-analyze'), 'systemd-analyze', 'apt-get install -y systemd'),
  }, () => {
    const r = sh('systemd-analyze verify /lib/systemd/system/pushgateway.service');
    assert.equal(r.code, 0, r.out);
    assert.deepEqual(
      r.out.split('\n').filter((l) => l.includes('pushgateway')),
      [],
    );
  });

  it('starts as its user with /etc/default/pushgateway, takes a push, and persists it on SIGTERM', async () => {
    const gw = await startInstalled();
    const push = await fetch('http://127.0.0.1:9091/metrics/job/deb', { method: 'PUT', body: 'deb_metric 7\n' });
    assert.equal(push.status, 200);
    assert.match(
      await (await fetch('http://127.0.0.1:9091/metrics')).text(),
      /^deb_metric\{instance="",job="deb"\} 7$/m,
    );
    assert.equal(await gw.stop(), 0, gw.output());
    assert.equal(sh(`stat -c %U ${STORE}`).out.trim(), 'pushgateway');
  });

  it('upgrades to a newer build keeping the persistence file, and serves what it held', async () => {
    const before = readFileSync(STORE);
    const r = sh(`dpkg -i ${newer}`);
    assert.equal(r.code, 0, r.out);
    assert.equal(sh(`dpkg-query -W -f='\${Version}' pushgateway-ts`).out, newerVersion);
    assert.deepEqual(readFileSync(STORE), before);
    const gw = await startInstalled();
    try {
      assert.match(
        await (await fetch('http://127.0.0.1:9091/metrics')).text(),
        /^deb_metric\{instance="",job="deb"\} 7$/m,
      );
    } finally {
      assert.equal(await gw.stop(), 0, gw.output());
    }
  });

  it('remove keeps the data and the user; purge deletes them', () => {
    assert.equal(sh('dpkg -r pushgateway-ts').code, 0);
    assert.ok(!existsSync('/usr/bin/pushgateway'));
    assert.ok(existsSync(STORE));
    assert.equal(sh('id pushgateway').code, 0);
    assert.equal(sh('dpkg -P pushgateway-ts').code, 0);
    assert.ok(!existsSync('/var/lib/pushgateway'));
    assert.notEqual(sh('id pushgateway').code, 0);
    assert.ok(!existsSync('/etc/default/pushgateway'));
  });
});
