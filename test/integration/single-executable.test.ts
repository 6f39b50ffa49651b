/**
 * The single executable (`npm run build:binary`, dist/binary/pushgateway) run the way a user runs a
 * downloaded binary: copied alone into an empty directory and started with `env -i PATH=/usr/bin:/bin`
 * (no Node.js in that PATH's reach matters: nothing of the tree is beside it, no node_modules, no network
 * beyond loopback). Through it: --version names the version and revision, curl pushes and scrapes, a
 * snappy push goes through snappyjs, basic auth through the web config goes through yaml and the bcrypt
 * worker thread, the memory budget gets the heap bin/pushgateway would give Node, and SIGTERM writes the
 * persistence file and exits 0. Built once per test run (test/helpers/packaging.ts).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { snappyFramed } from '../../src/format/body.js';
import { singleExecutable, packageVersion } from '../helpers/packaging.js';
import { freePort, PROJECT_ROOT, startOursWith, type RunningGateway } from '../helpers/servers.js';
import { skipUnlessProgram } from '../helpers/skip.js';

const curlMissing = skipUnlessProgram('curl', 'apt-get install -y curl');
const CLEAN_ENV = { PATH: '/usr/bin:/bin' };

/** `cmd args…` under `env -i PATH=/usr/bin:/bin` in `cwd`, as a shell user would run it. */
function run(cwd: string, cmd: string, args: string[], input?: string) {
  const r = spawnSync('/usr/bin/env', ['-i', 'PATH=/usr/bin:/bin', cmd, ...args], {
    cwd,
    encoding: 'utf8',
    timeout: 20_000,
    ...(input === undefined ? {} : { input }),
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('single executable', { timeout: 10 * 60_000 }, () => {
  let dir: string;
  let exe: string;
  before(async () => {
    const built = await singleExecutable();
    dir = mkdtempSync(path.join(os.tmpdir(), 'pgts-sea-'));
    exe = path.join(dir, 'pushgateway');
    copyFileSync(built, exe);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is alone in its directory and --version names the version and the commit', () => {
    assert.deepEqual(readdirSync(dir), ['pushgateway']);
    const stamp = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'dist/src/build-info.json'), 'utf8'));
    const r = run(dir, './pushgateway', ['--version']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^pushgateway, version ${packageVersion().replaceAll('.', '\\.')} `));
    assert.ok(r.stdout.includes(`revision: ${stamp.revision}`), r.stdout);
    assert.match(r.stdout, /node version: {5}v20\./);
  });

  it('answers --help and refuses a bad flag with exit 1, like the bin', () => {
    const help = run(dir, './pushgateway', ['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--persistence\.file/);
    const bad = run(dir, './pushgateway', ['--bogus']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, "pushgateway: error: unknown long flag '--bogus', try --help\n");
  });

  describe('serving', () => {
    let gw: RunningGateway;
    const store = () => path.join(dir, 'metrics.store');
    before(async () => {
      const port = await freePort();
      gw = await startOursWith(
        exe,
        [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file=metrics.store', '--store.memory-limit=1GiB'],
        port,
        { env: CLEAN_ENV, cwd: dir },
      );
    });
    after(async () => {
      await gw?.stop();
    });

    it('takes a curl push and serves it to a curl scrape', { skip: curlMissing }, () => {
      const base = `http://127.0.0.1:${gw.port}`;
      const push = run(dir, 'curl', ['-sS', '--data-binary', '@-', `${base}/metrics/job/sea`], 'm 1\n');
      assert.equal(push.code, 0, push.stderr);
      const scrape = run(dir, 'curl', ['-sS', `${base}/metrics`]);
      assert.equal(scrape.code, 0, scrape.stderr);
      assert.match(scrape.stdout, /^m\{instance="",job="sea"\} 1$/m);
      assert.match(scrape.stdout, new RegExp(`^pushgateway_build_info\\{.*version="${packageVersion()}"`, 'm'));
    });

    it('decodes a snappy push (snappyjs inside)', async () => {
      const res = await fetch(`http://127.0.0.1:${gw.port}/metrics/job/snappy`, {
        method: 'PUT',
        headers: { 'Content-Encoding': 'snappy' },
        body: new Uint8Array(snappyFramed(Buffer.from('s 2\n'))),
      });
      assert.equal(res.status, 200, await res.text());
    });

    it('gives the store the heap bin/pushgateway would (1.5 x --store.memory-limit), not a lowered budget', () => {
      const line = gw
        .output()
        .split('\n')
        .find((l) => l.includes('msg="memory budget"'));
      assert.ok(line !== undefined, gw.output());
      assert.match(line, / limit=1GiB /);
      const mib = Number(/heap_limit=(\d+)MiB/.exec(line)?.[1]);
      assert.ok(mib >= 1536, line);
      assert.doesNotMatch(gw.output(), /heap limit too small/);
    });

    it('checks basic auth from a --web.config.file (yaml and the bcrypt worker thread inside)', async () => {
      const port = await freePort();
      writeFileSync(path.join(dir, 'web.yml'), `basic_auth_users:\n  alice: ${bcrypt.hashSync('s3cret', 4)}\n`);
      const child = spawn(exe, [`--web.listen-address=127.0.0.1:${port}`, '--web.config.file=web.yml'], {
        cwd: dir,
        env: CLEAN_ENV,
        stdio: 'ignore',
      });
      try {
        const status = (password: string) =>
          fetch(`http://127.0.0.1:${port}/-/ready`, {
            headers: { Authorization: `Basic ${Buffer.from(`alice:${password}`).toString('base64')}` },
          }).then(
            (r) => r.status,
            () => 0,
          );
        let ok = 0;
        for (let i = 0; i < 150 && ok !== 200; i++) {
          ok = await status('s3cret');
          if (ok !== 200) await new Promise((r) => setTimeout(r, 100));
        }
        assert.equal(ok, 200);
        assert.equal(await status('wrong'), 401);
      } finally {
        child.kill('SIGTERM');
      }
    });

    it('stops on SIGTERM with exit 0 after writing the persistence file', async () => {
      assert.equal(await gw.stop('SIGTERM'), 0, gw.output());
      assert.ok(existsSync(store()), gw.output());
      assert.match(gw.output(), /received SIGTERM; exiting gracefully/);
    });
  });
});
