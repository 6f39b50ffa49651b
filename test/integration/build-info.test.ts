/**
 * Build information is stamped when the project is built (scripts/build-info.js writes
 * dist/src/build-info.json), not asked of git when the gateway starts: a tree outside git says `unknown`,
 * a tree unpacked inside some other repository does not take that repository's revision, and a built
 * gateway installed inside another repository reports its own build in --version, /api/v1/status and
 * pushgateway_build_info.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PROJECT_ROOT, freePort, ourNodeFlags, startOursWith } from '../helpers/servers.js';
import { skipUnlessProgram } from '../helpers/skip.js';

const STAMPER = path.join(PROJECT_ROOT, 'scripts/build-info.js');
const OUR_STAMP = path.join(PROJECT_ROOT, 'dist/src/build-info.json');
const VERSION = (JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;
const gitSkip = skipUnlessProgram('git', 'apt-get install -y git');

interface Stamp {
  version: string;
  revision: string;
  branch: string;
  buildDate: string;
}

const scratch = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'pgts-build-info-')));
after(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/** git must not look above the scratch directory, whatever holds it. */
const env = { ...process.env, GIT_CEILING_DIRECTORIES: path.dirname(scratch) };

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd,
    env,
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(r.status, 0, `git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

/** A fresh git repository with one commit; its HEAD. */
function otherRepository(dir: string): string {
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q');
  git(dir, 'commit', '-q', '--allow-empty', '-m', 'someone else');
  return git(dir, 'rev-parse', 'HEAD');
}

/** Copies the stamper and package.json to `root` (a source tree as a tarball would unpack it), runs it there. */
function stampCopy(root: string, extraEnv: Record<string, string> = {}): Stamp {
  mkdirSync(path.join(root, 'scripts'), { recursive: true });
  cpSync(STAMPER, path.join(root, 'scripts/build-info.js'));
  cpSync(path.join(PROJECT_ROOT, 'package.json'), path.join(root, 'package.json'));
  const r = spawnSync(process.execPath, [path.join(root, 'scripts/build-info.js')], {
    cwd: root,
    env: { ...env, ...extraEnv },
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(readFileSync(path.join(root, 'dist/src/build-info.json'), 'utf8')) as Stamp;
}

describe('stamping the build information', () => {
  it('a tree outside any git repository is stamped unknown, with the version and the build date', () => {
    const stamp = stampCopy(path.join(scratch, 'plain'));
    assert.equal(stamp.version, VERSION);
    assert.equal(stamp.revision, 'unknown');
    assert.equal(stamp.branch, 'unknown');
    assert.match(stamp.buildDate, /^\d{8}-\d{2}:\d{2}:\d{2}$/);
  });

  it("a tree inside another git repository is stamped unknown, not with that repository's revision", {
    skip: gitSkip,
  }, () => {
    const other = path.join(scratch, 'other-repo');
    const head = otherRepository(other);
    const stamp = stampCopy(path.join(other, 'vendor/pushgateway-ts'));
    assert.equal(stamp.revision, 'unknown', `took ${head}`);
    assert.equal(stamp.branch, 'unknown');
  });

  it('a tree that is itself a git checkout is stamped with its HEAD and branch', { skip: gitSkip }, () => {
    const root = path.join(scratch, 'checkout');
    const head = otherRepository(root);
    const branch = git(root, 'rev-parse', '--abbrev-ref', 'HEAD');
    const stamp = stampCopy(root);
    assert.equal(stamp.revision, head);
    assert.equal(stamp.branch, branch);
  });

  it('SOURCE_DATE_EPOCH sets the build date (reproducible builds)', () => {
    assert.equal(
      stampCopy(path.join(scratch, 'dated'), { SOURCE_DATE_EPOCH: '1681035272' }).buildDate,
      '20230409-10:14:32',
    );
  });
});

describe('a built gateway installed inside another git repository', { skip: gitSkip }, () => {
  const other = path.join(scratch, 'app');
  const installed = path.join(other, 'node_modules/pushgateway-ts');
  const cli = path.join(installed, 'dist/src/cli.js');

  function install(): Stamp {
    assert.ok(existsSync(OUR_STAMP), `${OUR_STAMP} missing: build with npm run build`);
    otherRepository(other);
    cpSync(path.join(PROJECT_ROOT, 'dist/src'), path.join(installed, 'dist/src'), { recursive: true });
    cpSync(path.join(PROJECT_ROOT, 'package.json'), path.join(installed, 'package.json'));
    symlinkSync(path.join(PROJECT_ROOT, 'node_modules'), path.join(installed, 'node_modules'));
    return JSON.parse(readFileSync(OUR_STAMP, 'utf8')) as Stamp;
  }

  function version(): string {
    const r = spawnSync(process.execPath, [cli, '--version'], { cwd: other, env, encoding: 'utf8', timeout: 10_000 });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  }

  it('--version, /api/v1/status and pushgateway_build_info report the stamp; without one, unknown', async () => {
    const stamp = install();
    assert.match(
      version(),
      new RegExp(
        `^pushgateway, version ${stamp.version} \\(branch: ${stamp.branch}, ` +
          `revision: ${stamp.revision}\\)\\n  build user: +unknown\\n  build date: +${stamp.buildDate}\\n`,
      ),
    );

    const port = await freePort();
    const gw = await startOursWith(
      process.execPath,
      [...ourNodeFlags(), cli, `--web.listen-address=127.0.0.1:${port}`],
      port,
      { env },
    );
    try {
      const status = (await (await fetch(`${gw.url}/api/v1/status`)).json()) as {
        data: { build_information: Record<string, string> };
      };
      const info = status.data.build_information;
      assert.equal(info.version, stamp.version);
      assert.equal(info.revision, stamp.revision);
      assert.equal(info.branch, stamp.branch);
      assert.equal(info.buildDate, stamp.buildDate);
      const metrics = await (await fetch(`${gw.url}/metrics`)).text();
      const line = metrics.split('\n').find((l) => l.startsWith('pushgateway_build_info{'));
      assert.ok(line?.includes(`revision="${stamp.revision}"`), line);
      assert.ok(line?.includes(`branch="${stamp.branch}"`), line);
    } finally {
      assert.equal(await gw.stop(), 0);
    }

    rmSync(path.join(installed, 'dist/src/build-info.json'));
    assert.match(
      version(),
      new RegExp(
        `^pushgateway, version ${VERSION} \\(branch: unknown, revision: unknown\\)\\n` +
          '  build user: +unknown\\n  build date: +unknown\\n',
      ),
    );
  });
});
