/**
 * Sample values, quantiles and bucket bounds are parsed like the Go text parser does (strconv.ParseFloat
 * after rejecting 'p', 'P' and '_'); timestamps like strconv.ParseInt(s, 10, 64). JavaScript's Number()
 * accepts several strings Go rejects and vice versa, so both directions are pinned here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goFloatToUint64, isExactUint64, parseGoFloat, parseGoInt64 } from '../../src/format/float.js';
import { float64Bits, float64FromBits, runGoFloatOracle } from '../oracles/go-float/oracle.js';
import { skipUnless } from '../helpers/skip.js';

const ACCEPTED: Array<[string, number]> = [
  ['1', 1],
  ['-1', -1],
  ['+1', 1],
  ['0', 0],
  ['-0', -0],
  ['+0', 0],
  ['3.0', 3],
  ['.5', 0.5],
  ['5.', 5],
  ['-.5', -0.5],
  ['+.5e1', 5],
  ['1e3', 1000],
  ['1E3', 1000],
  ['1e+3', 1000],
  ['1e-3', 0.001],
  ['1.e2', 100],
  ['00012', 12],
  ['007.50', 7.5],
  ['1.7955303369179597e+09', 1795530336.9179597],
  ['0.1', 0.1],
  ['123456789012345678901234567890', 1.2345678901234568e29],
  ['1e-400', 0],
  ['-1e-400', -0],
  ['4.9e-324', 5e-324],
  ['2e-324', 0],
  ['1.7976931348623157e308', Number.MAX_VALUE],
  ['NaN', NaN],
  ['nan', NaN],
  ['Nan', NaN],
  ['nAN', NaN],
  ['Inf', Infinity],
  ['inf', Infinity],
  ['+Inf', Infinity],
  ['+inf', Infinity],
  ['-Inf', -Infinity],
  ['-inf', -Infinity],
  ['INF', Infinity],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
  ['+infinity', Infinity],
  ['iNfInItY', Infinity],
];

const REJECTED: string[] = [
  '',
  ' ',
  ' 1',
  '1 ',
  '\t1',
  '1\r',
  '1\n',
  '0x1A',
  '0X1a',
  '0x1p3',
  '0x1P-2',
  '1_000',
  '1__0',
  '_1',
  '0b1',
  '0o7',
  '1e',
  '1e+',
  '1e-',
  'e5',
  '.',
  '-',
  '+',
  '+-1',
  '--1',
  '1..2',
  '1.2.3',
  '1e5.0',
  '1e5e5',
  'abc',
  'Infinityx',
  'infin',
  'infinit',
  'in',
  'i',
  'infx',
  'nanx',
  'na',
  '-nan',
  '+nan',
  '-NaN',
  'NaN1',
  '1e400',
  '-1e400',
  '1.8e308',
  '1,5',
  '١',
  '１',
  '1f',
  '1d',
  '+ 1',
  'Inf ',
  '∞',
  'null',
  'true',
];

test('parseGoFloat accepts Go ParseFloat syntax with the right value', () => {
  for (const [s, want] of ACCEPTED) assert.ok(Object.is(parseGoFloat(s), want), `${JSON.stringify(s)} -> ${want}`);
});

test('parseGoFloat rejects what Go rejects, including strings JavaScript Number() accepts', () => {
  for (const s of REJECTED) assert.equal(parseGoFloat(s), undefined, JSON.stringify(s));
});

test('parseGoInt64 reads base-10 int64 timestamps only', () => {
  const ok: Array<[string, number]> = [
    ['0', 0],
    ['1', 1],
    ['-1', -1],
    ['+7', 7],
    ['1712345678901', 1712345678901],
    ['007', 7],
    // int64's extremes as the nearest doubles: 2^63 - 1 rounds to 2^63.
    ['9223372036854775807', 2 ** 63],
    ['-9223372036854775808', -(2 ** 63)],
    ['00000000000000000000000000001', 1],
  ];
  for (const [s, want] of ok) assert.equal(parseGoInt64(s), want, s);
  const bad = [
    '',
    '+',
    '-',
    '1.5',
    '1e3',
    '0x10',
    '1_000',
    ' 1',
    '1 ',
    '9223372036854775808',
    '-9223372036854775809',
    'abc',
    '--1',
    '١',
  ];
  for (const s of bad) assert.equal(parseGoInt64(s), undefined, JSON.stringify(s));
});

test('goFloatToUint64 and isExactUint64 follow Go amd64 conversions used for counts', () => {
  assert.equal(goFloatToUint64(3), 3);
  assert.equal(goFloatToUint64(1.9), 1);
  assert.equal(goFloatToUint64(-0.5), 0);
  assert.equal(goFloatToUint64(-1), 2 ** 64); // 2^64 - 1, as the nearest double
  assert.equal(goFloatToUint64(NaN), 2 ** 63);
  assert.equal(goFloatToUint64(Infinity), 2 ** 63);
  assert.equal(goFloatToUint64(1e20), 2 ** 63);
  assert.equal(isExactUint64(0), true);
  assert.equal(isExactUint64(-0), true);
  assert.equal(isExactUint64(1e18), true);
  assert.equal(isExactUint64(2 ** 64), false);
  assert.equal(isExactUint64(1.5), false);
  assert.equal(isExactUint64(-1), false);
  assert.equal(isExactUint64(NaN), false);
});

test('parseGoFloat and parseGoInt64 agree with Go strconv on a corpus and random strings', (t) => {
  const inputs = [...ACCEPTED.map(([s]) => s), ...REJECTED];
  const rnd = xorshift(4242);
  const alphabet = '0123456789.eE+-_pPxXinfatyINFATY \t';
  for (let k = 0; k < 20000; k++) {
    let s = '';
    const len = 1 + (rnd() % 9);
    for (let j = 0; j < len; j++) s += alphabet[rnd() % alphabet.length];
    inputs.push(s);
  }
  for (let k = 0; k < 5000; k++) {
    inputs.push(`${rnd() % 2 ? '-' : ''}${rnd()}.${rnd()}e${(rnd() % 800) - 400}`);
    inputs.push(String(rnd() * rnd() * (rnd() % 3000)));
  }
  const got = runGoFloatOracle(
    'parse',
    inputs.map((s) => JSON.stringify(s)),
  );
  const gotInt = runGoFloatOracle(
    'int64',
    inputs.map((s) => JSON.stringify(s)),
  );
  if (got === undefined || gotInt === undefined) {
    t.skip(
      skipUnless(false, 'go (to compare against strconv.ParseFloat)', 'apt-get install -y golang-go') || undefined,
    );
    return;
  }
  for (let i = 0; i < inputs.length; i++) {
    const mine = parseGoFloat(inputs[i]!);
    const want: string = got[i]!;
    const label = JSON.stringify(inputs[i]);
    if (want === 'err') assert.equal(mine, undefined, label);
    else {
      assert.notEqual(mine, undefined, label);
      const goValue = float64FromBits(want.slice(3));
      // Go's NaN has a different payload; only the bits of non-NaN values are meaningful.
      if (Number.isNaN(goValue)) assert.ok(Number.isNaN(mine), label);
      else assert.equal(float64Bits(mine!), float64Bits(goValue), label);
    }
    const mineInt = parseGoInt64(inputs[i]!);
    if (gotInt[i] === 'err') assert.equal(mineInt, undefined, label);
    else assert.equal(mineInt, Number(gotInt[i]), label);
  }
});

test('goFloatToUint64 agrees with Go uint64(f) on this platform', (t) => {
  const values = [
    0,
    -0,
    1,
    1.5,
    -1,
    -1.5,
    -0.5,
    2 ** 53,
    2 ** 63,
    2 ** 63 + 2048,
    2 ** 64,
    2 ** 64 - 2048,
    1e19,
    1e20,
    -1e19,
    -1e20,
    NaN,
    Infinity,
    -Infinity,
    123456789.987,
    -(2 ** 63),
    -(2 ** 63) - 4096,
  ];
  const got = runGoFloatOracle('uint64', values.map(float64Bits));
  if (got === undefined) {
    t.skip(skipUnless(false, 'go (to compare uint64 conversions)', 'apt-get install -y golang-go') || undefined);
    return;
  }
  for (let i = 0; i < values.length; i++) {
    assert.equal(goFloatToUint64(values[i]!), Number(got[i]), `uint64(${values[i]})`);
    const exact: boolean = Number(BigInt(got[i]!)) === values[i];
    assert.equal(isExactUint64(values[i]!), exact, `exact ${values[i]}`);
  }
});

function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}
