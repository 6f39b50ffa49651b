/**
 * Command-line parsing: every flag and default, kingpin's syntax forms and error texts, durations, the
 * flag map shown by /api/v1/status, the route-prefix computation, and the unsupported-feature gate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfig, parseCommandLine, unsupportedFeatures, type CommandLineResult } from '../../src/cli.js';
import { computeRoutePrefix, formatByteSize, formatDuration, parseDuration, type Config } from '../../src/config.js';
import { ConfigError } from '../../src/errors.js';
import { defaultMemoryLimit } from '../../src/store/memory-budget.js';
import { sentinelAuth } from '../../src/store/redis/sentinel-auth.js';

function run(...argv: string[]): Config {
  const result = parseCommandLine(argv);
  assert.equal(result.kind, 'run');
  return (result as Extract<CommandLineResult, { kind: 'run' }>).config;
}

function fails(argv: string[], message: string): void {
  assert.throws(
    () => parseCommandLine(argv),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
      assert.equal(err.message, message);
      return true;
    },
  );
}

function helpText(...argv: string[]): string {
  const result = parseCommandLine(argv);
  assert.equal(result.kind, 'help');
  return (result as Extract<CommandLineResult, { kind: 'help' }>).text;
}

test('no arguments give the reference defaults', () => {
  const c = run();
  assert.deepEqual(c, defaultConfig());
  assert.deepEqual(c.listenAddresses, [':9091']);
  assert.equal(c.systemdSocket, false);
  assert.equal(c.webConfigFile, '');
  assert.equal(c.telemetryPath, '/metrics');
  assert.equal(c.externalUrl, '');
  assert.equal(c.routePrefix, '');
  assert.equal(c.externalPathPrefix, '');
  assert.equal(c.enableLifecycle, false);
  assert.equal(c.enableAdminApi, false);
  assert.equal(c.persistenceFile, '');
  assert.equal(c.persistenceIntervalMs, 300_000);
  assert.equal(c.disableConsistencyCheck, false);
  assert.equal(c.enableUtf8Names, false);
  assert.equal(c.logLevel, 'info');
  assert.equal(c.logFormat, 'logfmt');
  assert.equal(c.maxBodyBytes, 64 * 1024 * 1024);
});

test('--push.group-ttl takes a Go duration (0 = never, negative refused); --push.group-up-grace a number > 0', () => {
  const ok = parseCommandLine(['--push.group-ttl=1m30s', '--push.group-up-grace=1.5']);
  assert.equal(ok.kind, 'run');
  if (ok.kind !== 'run') return;
  assert.equal(ok.config.groupTtlMs, 90_000);
  assert.equal(ok.config.groupUpGrace, 1.5);
  assert.equal(ok.config.flags['push.group-ttl'], '1m30s');
  assert.equal(ok.config.flags['push.group-up-grace'], '1.5');
  assert.throws(() => parseCommandLine(['--push.group-ttl=-1s']), /must not be negative/);
  assert.throws(() => parseCommandLine(['--push.group-ttl=5']), /missing unit/);
  assert.throws(() => parseCommandLine(['--push.group-up-grace=0']), /above 0/);
  assert.throws(() => parseCommandLine(['--push.group-up-grace=x']), /above 0/);
});

test('the default flag map matches the reference /api/v1/status map, plus our body-size and limit flags', () => {
  const flags = run().flags;
  // Derived from the machine: half of its (or the cgroup's) memory; bodies in flight an eighth of that.
  assert.equal(flags['store.memory-limit'], formatByteSize(defaultMemoryLimit()));
  assert.equal(
    flags['push.body-memory-limit'],
    formatByteSize(Math.max(Math.floor(defaultMemoryLimit() / 8 / 2 ** 20) * 2 ** 20, 2 * 64 * 1024 * 1024)),
  );
  assert.deepEqual(flags, {
    'store.memory-limit': flags['store.memory-limit'],
    'push.body-memory-limit': flags['push.body-memory-limit'],
    'store.redis.url': '',
    'store.redis.sentinels': '',
    'store.redis.sentinel-master': '',
    'store.redis.sentinel-password': '',
    'store.redis.key-prefix': 'pushgateway:',
    'store.redis.wait-replicas': '0',
    'push.sample-limit': '0',
    'push.label-limit': '0',
    'push.label-name-length-limit': '0',
    'push.label-value-length-limit': '0',
    'push.group-ttl': '0s',
    'push.group-up-grace': '2',
    'log.format': 'logfmt',
    'log.level': 'info',
    'persistence.file': '',
    'persistence.interval': '5m0s',
    'push.disable-consistency-check': 'false',
    'push.enable-utf8-names': 'false',
    'web.config.file': '',
    'web.enable-admin-api': 'false',
    'web.enable-lifecycle': 'false',
    'web.external-url': '',
    'web.listen-address': ':9091',
    'web.route-prefix': '',
    'web.systemd-socket': 'false',
    'web.telemetry-path': '/metrics',
    'push.max-body-size': '64MiB',
  });
});

test('value flags accept both --flag=value and --flag value', () => {
  const cases: Array<[string, string, (c: Config) => unknown, unknown]> = [
    ['web.config.file', '/etc/web.yml', (c) => c.webConfigFile, '/etc/web.yml'],
    ['web.telemetry-path', '/m', (c) => c.telemetryPath, '/m'],
    ['web.external-url', 'http://example.com/ext/', (c) => c.externalUrl, 'http://example.com/ext/'],
    ['web.route-prefix', '/pgw', (c) => c.routePrefix, '/pgw'],
    ['persistence.file', '/tmp/p.data', (c) => c.persistenceFile, '/tmp/p.data'],
    ['persistence.interval', '1h30m', (c) => c.persistenceIntervalMs, 5_400_000],
    ['push.max-body-size', '1MiB', (c) => c.maxBodyBytes, 1_048_576],
    ['log.level', 'debug', (c) => c.logLevel, 'debug'],
    ['log.format', 'json', (c) => c.logFormat, 'json'],
    ['web.listen-address', '127.0.0.1:1234', (c) => c.listenAddresses, ['127.0.0.1:1234']],
  ];
  for (const [flag, value, get, expected] of cases) {
    assert.deepEqual(get(run(`--${flag}=${value}`)), expected, `--${flag}=${value}`);
    assert.deepEqual(get(run(`--${flag}`, value)), expected, `--${flag} ${value}`);
  }
});

test('a value may be empty or start with a dash when attached with =', () => {
  assert.equal(run('--persistence.file=').persistenceFile, '');
  assert.equal(run('--web.route-prefix=-x').routePrefix, '/-x');
  // kingpin quirk: a lone "-" is an empty argument, so it can serve as an empty value.
  assert.equal(run('--persistence.file', '-').persistenceFile, '');
});

test('boolean flags are set by --flag and cleared by --no-flag', () => {
  const bools: Array<[string, keyof Config]> = [
    ['web.systemd-socket', 'systemdSocket'],
    ['web.enable-lifecycle', 'enableLifecycle'],
    ['web.enable-admin-api', 'enableAdminApi'],
    ['push.disable-consistency-check', 'disableConsistencyCheck'],
    ['push.enable-utf8-names', 'enableUtf8Names'],
  ];
  for (const [flag, key] of bools) {
    const on = run(`--${flag}`);
    assert.equal(on[key], true, flag);
    assert.equal(on.flags[flag], 'true');
    const off = run(`--no-${flag}`);
    assert.equal(off[key], false, flag);
    assert.equal(off.flags[flag], 'false');
  }
});

test('boolean flags take no value: --flag=false leaves a stray argument, as in kingpin', () => {
  fails(['--web.enable-lifecycle=false'], 'unexpected false, try --help');
  fails(['--web.enable-lifecycle=true'], 'unexpected true, try --help');
  fails(['--web.enable-lifecycle', 'false'], 'unexpected false, try --help');
});

test('--no- only exists for boolean flags', () => {
  fails(['--no-log.level'], "unknown long flag '--no-log.level', try --help");
  fails(['--no-log.level=info'], "unknown long flag '--no-log.level', try --help");
  fails(['--no-'], "unknown long flag '--no-', try --help");
});

test('--web.listen-address is repeatable; given values replace the default, in order', () => {
  const c = run('--web.listen-address=127.0.0.1:1', '--web.listen-address', '[::1]:2', '--web.listen-address=:3');
  assert.deepEqual(c.listenAddresses, ['127.0.0.1:1', '[::1]:2', ':3']);
  assert.equal(c.flags['web.listen-address'], '127.0.0.1:1,[::1]:2,:3');
});

test('other flags cannot be repeated (kingpin v2.4)', () => {
  fails(['--log.level=debug', '--log.level=warn'], "flag 'log.level' cannot be repeated, try --help");
  fails(
    ['--web.enable-lifecycle', '--no-web.enable-lifecycle'],
    "flag 'web.enable-lifecycle' cannot be repeated, try --help",
  );
});

test('a value flag without a value is an error', () => {
  fails(['--log.level'], "expected argument for flag '--log.level', try --help");
  fails(
    ['--web.listen-address', '--web.enable-lifecycle'],
    "expected argument for flag '--web.listen-address', try --help",
  );
});

test('unknown flags and positional arguments are errors with kingpin texts', () => {
  fails(['--foo'], "unknown long flag '--foo', try --help");
  fails(['--foo=bar'], "unknown long flag '--foo', try --help");
  fails(['--=x'], "unknown long flag '--', try --help");
  fails(['-x'], "unknown short flag '-x', try --help");
  fails(['-hx'], "unknown short flag '-x', try --help");
  fails(['serve'], 'unexpected serve, try --help');
  fails(['--', '--help'], 'unexpected --help, try --help');
  fails(['-'], 'unexpected , try --help');
  fails(['--web.local-assets=/usr/share'], "unknown long flag '--web.local-assets', try --help");
});

test('the first parse error wins over later bad values', () => {
  fails(['--persistence.interval=abc', '--bogus'], "unknown long flag '--bogus', try --help");
  fails(['--persistence.interval=abc'], 'time: invalid duration "abc", try --help');
});

test('log level is case-insensitive and validated; log format is exact', () => {
  assert.equal(run('--log.level=WARN').logLevel, 'warn');
  assert.equal(run('--log.level=Error').flags['log.level'], 'error');
  fails(['--log.level=trace'], 'unrecognized log level trace, try --help');
  fails(['--log.format=xml'], 'unrecognized log format xml, try --help');
  fails(['--log.format=JSON'], 'unrecognized log format JSON, try --help');
});

test('durations use kingpin v2.4 syntax (Go durations plus d and w)', () => {
  const ok: Array<[string, number]> = [
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['300ms', 300],
    ['1.5h', 5_400_000],
    ['-1s', -1000],
    ['+5s', 5000],
    ['0', 0],
    ['-0', 0],
    ['.5s', 500],
    ['1.s', 1000],
    ['2d', 172_800_000],
    ['1w', 604_800_000],
    ['1h0m0s', 3_600_000],
    ['1500us', 1.5],
    ['1500µs', 1.5],
    ['1500μs', 1.5],
    ['2ns', 0.000002],
    ['106751d', 106751 * 86_400_000],
  ];
  for (const [text, ms] of ok) assert.equal(parseDuration(text), ms, text);
  const bad: Array<[string, string]> = [
    ['abc', 'time: invalid duration "abc"'],
    ['', 'time: invalid duration ""'],
    ['-', 'time: invalid duration "-"'],
    ['.s', 'time: invalid duration ".s"'],
    ['5', 'time: missing unit in duration "5"'],
    ['1y', 'time: unknown unit "y" in duration "1y"'],
    ['1m5', 'time: missing unit in duration "1m5"'],
    ['5 m', 'time: unknown unit " m" in duration "5 m"'],
    ['106752d', 'time: invalid duration "106752d"'],
    ['9999999999999999999ns', 'time: invalid duration "9999999999999999999ns"'],
  ];
  for (const [text, message] of bad) {
    assert.throws(
      () => parseDuration(text),
      (err: unknown) => err instanceof ConfigError && err.message === message,
      text,
    );
  }
});

test('durations print like Go time.Duration.String', () => {
  const cases: Array<[number, string]> = [
    [300_000, '5m0s'],
    [5_400_000, '1h30m0s'],
    [300, '300ms'],
    [0, '0s'],
    [1500, '1.5s'],
    [-1000, '-1s'],
    [86_400_000, '24h0m0s'],
    [61_000, '1m1s'],
    [60_500, '1m0.5s'],
    [0.0015, '1.5µs'],
    [0.000001, '1ns'],
    [1.5, '1.5ms'],
    [3_600_000, '1h0m0s'],
    [-5_400_000, '-1h30m0s'],
  ];
  for (const [ms, text] of cases) assert.equal(formatDuration(ms), text, String(ms));
  assert.equal(run('--persistence.interval=1d').flags['persistence.interval'], '24h0m0s');
  assert.equal(run('--persistence.interval=90s').flags['persistence.interval'], '1m30s');
});

test('route prefix is computed like the reference computeRoutePrefix', () => {
  const table: Array<[string, string, string]> = [
    // [--web.route-prefix, --web.external-url, computed prefix]
    ['', '', ''],
    ['/', '', ''],
    ['/', 'http://example.com/ext/', ''],
    ['', 'http://example.com/ext/', '/ext'],
    ['', 'http://example.com/ext', '/ext'],
    ['', 'http://example.com', ''],
    ['', 'http://example.com/', ''],
    ['', 'http://example.com/a/b/', '/a/b'],
    ['', 'http://example.com/a%20b/', '/a b'],
    ['', 'foo', '/foo'],
    ['foo', '', '/foo'],
    ['/foo/', '', '/foo'],
    ['//', '', '/'],
    ['/a//', '', '/a/'],
    ['/x', 'http://example.com/ext/', '/x'],
  ];
  for (const [prefix, url, expected] of table) {
    const argv = [`--web.route-prefix=${prefix}`];
    if (url !== '') argv.push(`--web.external-url=${url}`);
    const c = run(...argv);
    assert.equal(c.routePrefix, expected, `prefix=${prefix} url=${url}`);
    assert.equal(c.flags['web.route-prefix'], expected);
  }
  assert.equal(computeRoutePrefix('', '/ext/'), '/ext');
});

test('the external path prefix follows the external URL even when a route prefix is given', () => {
  const c = run('--web.external-url=http://example.com/outer/', '--web.route-prefix=/inner');
  assert.equal(c.externalPathPrefix, '/outer');
  assert.equal(c.routePrefix, '/inner');
  assert.equal(c.flags['web.external-url'], 'http://example.com/outer/');
});

test('--web.external-url is validated like Go url.Parse', () => {
  const bad: Array<[string, string]> = [
    ['::bad', 'invalid URL: parse "::bad": missing protocol scheme'],
    ['http://x/%zz', 'invalid URL: parse "http://x/%zz": invalid URL escape "%zz"'],
    ['http://x/%4', 'invalid URL: parse "http://x/%4": invalid URL escape "%4"'],
    ['http://a b/', 'invalid URL: parse "http://a b/": invalid character " " in host name'],
    ['http://x:port/', 'invalid URL: parse "http://x:port/": invalid port ":port" after host'],
    ['1a:b', 'invalid URL: parse "1a:b": first path segment in URL cannot contain colon'],
    ['http://x/\x01', 'invalid URL: parse "http://x/\\x01": net/url: invalid control character in URL'],
  ];
  for (const [url, message] of bad) fails([`--web.external-url=${url}`], `${message}, try --help`);
  for (const url of ['http://x:9091/a', 'https://[::1]:443/p', 'mailto:a@b', '/rel/path', 'HTTP://X/y']) {
    assert.doesNotThrow(() => run(`--web.external-url=${url}`), url);
  }
  assert.equal(run('--web.external-url=HTTP://X/y').externalUrl, 'http://X/y');
});

test('--push.max-body-size takes bytes with optional binary units', () => {
  assert.equal(run('--push.max-body-size=0').maxBodyBytes, 0);
  assert.equal(run('--push.max-body-size=1000').maxBodyBytes, 1000);
  assert.equal(run('--push.max-body-size=512KiB').maxBodyBytes, 524_288);
  assert.equal(run('--push.max-body-size=2GB').maxBodyBytes, 2 * 1024 ** 3);
  assert.equal(run('--push.max-body-size=1000').flags['push.max-body-size'], '1000B');
  assert.equal(run('--push.max-body-size=2048').flags['push.max-body-size'], '2KiB');
  assert.throws(() => parseCommandLine(['--push.max-body-size=lots']), ConfigError);
  assert.throws(() => parseCommandLine(['--push.max-body-size=-1']), ConfigError);
});

test('--store.memory-limit, --push.body-memory-limit and the per-push limits', () => {
  const c = run(
    '--store.memory-limit=512MiB',
    '--push.sample-limit=1000',
    '--push.label-limit=30',
    '--push.label-name-length-limit=200',
    '--push.label-value-length-limit=2048',
  );
  assert.equal(c.memoryLimitBytes, 512 * 1024 * 1024);
  // Derived from the memory limit unless given: an eighth, at least two bodies of the largest size.
  assert.equal(c.bodyMemoryLimitBytes, 128 * 1024 * 1024);
  assert.equal(run('--store.memory-limit=4GiB').bodyMemoryLimitBytes, 512 * 1024 * 1024);
  assert.equal(
    run('--store.memory-limit=4GiB', '--push.body-memory-limit=10MiB').bodyMemoryLimitBytes,
    10 * 1024 * 1024,
  );
  assert.equal(run('--store.memory-limit=0').memoryLimitBytes, 0);
  assert.deepEqual(c.pushLimits, {
    sampleLimit: 1000,
    labelLimit: 30,
    labelNameLengthLimit: 200,
    labelValueLengthLimit: 2048,
  });
  assert.equal(c.flags['store.memory-limit'], '512MiB');
  assert.equal(c.flags['push.sample-limit'], '1000');
  assert.deepEqual(run().pushLimits, {
    sampleLimit: 0,
    labelLimit: 0,
    labelNameLengthLimit: 0,
    labelValueLengthLimit: 0,
  });
  assert.throws(
    () => parseCommandLine(['--push.sample-limit=-1']),
    (e: unknown) =>
      e instanceof ConfigError &&
      /invalid value "-1" for --push\.sample-limit: expected a whole number/.test(e.message),
  );
  assert.throws(() => parseCommandLine(['--store.memory-limit=lots']), ConfigError);
});

test('the flag map shows every flag in its string form', () => {
  const c = run(
    '--web.listen-address=:1',
    '--web.listen-address=:2',
    '--web.enable-admin-api',
    '--persistence.interval=1h30m',
    '--log.level=DEBUG',
    '--web.external-url=http://h/e/',
    '--persistence.file=/p',
  );
  assert.equal(c.flags['web.listen-address'], ':1,:2');
  assert.equal(c.flags['web.enable-admin-api'], 'true');
  assert.equal(c.flags['web.enable-lifecycle'], 'false');
  assert.equal(c.flags['persistence.interval'], '1h30m0s');
  assert.equal(c.flags['log.level'], 'debug');
  assert.equal(c.flags['web.route-prefix'], '/e');
  assert.equal(c.flags['persistence.file'], '/p');
  assert.equal(Object.keys(c.flags).length, 29);
});

test('--store.redis.*: URL, key prefix, wait-replicas; no password shown; refused with --persistence.file', () => {
  const c = run(
    '--store.redis.url=redis://user:secret@127.0.0.1:6380/2',
    '--store.redis.key-prefix=pg1:',
    '--store.redis.wait-replicas=1',
  );
  assert.deepEqual(c.redis, {
    url: 'redis://user:secret@127.0.0.1:6380/2',
    keyPrefix: 'pg1:',
    waitReplicas: 1,
    sentinels: [],
    sentinelMaster: '',
    sentinelPassword: '',
  });
  assert.equal(c.flags['store.redis.url'], 'redis://user:xxxxx@127.0.0.1:6380/2');
  assert.equal(run('--store.redis.url=rediss://h:1').redis.url, 'rediss://h:1');
  assert.throws(() => parseCommandLine(['--store.redis.url=http://h:1']), /not a redis:\/\/ or rediss:\/\/ URL/);
  assert.throws(() => parseCommandLine(['--store.redis.wait-replicas=-1']), /expected a whole number/);
  assert.throws(
    () => parseCommandLine(['--store.redis.url=redis://h:1', '--persistence.file=/p']),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.message.startsWith('--persistence.file cannot be used with the Redis store (--store.redis.url'),
  );
  const sentinel = run('--store.redis.sentinels=a:1,b:2', '--store.redis.sentinel-master=m');
  assert.deepEqual(sentinel.redis.sentinels, ['a:1', 'b:2']);
  assert.deepEqual(unsupportedFeatures(sentinel), []);
  // With Sentinels the URL names the master: its login, database and TLS; the passwords never shown.
  const login = run(
    '--store.redis.sentinels=a:1',
    '--store.redis.sentinel-master=m',
    '--store.redis.url=rediss://u:p%40ss@m/3',
    '--store.redis.sentinel-password=sp',
  );
  assert.equal(login.flags['store.redis.url'], 'rediss://u:xxxxx@m/3');
  assert.equal(login.flags['store.redis.sentinel-password'], 'xxxxx');
  assert.deepEqual(sentinelAuth(login.redis.url, 'm', login.redis.sentinelPassword), {
    tls: true,
    username: 'u',
    password: 'p@ss',
    database: 3,
    sentinelPassword: 'sp',
  });
  assert.deepEqual(sentinelAuth('', 'm', ''), { tls: false });
  for (const [argv, message] of [
    [['--store.redis.sentinels=a:1'], /go together/],
    [['--store.redis.sentinel-master=m'], /go together/],
    [
      ['--store.redis.sentinels=a:1', '--store.redis.sentinel-master=m', '--store.redis.url=redis://h:1'],
      /names the master instead of a host: rediss:\/\/user:password@m\/db/,
    ],
    [['--store.redis.sentinels=a:1', '--store.redis.sentinel-master=m', '--store.redis.url=redis://m:1'], /master/],
    [['--store.redis.sentinel-password=x'], /needs --store\.redis\.sentinels/],
    [['--store.redis.sentinels=a', '--store.redis.sentinel-master=m'], /"a" is not host:port/],
  ] as const) {
    assert.throws(() => parseCommandLine([...argv]), message);
  }
  assert.deepEqual(unsupportedFeatures(c), []);
});

test("a telemetry path that is another GET endpoint's, or below a catch-all, is refused (the reference panics)", () => {
  for (const argv of [
    ['--web.telemetry-path=/'],
    ['--web.telemetry-path=/status'],
    ['--web.telemetry-path=/-/healthy'],
    ['--web.telemetry-path=/-/ready'],
    ['--web.telemetry-path=/-/quit'],
    ['--web.telemetry-path=/static/x'],
    ['--web.telemetry-path=/debug/pprof/x'],
    ['--web.route-prefix=/x', '--web.telemetry-path=/status'],
    ['--web.external-url=http://h/x/', '--web.telemetry-path=/static/a/b'],
  ]) {
    assert.throws(
      () => parseCommandLine(argv),
      (err: unknown) =>
        err instanceof ConfigError &&
        /^--web\.telemetry-path ".*": the scrape path \S+ is already taken by another endpoint$/.test(err.message),
      argv.join(' '),
    );
  }
  // Accepted by the reference too (observed with 1.5.1).
  for (const argv of [
    ['--web.telemetry-path=/static'],
    ['--web.telemetry-path=/debug/pprof'],
    ['--web.telemetry-path=/-/ready/x'],
    ['--web.route-prefix=/x', '--web.telemetry-path=/'],
    ['--web.route-prefix=/x', '--web.telemetry-path=/-/quit'],
    ['--web.telemetry-path=/metrics/job/x'],
    ['--web.telemetry-path=/api/v1/metrics'],
  ]) {
    assert.doesNotThrow(() => parseCommandLine(argv), argv.join(' '));
  }
});

test('a telemetry path that would not be absolute is refused instead of crashing later', () => {
  assert.throws(() => parseCommandLine(['--web.telemetry-path=']), ConfigError);
  assert.throws(() => parseCommandLine(['--web.telemetry-path=metrics']), ConfigError);
  assert.equal(run('--web.route-prefix=/x', '--web.telemetry-path=metrics').telemetryPath, 'metrics');
});

test('--help, -h and --no-help print kingpin-style usage listing every flag and default', () => {
  const text = helpText('--help');
  assert.equal(helpText('-h'), text);
  assert.equal(helpText('--no-help'), text);
  assert.equal(helpText('--help-long'), text);
  assert.ok(text.startsWith('usage: pushgateway [<flags>]\n\nThe Pushgateway\n\nFlags:\n  -h, --[no-]help '), text);
  assert.ok(text.endsWith('\n\n'));
  for (const row of [
    '--[no-]web.systemd-socket',
    '--web.listen-address=:9091 ...',
    '--web.config.file=""',
    '--web.telemetry-path="/metrics"',
    '--web.external-url= ',
    '--web.route-prefix=""',
    '--[no-]web.enable-lifecycle',
    '--[no-]web.enable-admin-api',
    '--persistence.file=""',
    '--persistence.interval=5m',
    '--[no-]push.disable-consistency-check',
    '--[no-]push.enable-utf8-names',
    '--push.max-body-size=64MiB',
    '--log.level=info',
    '--log.format=logfmt',
    '--[no-]version',
  ]) {
    assert.ok(text.includes(`      ${row}`), `help lacks ${row}`);
  }
  assert.ok(!text.includes('completion'), 'hidden kingpin flags stay hidden');
  for (const line of text.split('\n')) assert.ok(line.trimEnd().length <= 80, `too wide: ${line}`);
});

test('help wraps to the given width', () => {
  const narrow = parseCommandLine(['--help'], { width: 80 });
  const wide = parseCommandLine(['--help'], { width: 200 });
  assert.ok(wide.kind === 'help' && narrow.kind === 'help');
  assert.ok(wide.text.split('\n').length < narrow.text.split('\n').length);
});

test('--help-man prints a man page', () => {
  const man = helpText('--help-man');
  assert.match(man, /^\.TH pushgateway 1 /);
  assert.ok(man.includes('\\fB--web.listen-address=:9091 ...\\fR'));
});

test('--version prints build information, even after bad arguments (kingpin pre-action)', () => {
  const buildInfo = {
    version: '9.9.9',
    revision: 'abc',
    branch: 'main',
    buildUser: 'u',
    buildDate: 'd',
    runtimeVersion: 'v20.0.0',
  };
  for (const argv of [['--version'], ['--version', '--bogus'], ['--persistence.interval=abc', '--version']]) {
    const result = parseCommandLine(argv, { buildInfo });
    assert.equal(result.kind, 'version', argv.join(' '));
    assert.ok(
      result.kind === 'version' &&
        result.text.startsWith(
          'pushgateway, version 9.9.9 (branch: main, revision: abc)\n  build user:       u\n' +
            '  build date:       d\n  node version:     v20.0.0\n',
        ),
    );
  }
  // A flag after the first parse error is never seen.
  fails(['--bogus', '--version'], "unknown long flag '--bogus', try --help");
});

test('--help shows usage over bad values but not over parse errors', () => {
  assert.ok(helpText('--persistence.interval=abc', '--help').startsWith('usage:'));
  fails(['--help', '--bogus'], "unknown long flag '--bogus', try --help");
  fails(['--help', 'extra'], 'unexpected extra, try --help');
});

test('@file expands arguments from a file, one per line', () => {
  const files: Record<string, string> = {
    '/args': '# comment\n--log.level=debug\n\n--web.listen-address\n127.0.0.1:9\r\n',
  };
  const readArgsFile = (p: string): string => {
    const text = files[p];
    if (text === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
    return text;
  };
  const result = parseCommandLine(['@/args', '--web.enable-lifecycle'], { readArgsFile });
  assert.ok(result.kind === 'run');
  assert.equal(result.config.logLevel, 'debug');
  assert.deepEqual(result.config.listenAddresses, ['127.0.0.1:9']);
  assert.equal(result.config.enableLifecycle, true);
  assert.throws(
    () => parseCommandLine(['@/missing'], { readArgsFile }),
    (err: unknown) =>
      err instanceof ConfigError &&
      err.message === 'failed to open arguments file "/missing": open /missing: no such file or directory, try --help',
  );
  assert.throws(() => parseCommandLine(['@'], { readArgsFile }), /expected @ file to expand arguments from/);
});

test('unsupported features are reported one message per flag', () => {
  assert.deepEqual(unsupportedFeatures(run()), []);
  assert.deepEqual(unsupportedFeatures(run('--web.route-prefix=/')), []);
  assert.deepEqual(unsupportedFeatures(run('--persistence.file=/x')), []);
  assert.deepEqual(unsupportedFeatures(run('--web.systemd-socket')), []);
  // The web config file is read at start and served whole (TLS included).
  assert.deepEqual(unsupportedFeatures(run('--web.config.file=w.yml')), []);
  const all = unsupportedFeatures(
    run(
      '--web.config.file=w.yml',
      '--persistence.file=/x',
      '--push.enable-utf8-names',
      '--web.systemd-socket',
      '--web.external-url=http://h/',
      '--web.route-prefix=/p',
      '--web.enable-lifecycle',
      '--web.enable-admin-api',
      '--web.listen-address=vsock://:9091',
    ),
  );
  assert.equal(all.length, 1); // only vsock:// listeners are left
  for (const m of all) assert.match(m, /^--[a-z.0-9-]+ .*is not supported yet$/);
  assert.ok(all.includes('--web.listen-address with a vsock:// address is not supported yet'));
});
