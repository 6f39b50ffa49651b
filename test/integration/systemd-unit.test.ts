/**
 * deploy/pushgateway.service: the seed's unit improved (dedicated user, StateDirectory, hardening,
 * Restart=on-failure). `systemd-analyze verify` must accept it (run on a copy whose ExecStart points at
 * a wrapper for our build, since verify checks the binary exists), and the flags of its ExecStart must
 * start our gateway for real.
 */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OUR_CLI, PROJECT_ROOT, freePort, startOursWith } from '../helpers/servers.js';
import { skipUnlessProgram } from '../helpers/skip.js';

const UNIT = path.join(PROJECT_ROOT, 'deploy/pushgateway.service');
const BINARY = '/usr/local/bin/pushgateway';

function analyzeSkipReason(): string | false {
  return skipUnlessProgram('systemd-analyze', 'apt-get install -y systemd');
}

/** The ExecStart arguments (after the binary), with line continuations and quotes resolved. */
function execStartArgs(unit: string): string[] {
  const m = /^ExecStart=(.*)$/m.exec(unit.replace(/\\\n/g, ' '));
  assert.ok(m !== null, 'no ExecStart');
  const words = m[1]!
    .trim()
    .split(/\s+/)
    .map((w) => w.replace(/"/g, ''));
  assert.equal(words[0], BINARY);
  return words.slice(1);
}

function wrapper(dir: string): string {
  const file = path.join(dir, 'pushgateway');
  writeFileSync(file, `#!/bin/sh\nexec "${process.execPath}" "${OUR_CLI}" "$@"\n`);
  chmodSync(file, 0o755);
  return file;
}

it('the unit has the operational settings the seed lacked', () => {
  const unit = readFileSync(UNIT, 'utf8');
  for (const line of [
    'Restart=on-failure',
    'StateDirectory=pushgateway',
    'DynamicUser=yes',
    'User=pushgateway',
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    'ProtectHome=yes',
    'PrivateTmp=yes',
    'WantedBy=multi-user.target',
  ]) {
    assert.match(unit, new RegExp(`^${line.replace(/[.]/g, '\\.')}$`, 'm'), line);
  }
  assert.ok(execStartArgs(unit).includes('--persistence.file=/var/lib/pushgateway/metrics.store'));
});

it('systemd-analyze verify accepts the unit', { skip: analyzeSkipReason() }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pgw-unit-'));
  const unitCopy = path.join(dir, 'pushgateway.service');
  writeFileSync(unitCopy, readFileSync(UNIT, 'utf8').replace(`ExecStart=${BINARY}`, `ExecStart=${wrapper(dir)}`));
  const r = spawnSync('systemd-analyze', ['verify', unitCopy], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  // Other units installed on the machine may draw warnings of their own; ours must draw none.
  assert.deepEqual(
    r.stderr.split('\n').filter((l) => l.includes('pushgateway')),
    [],
    r.stderr,
  );
});

it('the ExecStart flags start our gateway (state and port moved to a temp dir)', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pgw-unit-'));
  const port = await freePort();
  const args = execStartArgs(readFileSync(UNIT, 'utf8')).map((a) =>
    a
      .replace(/^--web\.listen-address=.*/, `--web.listen-address=127.0.0.1:${port}`)
      .replace('/var/lib/pushgateway/', `${dir}/`),
  );
  const gw = await startOursWith(wrapper(dir), args, port);
  try {
    assert.equal((await fetch(`${gw.url}/metrics/job/unit`, { method: 'PUT', body: 'm 1\n' })).status, 200);
  } finally {
    assert.equal(await gw.stop('SIGTERM'), 0);
  }
  assert.match(readFileSync(path.join(dir, 'metrics.store'), 'utf8'), /"job":"unit"/);
  assert.match(gw.output(), /"level":"info"/);
});
