/**
 * The seed tutorial (xavki's slides, docs in test/clients/) run verbatim on the release tarball, with our
 * file name in place of pushgateway-1.0.0.linux-amd64.tar.gz: `tar -xzvf`, `useradd`, `cp` to
 * /usr/local/bin, `chown`, the unit file written with its `cat > … << EOF` and its exact flags (port 9091,
 * /tmp/metric.store, JSON logs), started with systemctl when systemd runs the machine or else by hand as the
 * `pushgateway` user with the unit's own ExecStart, then the tutorial's curl push, `curl -L` scrape and
 * Python snippet (its `team_name`, used but never defined there, set to the tutorial's team). The tarball's
 * contents and sha256sums.txt are checked first. Everything it creates (user, binary, unit, store) is
 * removed afterwards. Needs root (CI runs as root) and a free port 9091, else it is skipped loudly.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageVersion, portTaken, releaseTarball, withSystemInstallLock } from '../helpers/packaging.js';
import { hasProgram, skipUnless } from '../helpers/skip.js';

const BIN = '/usr/local/bin/pushgateway';
const UNIT = '/etc/systemd/system/pushgateway.service';
const STORE = '/tmp/metric.store';
const systemdRunning = existsSync('/run/systemd/system');

function userExists(name: string): boolean {
  return spawnSync('id', [name], { stdio: 'ignore' }).status === 0;
}

const skip =
  skipUnless(process.getuid?.() === 0, 'root (the tutorial runs useradd and writes /usr/local/bin)', 'run as root') ||
  skipUnless(hasProgram('useradd') && hasProgram('curl'), 'useradd and curl', 'apt-get install -y passwd curl') ||
  skipUnless(
    !userExists('pushgateway') && !existsSync(BIN) && !existsSync(UNIT) && !existsSync(STORE),
    `a machine without a pushgateway user, ${BIN}, ${UNIT} or ${STORE} (the test would overwrite them)`,
    'remove them',
  ) ||
  skipUnless(!(await portTaken(9091)), 'a free port 9091 (the tutorial listens on :9091)', 'stop what listens there');

/** The tutorial's shell steps, verbatim but for the file name. */
function installSteps(tarball: string, folder: string): string {
  return [
    `tar -xzvf ${tarball}`,
    'useradd --no-create-home --shell /bin/false pushgateway',
    `cp ${folder}/pushgateway /usr/local/bin/`,
    'chown pushgateway:pushgateway /usr/local/bin/pushgateway',
  ].join('\n');
}

const UNIT_STEP = `cat > /etc/systemd/system/pushgateway.service << EOF
[Unit]
Description=Pushgateway
Wants=network-online.target
After=network-online.target
[Service]
User=pushgateway
Group=pushgateway
Type=simple
ExecStart=/usr/local/bin/pushgateway \\
    --web.listen-address=":9091" \\
    --web.telemetry-path="/metrics" \\
    --persistence.file="/tmp/metric.store" \\
    --persistence.interval=5m \\
    --log.level="info" \\
    --log.format="json"
[Install]
WantedBy=multi-user.target
EOF
`;

/** The tutorial's Python snippet as written, with the `team_name` it uses defined first. */
const PYTHON_SNIPPET = [
  'import requests',
  "job_name='my_custom_metrics'",
  "instance_name='192.168.59.3:9000'",
  "provider='xavki'",
  "team_name='xavki'",
  "payload_key='cpu_utilization'",
  "payload_value='21.90'",
  "response = requests.post('http://127.0.0.1:9091/metrics/job/{j}/instance/{i}/team/{t}'" +
    ".format(j=job_name, i=instance_name, t=team_name), data='{k} {v}\\n'.format(k=payload_key, v=payload_value))",
  'print(response.status_code)',
].join('\n');

function bash(script: string, cwd: string): { code: number | null; out: string } {
  // --norc and no stdin: bash run with a socket on stdin (a CI runner, nohup under a remote shell) reads
  // the system bashrc, whose first line fails under -u.
  const r = spawnSync('bash', ['--norc', '-euo', 'pipefail', '-c', script], {
    cwd,
    encoding: 'utf8',
    timeout: 60_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** The unit's ExecStart with its continuation lines joined, as systemd reads it. */
function execStart(unitText: string): string {
  const joined = unitText.replace(/\\\n/g, ' ');
  const line = joined.split('\n').find((l) => l.startsWith('ExecStart='));
  assert.ok(line !== undefined, unitText);
  return line.slice('ExecStart='.length);
}

async function waitReady(deadlineMs: number, out: () => string): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    const ok = await fetch('http://127.0.0.1:9091/-/ready').then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the tutorial's gateway did not become ready on :9091:\n${out()}`);
}

describe('the seed tutorial on the release tarball', { skip, timeout: 12 * 60_000 }, () => {
  let work: string;
  let release: Awaited<ReturnType<typeof releaseTarball>>;
  let child: ChildProcess | undefined;
  let output = '';
  let releaseLock: () => void = () => {};

  before(async () => {
    release = await releaseTarball();
    work = mkdtempSync(path.join(os.tmpdir(), 'pgts-tutorial-'));
    // Held from here to the cleanup: the .deb test uses the same user and port.
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

  after(async () => {
    if (systemdRunning) {
      spawnSync('systemctl', ['disable', '--now', 'pushgateway'], { stdio: 'ignore' });
    } else if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    if (userExists('pushgateway')) execFileSync('userdel', ['pushgateway']);
    for (const f of [BIN, UNIT, STORE]) rmSync(f, { force: true });
    if (systemdRunning) spawnSync('systemctl', ['daemon-reload'], { stdio: 'ignore' });
    rmSync(work, { recursive: true, force: true });
    releaseLock();
  });

  it('holds the binary, LICENSE, NOTICE, README.md and the unit in one folder, with a matching sha256sums.txt', () => {
    const sums = bash(`cd ${release.dir} && sha256sum -c sha256sums.txt`, work);
    assert.equal(sums.code, 0, sums.out);
    assert.equal(release.tarball, `pushgateway-ts-${packageVersion()}.linux-amd64.tar.gz`);
    const list = bash(`tar -tzf ${path.join(release.dir, release.tarball)} | sort`, work);
    const f = release.folder;
    assert.deepEqual(list.out.trim().split('\n'), [
      `${f}/`,
      `${f}/LICENSE`,
      `${f}/NOTICE`,
      `${f}/README.md`,
      `${f}/pushgateway`,
      `${f}/pushgateway.service`,
    ]);
  });

  it("installs with the tutorial's tar, useradd, cp and chown", () => {
    execFileSync('cp', [path.join(release.dir, release.tarball), work]);
    const r = bash(installSteps(release.tarball, release.folder), work);
    assert.equal(r.code, 0, r.out);
    assert.ok(userExists('pushgateway'));
    const owner = bash(`stat -c %U:%G ${BIN}`, work);
    assert.equal(owner.out.trim(), 'pushgateway:pushgateway');
  });

  it("starts from the tutorial's unit file, with its exact flags", async () => {
    const r = bash(UNIT_STEP, work);
    assert.equal(r.code, 0, r.out);
    if (systemdRunning) {
      const s = bash('systemctl daemon-reload && systemctl start pushgateway && systemctl enable pushgateway', work);
      assert.equal(s.code, 0, s.out);
    } else {
      // No systemd running the machine (a container): the unit's ExecStart, as its User= and Group=.
      const uid = Number(bash('id -u pushgateway', work).out);
      const gid = Number(bash('id -g pushgateway', work).out);
      child = spawn('/bin/sh', ['-c', `exec ${execStart(readFileSync(UNIT, 'utf8'))}`], {
        uid,
        gid,
        cwd: '/',
        env: { PATH: '/usr/local/bin:/usr/bin:/bin' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    }
    await waitReady(30_000, () => output);
    if (!systemdRunning) {
      const first = JSON.parse(output.split('\n')[0]!);
      assert.equal(first.msg, 'starting pushgateway', 'logs are JSON as --log.format="json" asks');
    }
  });

  it("takes the tutorial's curl push and shows it to its curl -L scrape", () => {
    const push = bash(
      'echo "mymetric 20.25" | curl --data-binary @- ' +
        'http://127.0.0.1:9091/metrics/job/my_custom_metrics/instance/moninstance/provider/xavki',
      work,
    );
    assert.equal(push.code, 0, push.out);
    const scrape = bash('curl -L http://localhost:9091/metrics/', work);
    assert.equal(scrape.code, 0, scrape.out);
    assert.match(scrape.out, /^mymetric\{instance="moninstance",job="my_custom_metrics",provider="xavki"\} 20\.25$/m);
  });

  it("takes the tutorial's Python snippet", { skip: skipUnless(hasProgram('python3'), 'python3', 'apt') }, () => {
    const r = spawnSync('python3', ['-c', PYTHON_SNIPPET], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.stdout, '200\n', r.stderr);
    const scrape = bash('curl -s http://localhost:9091/metrics', work);
    assert.match(
      scrape.out,
      /^cpu_utilization\{instance="192\.168\.59\.3:9000",job="my_custom_metrics",team="xavki"\} 21\.9$/m,
    );
  });

  it('writes /tmp/metric.store as the pushgateway user when stopped', async () => {
    if (systemdRunning) {
      assert.equal(bash('systemctl stop pushgateway', work).code, 0);
    } else {
      const exited = new Promise<number | null>((r) => child!.once('exit', (code) => r(code)));
      child!.kill('SIGTERM');
      assert.equal(await exited, 0, output);
    }
    assert.equal(bash(`stat -c %U ${STORE}`, work).out.trim(), 'pushgateway');
  });
});
