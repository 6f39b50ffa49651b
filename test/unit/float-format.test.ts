/**
 * Float formatting must match Go's strconv.FormatFloat(v, 'g', -1, 64) byte for byte, because scrapes
 * and the JSON API of the reference print every value that way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFloat, formatGoFloat } from '../../src/format/float.js';
import { float64Bits, float64FromBits, runGoFloatOracle } from '../oracles/go-float/oracle.js';
import { skipUnless } from '../helpers/skip.js';

// [value, Go FormatFloat 'g' -1] — rows checked against Go's strconv.FormatFloat (the go-float oracle below) plus the
// boundaries around Go's plain-notation window [1e-4, 1e6).
const TABLE: Array<[number, string]> = [
  [1000000, '1e+06'],
  [123456, '123456'],
  [100000, '100000'],
  [1234567, '1.234567e+06'],
  [0.0001, '0.0001'],
  [0.00001, '1e-05'],
  [1e21, '1e+21'],
  [1.5e300, '1.5e+300'],
  [Number('12345678901234567890'), '1.2345678901234567e+19'],
  [5e-324, '5e-324'],
  [999999.9, '999999.9'],
  [100000.5, '100000.5'],
  [12345678, '1.2345678e+07'],
  [1795530299.0637364, '1.7955302990637364e+09'],
  [1795530906.2294362, '1.7955309062294362e+09'],
  [1e20, '1e+20'],
  [1, '1'],
  [-1, '-1'],
  [2.5, '2.5'],
  [0.1, '0.1'],
  [-0.1, '-0.1'],
  [1e-7, '1e-07'],
  [1.234e-5, '1.234e-05'],
  [0.0001234, '0.0001234'],
  [0.00009999, '9.999e-05'],
  [1.2345675e6, '1.2345675e+06'],
  [999999, '999999'],
  [999999.9999999999, '999999.9999999999'],
  [-1000000, '-1e+06'],
  [-123456.75, '-123456.75'],
  [1e100, '1e+100'],
  [1e-100, '1e-100'],
  [Number.MAX_VALUE, '1.7976931348623157e+308'],
  [Number.MIN_VALUE, '5e-324'],
  [2.2250738585072014e-308, '2.2250738585072014e-308'],
  [2 ** 53, '9.007199254740992e+15'],
  [2 ** 53 + 2, '9.007199254740994e+15'],
  [0.3, '0.3'],
  [0.1 + 0.2, '0.30000000000000004'],
  [3.0, '3'],
  [NaN, 'NaN'],
  [Infinity, '+Inf'],
  [-Infinity, '-Inf'],
  [0, '0'],
];

test('formatGoFloat matches the verified Go table', () => {
  for (const [v, want] of TABLE) assert.equal(formatGoFloat(v), want, `value ${v}`);
});

test('formatGoFloat keeps the sign of negative zero, as Go FormatFloat and %v do', () => {
  assert.equal(formatGoFloat(-0), '-0');
});

test('formatFloat (text writer) prints negative zero as 0 and otherwise equals formatGoFloat', () => {
  assert.equal(formatFloat(-0), '0');
  for (const [v, want] of TABLE) assert.equal(formatFloat(v), want, `value ${v}`);
});

test('formatGoFloat digits always round-trip through Number', () => {
  const rnd = xorshift(12345);
  for (let k = 0; k < 20000; k++) {
    const v = randomDouble(rnd);
    if (Number.isNaN(v) || !Number.isFinite(v)) continue;
    const s = formatGoFloat(v);
    assert.ok(Object.is(Number(s), v), `${s} does not round-trip to ${v}`);
    assert.match(s, /^-?\d+(\.\d+)?(e[+-]\d{2,3})?$/);
  }
});

test('formatGoFloat agrees with Go strconv on random and edge values', (t) => {
  const values: number[] = TABLE.map(([v]) => v);
  values.push(-0);
  const rnd = xorshift(987654321);
  for (let k = 0; k < 30000; k++) values.push(randomDouble(rnd));
  // Every power of ten and its neighbours, where the notation switches.
  for (let e = -330; e <= 310; e++) {
    const p = Number(`1e${e}`);
    values.push(p, nextUp(p), nextDown(p), 9.5 * p, 0.5 * p);
  }
  const got = runGoFloatOracle('format', values.map(float64Bits));
  if (got === undefined) {
    t.skip(
      skipUnless(false, 'go (to compare against strconv.FormatFloat)', 'apt-get install -y golang-go') || undefined,
    );
    return;
  }
  for (let i = 0; i < values.length; i++) {
    assert.equal(formatGoFloat(values[i]!), got[i], `bits ${float64Bits(values[i]!)}`);
  }
});

/** Deterministic PRNG so a failing value can be reproduced. */
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

/** A mix of raw bit patterns, integers, short decimals and values near the notation boundaries. */
function randomDouble(rnd: () => number): number {
  switch (rnd() % 5) {
    case 0:
      return float64FromBits(rnd().toString(16).padStart(8, '0') + rnd().toString(16).padStart(8, '0'));
    case 1:
      return (rnd() % 2 === 0 ? 1 : -1) * rnd() * (rnd() % 1000);
    case 2:
      return Number(`${rnd() % 100000}.${rnd() % 1000}e${(rnd() % 30) - 15}`);
    case 3:
      return (rnd() / 4294967296) * 10 ** ((rnd() % 16) - 8);
    default:
      return Number(`${rnd() % 10}.${rnd()}${rnd()}e${(rnd() % 700) - 350}`);
  }
}

function nextUp(v: number): number {
  if (v === 0) return Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  view.setBigUint64(0, view.getBigUint64(0) + 1n);
  return view.getFloat64(0);
}

function nextDown(v: number): number {
  if (v === 0) return -Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, v);
  view.setBigUint64(0, view.getBigUint64(0) - 1n);
  return view.getFloat64(0);
}
