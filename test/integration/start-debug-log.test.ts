/**
 * With --log.level=debug the gateway logs at start the external URL and both route prefixes, with the
 * reference's messages and keys (`msg="external URL" url=…`, `msg="path prefix used externally" path=…`,
 * `msg="path prefix for internal routing" path=…`); at info it logs none of them.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { referenceSkipReason, startOurs, startReference, type RunningGateway } from '../helpers/servers.js';

const FLAGS = ['--log.level=debug', '--web.external-url=http://example.com:9091/pg/', '--web.route-prefix=/inner/'];

/** The three debug lines' message → key=value, from logfmt output. */
function startDebugLines(output: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of output.split('\n')) {
    const m = new RegExp(
      / level=debug /.source +
        /(?:.* )?msg="(external URL|path prefix used externally|path prefix for internal routing)" (\w+=\S*)$/.source,
    ).exec(line);
    if (m !== null) found.set(m[1]!, m[2]!);
  }
  return found;
}

async function withGateway<T>(start: () => Promise<RunningGateway>, use: (gw: RunningGateway) => T): Promise<T> {
  const gw = await start();
  try {
    return use(gw);
  } finally {
    await gw.stop();
  }
}

const WANT = new Map([
  ['external URL', 'url=http://example.com:9091/pg/'],
  ['path prefix used externally', 'path=/pg'],
  ['path prefix for internal routing', 'path=/inner'],
]);

describe('start-up debug log', () => {
  it('logs the external URL and both prefixes at debug', async () => {
    const lines = await withGateway(
      () => startOurs(FLAGS, { prefix: '/inner' }),
      (gw) => startDebugLines(gw.output()),
    );
    assert.deepEqual(lines, WANT);
  });

  it('logs JSON with the same keys', async () => {
    const records = await withGateway(
      () => startOurs([...FLAGS, '--log.format=json'], { prefix: '/inner' }),
      (gw) =>
        gw
          .output()
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l) as Record<string, unknown>)
          .filter((r) => r.level === 'debug'),
    );
    const byMsg = new Map(records.map((r) => [r.msg, r]));
    assert.equal(byMsg.get('external URL')?.url, 'http://example.com:9091/pg/');
    assert.equal(byMsg.get('path prefix used externally')?.path, '/pg');
    assert.equal(byMsg.get('path prefix for internal routing')?.path, '/inner');
  });

  it('logs none of them at info', async () => {
    const lines = await withGateway(
      () => startOurs(FLAGS.slice(1), { prefix: '/inner' }),
      (gw) => startDebugLines(gw.output()),
    );
    assert.equal(lines.size, 0);
  });

  const skip = referenceSkipReason();
  it('the reference logs the same three lines', { skip }, async () => {
    const lines = await withGateway(
      () => startReference(FLAGS, { prefix: '/inner' }),
      (gw) => startDebugLines(gw.output()),
    );
    assert.deepEqual(lines, WANT);
  });
});
