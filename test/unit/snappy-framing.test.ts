/**
 * The snappy framing reader (src/format/body.ts): CRC-32C against the standard check value, a round trip
 * through many chunks, and the limit on the decoded size. Streams written by golang/snappy itself are
 * checked over HTTP in test/integration/request-compression.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c, maskedCrc32c, snappyFramed, unsnappyFramed } from '../../src/format/body.js';

test('CRC-32C check value and the framing mask', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  assert.equal(crc32c(Buffer.alloc(0)), 0);
  const c = crc32c(Buffer.from('sNaPpY'));
  assert.equal(maskedCrc32c(Buffer.from('sNaPpY')), ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0);
});

test('round trip over several chunks, compressed and uncompressed', () => {
  const data = Buffer.from(Array.from({ length: 20000 }, (_v, i) => `line_${i} ${i % 7}\n`).join(''));
  assert.ok(data.length > 3 * 65536);
  assert.deepEqual(unsnappyFramed(snappyFramed(data), 0), data);
  assert.deepEqual(unsnappyFramed(snappyFramed(data, false), 0), data);
});

test('the decoded size limit is enforced chunk by chunk (413)', () => {
  const framed = snappyFramed(Buffer.alloc(1 << 20, 0x61));
  assert.throws(() => unsnappyFramed(framed, 100_000), { status: 413 });
  assert.equal(unsnappyFramed(framed, 1 << 20).length, 1 << 20);
});
