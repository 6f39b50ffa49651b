/**
 * The piecewise gzip: CRC-32 combination agrees with zlib's CRC of the concatenation, and a body made
 * of many pieces (some empty, some multi-byte UTF-8) gunzips to exactly their text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32, gunzipSync } from 'node:zlib';
import { Piece, crc32Combine, gzipPieces, textLength } from '../../src/format/gzip-pieces.js';

/** Deterministic bytes, so a failure reproduces. */
function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    b[i] = x >>> 16;
  }
  return b;
}

test('crc32Combine equals the CRC-32 of the concatenation', () => {
  for (const [la, lb] of [
    [0, 0],
    [0, 7],
    [7, 0],
    [1, 1],
    [100, 3000],
    [65536, 1],
    [3, 70_000],
  ] as const) {
    const a = bytes(la, la + 1);
    const b = bytes(lb, lb + 2);
    assert.equal(
      crc32Combine(crc32(a) >>> 0, crc32(b) >>> 0, b.length),
      crc32(Buffer.concat([a, b])) >>> 0,
      `${la}+${lb}`,
    );
  }
});

test('gzipPieces makes one gzip member of the pieces in order', async () => {
  const pieces = [
    new Piece(''),
    new Piece('# TYPE m gauge\n'),
    new Piece('m{l="ä€😀"} 1\n'),
    new Piece(bytes(50_000, 9)),
    new Piece(''),
  ];
  const whole = Buffer.concat(pieces.map((p) => p.text));
  assert.equal(textLength(pieces), whole.length);
  const zipped = Buffer.concat(await gzipPieces(pieces));
  assert.deepEqual(gunzipSync(zipped), whole);
  // Cached compressed blocks are reused: a second body from the same pieces is identical.
  assert.deepEqual(Buffer.concat(await gzipPieces(pieces)), zipped);
});
