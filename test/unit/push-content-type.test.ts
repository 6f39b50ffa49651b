/**
 * The push's protobuf detection (isProtobuf in src/http/push.ts), which reads Content-Type as Go's
 * mime.ParseMediaType does: token or quoted-string values (a backslash escapes only tspecials), any
 * parameter order, and anything that does not parse means the text format.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isProtobuf } from '../../src/http/push.js';

const PB = 'application/vnd.google.protobuf';
const PARAMS = 'proto=io.prometheus.client.MetricFamily; encoding=delimited';

describe('push Content-Type: protobuf or text', () => {
  const table: Array<[string | undefined, boolean]> = [
    [undefined, false],
    [`${PB}; ${PARAMS}`, true],
    [`${PB}; encoding=delimited; proto=io.prometheus.client.MetricFamily`, true],
    [`${PB}; proto="io.prometheus.client.MetricFamily"; encoding="delimited"`, true], // quoted equals token
    [`${PB}; ${PARAMS}; x="a\\"b;c"`, true], // an escaped quote and a ';' inside a quoted value
    [`${PB}; proto=io.prometheus.client.MetricFamily; encoding="delim\\ited"`, false], // '\i' keeps its backslash
    [`${PB}; proto=io.prometheus.client.MetricFamily; encoding="delim\\"ited"`, false],
    [`${PB}; ${PARAMS}; x="open`, false], // no closing quote: mime rejects the header
    [`${PB}; ${PARAMS}; x="a\nb"`, false],
  ];
  for (const [contentType, want] of table) {
    it(`${JSON.stringify(contentType)} → ${want ? 'protobuf' : 'text'}`, () =>
      assert.equal(isProtobuf(contentType), want));
  }

  // The quoted value was copied a character at a time: 80 ms for a 1 MiB value (found by fuzzing the
  // negotiation target, which also feeds Content-Type).
  it('a 1 MiB quoted parameter value is read whole, with its escapes', { timeout: 20_000 }, () => {
    const big = 'x'.repeat(1 << 20);
    assert.equal(isProtobuf(`${PB}; ${PARAMS}; x="${big}"`), true);
    assert.equal(isProtobuf(`${PB}; ${PARAMS}; x="${'\\"'.repeat(1 << 19)}"`), true);
    assert.equal(isProtobuf(`${PB}; ${PARAMS}; x="${big}`), false);
    // a duplicate parameter with another value is a mime error: the escapes must be undone to see they agree
    assert.equal(isProtobuf(`${PB}; ${PARAMS}; x="${big}\\""; x="${big}\\""`), true);
    assert.equal(isProtobuf(`${PB}; ${PARAMS}; x="${big}\\""; x="${big}\\\\"`), false);
  });
});
