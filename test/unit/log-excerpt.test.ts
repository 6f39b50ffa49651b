/**
 * Log excerpts: a client-controlled text in a log field is kept whole up to the budget, else cut at a
 * character boundary with a note of how many bytes were cut.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { excerpt, LOG_EXCERPT_BYTES } from '../../src/observe/log-excerpt.js';

describe('log excerpt', () => {
  it('keeps a text within the budget unchanged', () => {
    assert.equal(excerpt('short'), 'short');
    const exact = 'a'.repeat(LOG_EXCERPT_BYTES);
    assert.equal(excerpt(exact), exact);
  });

  it('cuts a 10 MB text to the budget and says how much was cut', () => {
    const got = excerpt('x'.repeat(10_000_000));
    assert.equal(got, `${'x'.repeat(LOG_EXCERPT_BYTES)}… [${10_000_000 - LOG_EXCERPT_BYTES} more bytes cut]`);
  });

  it('never splits a multi-byte character or a surrogate pair', () => {
    for (const ch of ['é', '€', '😀']) {
      const text = `a${ch.repeat(400)}`;
      const got = excerpt(text, 10);
      const kept = got.slice(0, got.indexOf('…'));
      assert.ok(Buffer.byteLength(kept) <= 10, `${ch}: ${kept}`);
      assert.ok(text.startsWith(kept));
      assert.equal(Buffer.from(kept).toString('utf8'), kept, `${ch}: a character was split`);
      assert.match(got, new RegExp(`… \\[${Buffer.byteLength(text) - Buffer.byteLength(kept)} more bytes cut\\]$`));
    }
  });
});
