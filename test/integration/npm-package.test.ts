/**
 * The npm package: `npm pack` of this tree, then `npm install -g --prefix <tmp> --offline <tarball>`, the way
 * a user installs it on a machine without the registry (the runtime dependencies are bundled in the
 * tarball, `bundleDependencies`). Through the installed `pushgateway` command: --version names this
 * build, it starts, takes a push and serves it on /metrics. The tarball holds only what the command needs
 * (package.json `files`): no tests, benches, fuzzers, sources or build scripts.
 *
 * The pack runs with --ignore-scripts: prepack (scripts/prepack.js) would rebuild dist/ when it is stale,
 * and dist/test/ is what is running this test; `npm test` has just built dist/ anyway.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { packageVersion } from '../helpers/packaging.js';
import { freePort, PROJECT_ROOT, startOursWith, type RunningGateway } from '../helpers/servers.js';

interface PackResult {
  filename: string;
  files: Array<{ path: string }>;
  bundled: string[];
}

const NPM_TIMEOUT_MS = 3 * 60_000;
const pkg = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  engines: { node: string };
};

function npm(args: string[], cwd: string): string {
  return execFileSync('npm', args, {
    cwd,
    encoding: 'utf8',
    timeout: NPM_TIMEOUT_MS,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
}

describe('npm package', { timeout: 8 * 60_000 }, () => {
  let tmp: string;
  let packed: PackResult;
  let prefix: string;
  let command: string;
  before(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'pgts-npm-'));
    const out = npm(['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], PROJECT_ROOT);
    packed = (JSON.parse(out) as PackResult[])[0]!;
    prefix = path.join(tmp, 'prefix');
    npm(
      ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', path.join(tmp, packed.filename)],
      tmp,
    );
    command = path.join(prefix, 'bin', 'pushgateway');
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('holds the command, dist/src with its build stamp and the docs, and no tests, benches or sources', () => {
    const files = packed.files.map((f) => f.path);
    const own = files.filter((f) => !f.startsWith('node_modules/'));
    for (const needed of [
      'package.json',
      'README.md',
      'LICENSE',
      'bin/pushgateway',
      'dist/src/cli.js',
      'dist/src/build-info.json',
      'dist/src/http/bcrypt-worker.js',
      'deploy/pushgateway.service',
      'deploy/grafana/pushgateway.json',
    ]) {
      assert.ok(own.includes(needed), `${needed} missing from ${packed.filename}`);
    }
    const unwanted = own.filter((f) => /^(test|bench|fuzz|src|scripts|dist\/(test|bench|fuzz|binary))\//.test(f));
    assert.deepEqual(unwanted, []);
    assert.deepEqual(
      own.filter((f) => /(^|\/)[^/]*\.test\.js$|\.ts$/.test(f)),
      [],
    );
    assert.deepEqual(packed.bundled.filter((d) => d in pkg.dependencies).sort(), Object.keys(pkg.dependencies).sort());
  });

  it('installs a pushgateway command whose --version names this build', () => {
    assert.equal(readlinkSync(command), '../lib/node_modules/pushgateway-ts/bin/pushgateway');
    const stamp = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'dist/src/build-info.json'), 'utf8'));
    const r = spawnSync(command, ['--version'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^pushgateway, version ${packageVersion().replaceAll('.', '\\.')} `));
    assert.ok(r.stdout.includes(`revision: ${stamp.revision}`), r.stdout);
  });

  it('resolves every runtime dependency from inside the installed package', () => {
    const installed = path.join(prefix, 'lib/node_modules/pushgateway-ts');
    for (const dep of Object.keys(pkg.dependencies)) {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(dep)})`], {
        cwd: installed,
        encoding: 'utf8',
        timeout: 20_000,
      });
      assert.equal(r.status, 0, `${dep}: ${r.stderr}`);
    }
    assert.ok(!existsSync(path.join(installed, 'node_modules/typescript')), 'a devDependency was installed');
  });

  it('declares engines the code runs on: Node >= 20.15 (zlib.crc32), which this Node satisfies', () => {
    assert.equal(pkg.engines.node, '>=20.15.0');
    const [major, minor] = process.versions.node.split('.').map(Number) as [number, number];
    assert.ok(major > 20 || (major === 20 && minor >= 15), process.version);
  });

  describe('the installed command serving', () => {
    let gw: RunningGateway;
    before(async () => {
      const port = await freePort();
      gw = await startOursWith(command, [`--web.listen-address=127.0.0.1:${port}`], port, { cwd: tmp });
    });
    after(async () => {
      await gw?.stop();
    });

    it('takes a push and serves it on /metrics', async () => {
      const push = await fetch(`${gw.url}/metrics/job/npm/instance/i1`, { method: 'PUT', body: 'npm_pushed 42\n' });
      assert.equal(push.status, 200, await push.text());
      const scrape = await fetch(`${gw.url}/metrics`);
      assert.equal(scrape.status, 200);
      const text = await scrape.text();
      assert.match(text, /^npm_pushed\{instance="i1",job="npm"\} 42$/m);
      assert.match(text, new RegExp(`^pushgateway_build_info\\{.*version="${packageVersion()}"`, 'm'));
    });

    it('stops on SIGTERM with exit 0', async () => {
      assert.equal(await gw.stop('SIGTERM'), 0, gw.output());
    });
  });
});
