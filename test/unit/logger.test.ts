/**
 * The logger writes promslog's go-kit style lines: logfmt quoting as Go's slog TextHandler does it, one
 * JSON object per line, reserved keys renamed, level filtering, and the caller's file:line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger, formatFrame, logfmtString, quoteGoString, type Logger } from '../../src/observe/logger.js';
import type { LogFormat, LogLevel } from '../../src/config.js';

function capture(level: LogLevel, format: LogFormat): { logger: Logger; writes: string[] } {
  const writes: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      writes.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger({ level, format, stream }), writes };
}

const TS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

test('logfmt lines carry ts, level, caller and msg first, then the fields', () => {
  const { logger, writes } = capture('info', 'logfmt');
  logger.info('starting pushgateway', { version: '0.1.0', port: 9091 });
  assert.equal(writes.length, 1);
  const m = /^ts=(\S+) level=info caller=(\S+) msg="starting pushgateway" version=0\.1\.0 port=9091\n$/.exec(
    writes[0]!,
  );
  assert.ok(m, writes[0]);
  assert.match(m[1]!, TS);
  assert.match(m[2]!, /^logger\.test\.js:\d+$/);
});

test('logfmt quotes values the way slog does', () => {
  const cases: Array<[string, string]> = [
    ['plain', 'plain'],
    ['', '""'],
    ['a b', '"a b"'],
    ['a=b', '"a=b"'],
    ['say "hi"', '"say \\"hi\\""'],
    ['tab\there', '"tab\\there"'],
    ['line\n', '"line\\n"'],
    ['back\\slash', 'back\\slash'],
    ['\x01', '"\\x01"'],
    ['bell\x07', '"bell\\a"'],
    ['del\x7f', 'del\x7f'],
    ['ünïcödé', 'ünïcödé'],
    ['😀', '😀'],
    ['nb\u00a0sp', '"nb\\u00a0sp"'],
    ['zw\u200bsp', '"zw\\u200bsp"'],
    ['ls\u2028', '"ls\\u2028"'],
    ['/metrics/job/x', '/metrics/job/x'],
    ['{a="b"}', '"{a=\\"b\\"}"'],
  ];
  for (const [input, expected] of cases) assert.equal(logfmtString(input), expected, JSON.stringify(input));
  assert.equal(quoteGoString('x\u{e0001}'), '"x\\U000e0001"');
});

test('logfmt renders numbers, booleans, nil, errors and objects', () => {
  const { logger, writes } = capture('info', 'logfmt');
  logger.info('m', {
    int: 42,
    neg: -7,
    float: 1.5,
    big: 1234567.5,
    tiny: 0.00001,
    nan: NaN,
    inf: -Infinity,
    yes: true,
    nil: null,
    undef: undefined,
    err: new Error('listen tcp: address in use'),
    obj: { a: 1 },
    n: 10n,
  });
  const line = writes[0]!;
  assert.ok(
    line.endsWith(
      ' msg=m int=42 neg=-7 float=1.5 big=1.2345675e+06 tiny=1e-05 nan=NaN inf=-Inf yes=true ' +
        'nil=<nil> undef=<nil> err="listen tcp: address in use" obj="{\\"a\\":1}" n=10\n',
    ),
    line,
  );
});

test('fields named ts, level or caller are renamed with a logged_ prefix', () => {
  const { logger, writes } = capture('info', 'logfmt');
  logger.warn('x', { ts: 1, level: 'high', caller: 'me', other: 2 });
  assert.match(writes[0]!, / level=warn caller=\S+ msg=x logged_ts=1 logged_level=high logged_caller=me other=2\n$/);
});

test('json lines are one object per line with the same keys in the same order', () => {
  const { logger, writes } = capture('debug', 'json');
  logger.error('push failed', {
    err: new Error('bad "body"'),
    status: 400,
    ok: false,
    nested: { a: [1, 2] },
    nil: null,
    level: 'x',
    text: 'a\nb',
  });
  assert.equal(writes.length, 1);
  assert.ok(writes[0]!.endsWith('}\n'));
  assert.equal(writes[0]!.indexOf('\n'), writes[0]!.length - 1, 'newlines inside values are escaped');
  const record = JSON.parse(writes[0]!) as Record<string, unknown>;
  assert.deepEqual(Object.keys(record), [
    'ts',
    'level',
    'caller',
    'msg',
    'err',
    'status',
    'ok',
    'nested',
    'nil',
    'logged_level',
    'text',
  ]);
  assert.match(record.ts as string, TS);
  assert.equal(record.level, 'error');
  assert.match(record.caller as string, /^logger\.test\.js(\([^)]*\))?:\d+$/);
  assert.equal(record.msg, 'push failed');
  assert.equal(record.err, 'bad "body"');
  assert.equal(record.status, 400);
  assert.equal(record.ok, false);
  assert.deepEqual(record.nested, { a: [1, 2] });
  assert.equal(record.nil, null);
  assert.equal(record.text, 'a\nb');
});

test('records below the configured level are dropped', () => {
  const expectations: Array<[LogLevel, string[]]> = [
    ['debug', ['debug', 'info', 'warn', 'error']],
    ['info', ['info', 'warn', 'error']],
    ['warn', ['warn', 'error']],
    ['error', ['error']],
  ];
  for (const [level, shown] of expectations) {
    const { logger, writes } = capture(level, 'logfmt');
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    assert.deepEqual(
      writes.map((w) => /level=(\w+)/.exec(w)![1]),
      shown,
      level,
    );
  }
});

test('at debug level the caller names the function, as promslog does', () => {
  const { logger, writes } = capture('debug', 'logfmt');
  function handlePush(): void {
    logger.debug('x');
  }
  handlePush();
  assert.match(writes[0]!, / caller=logger\.test\.js\(handlePush\):\d+ /);
});

test('stack frames are reduced to file:line', () => {
  assert.equal(formatFrame('    at handle (file:///srv/dist/src/http/push.js:42:13)', false), 'push.js:42');
  assert.equal(formatFrame('    at async handle (file:///srv/push.js:42:13)', true), 'push.js(handle):42');
  assert.equal(formatFrame('    at file:///srv/dist/src/cli.js:7:1', true), 'cli.js:7');
  assert.equal(formatFrame('    at Server.<anonymous> (/srv/a.js:1:2)', true), 'a.js(Server.<anonymous>):1');
  assert.equal(formatFrame('    at new Promise (<anonymous>)', false), '');
});
