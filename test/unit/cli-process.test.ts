/**
 * The CLI as a real process: where --help and --version go, exit codes, kingpin-style errors on stderr
 * (compared with the Debian reference binary where its older kingpin agrees), and the refusal to start
 * with flags whose features are not built yet.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  OUR_BIN,
  OUR_CLI,
  PROJECT_ROOT,
  REFERENCE_BIN,
  ourNodeFlags,
  referenceSkipReason,
  startOurs,
} from '../helpers/servers.js';

interface Outcome {
  status: number | null;
  stdout: string;
  stderr: string;
}

function runCli(...args: string[]): Outcome {
  const r = spawnSync(process.execPath, [OUR_CLI, ...args], {
    encoding: 'utf8',
    timeout: 10_000,
    env: { ...process.env, COLUMNS: '' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function runReference(...args: string[]): Outcome {
  const r = spawnSync(REFERENCE_BIN, ['--persistence.file=', ...args], { encoding: 'utf8', timeout: 10_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.replaceAll('prometheus-pushgateway:', 'pushgateway:') };
}

test('--help prints usage to stdout and exits 0', () => {
  for (const flag of ['--help', '-h', '--help-long']) {
    const r = runCli(flag);
    assert.equal(r.status, 0, flag);
    assert.equal(r.stderr, '');
    assert.ok(r.stdout.startsWith('usage: pushgateway [<flags>]\n\nThe Pushgateway\n\nFlags:\n'), r.stdout);
    assert.ok(r.stdout.includes('--persistence.interval=5m'));
  }
});

test('--help wraps to $COLUMNS like kingpin', () => {
  const r = spawnSync(process.execPath, [OUR_CLI, '--help'], {
    encoding: 'utf8',
    env: { ...process.env, COLUMNS: '60' },
  });
  assert.equal(r.status, 0);
  for (const line of r.stdout.split('\n')) assert.ok(line.trimEnd().length <= 60, line);
});

test('--version prints build information with the package version to stdout and exits 0', () => {
  const version = (JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string })
    .version;
  const r = runCli('--version');
  assert.equal(r.status, 0);
  assert.equal(r.stderr, '');
  const lines = r.stdout.split('\n');
  assert.match(
    lines[0]!,
    new RegExp(`^pushgateway, version ${version.replaceAll('.', '\\.')} \\(branch: .+, revision: .+\\)$`),
  );
  assert.match(lines[1]!, /^ {2}build user: {7}\S/);
  assert.match(lines[2]!, /^ {2}build date: {7}\S/);
  assert.equal(lines[3], `  node version:     ${process.version}`);
  assert.equal(lines[4], `  platform:         ${process.platform}/${process.arch}`);
});

test('bad command lines print a kingpin error to stderr and exit 1', () => {
  const cases: Array<[string[], string]> = [
    [['--bogus'], "pushgateway: error: unknown long flag '--bogus', try --help\n"],
    [['--persistence.interval=abc'], 'pushgateway: error: time: invalid duration "abc", try --help\n'],
    [['serve'], 'pushgateway: error: unexpected serve, try --help\n'],
    [['--log.level=loud'], 'pushgateway: error: unrecognized log level loud, try --help\n'],
    [['--log.level=info', '--log.level=warn'], "pushgateway: error: flag 'log.level' cannot be repeated, try --help\n"],
  ];
  for (const [args, stderr] of cases) {
    const r = runCli(...args);
    assert.equal(r.status, 1, args.join(' '));
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, stderr);
  }
});

test('error texts and exit codes match the reference binary', { skip: referenceSkipReason() }, () => {
  const cases = [
    ['--bogus'],
    ['-x'],
    ['foo'],
    ['--persistence.interval=abc'],
    ['--persistence.interval=5'],
    ['--log.level'],
    ['--web.external-url=::bad'],
    ['--web.external-url=http://x/%zz'],
    ['--web.enable-lifecycle=false'],
    ['--no-log.level'],
    ['--', 'foo'],
  ];
  for (const args of cases) {
    const ours = runCli(...args);
    const ref = runReference(...args);
    assert.deepEqual(ours, ref, args.join(' '));
  }
});

test('flags whose features are not built yet stop the start with a clear error', () => {
  const r = runCli('--web.listen-address=vsock://:9091');
  assert.notEqual(r.status, 0);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, 'pushgateway: error: --web.listen-address with a vsock:// address is not supported yet\n');
  // A web config file that cannot be read stops the start too, naming the flag and the file.
  const missing = runCli('--web.config.file=/nonexistent/web.yml', '--web.listen-address=127.0.0.1:1');
  assert.equal(missing.status, 1);
  assert.equal(missing.stdout, '');
  assert.match(missing.stderr, /^pushgateway: error: --web\.config\.file \/nonexistent\/web\.yml: /);
});

test('a valid command line starts the gateway, which stops cleanly on SIGTERM', async () => {
  const gw = await startOurs(['--log.format=json', '--persistence.interval=1m']);
  try {
    const res = await fetch(`${gw.url}/-/healthy`);
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  } finally {
    assert.equal(await gw.stop('SIGTERM'), 0);
  }
  const first = JSON.parse(gw.output().split('\n')[0]!) as Record<string, unknown>;
  assert.equal(first.level, 'info');
});

test('bin/pushgateway runs as an executable and is the one place the Node flags are written', () => {
  const r = spawnSync(OUR_BIN, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^pushgateway, version /);
  // Tests and the bench start ours with the flags read from the bin's exec line.
  assert.ok(
    ourNodeFlags().some((f) => /^--max-semi-space-size=\d+$/.test(f)),
    ourNodeFlags().join(' '),
  );
  // The compiled entry point does not repeat them in a shebang, and npm start runs the bin.
  assert.equal(readFileSync(OUR_CLI, 'utf8').split('\n', 1)[0], '#!/usr/bin/env node');
  const scripts = (
    JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  ).scripts;
  assert.match(scripts.start ?? '', /&& bin\/pushgateway$/);
  assert.doesNotMatch(scripts.start ?? '', /--max-/);
});
