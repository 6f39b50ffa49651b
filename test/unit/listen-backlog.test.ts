/**
 * The listen backlog reader: net.core.somaxconn from a real file, Node's 511 when it is missing or
 * unreadable, at most 65535.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FALLBACK_BACKLOG, MAX_BACKLOG, SOMAXCONN_PATH, listenBacklog } from '../../src/http/listen-backlog.js';

describe('listen backlog from somaxconn', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'somaxconn-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string): string => {
    const p = path.join(dir, name);
    writeFileSync(p, content);
    return p;
  };

  it('reads the number the kernel writes (with its newline)', () => {
    assert.equal(listenBacklog(file('4096', '4096\n')), 4096);
    assert.equal(listenBacklog(file('128', '128')), 128);
  });

  it('caps at 65535', () => {
    assert.equal(listenBacklog(file('big', '1000000\n')), MAX_BACKLOG);
  });

  it('falls back to 511 for a missing file, a directory, zero, or anything but a number', () => {
    assert.equal(listenBacklog(path.join(dir, 'missing')), FALLBACK_BACKLOG);
    assert.equal(listenBacklog(dir), FALLBACK_BACKLOG);
    for (const [name, content] of [
      ['zero', '0\n'],
      ['empty', ''],
      ['word', 'many\n'],
      ['negative', '-5\n'],
      ['float', '12.5\n'],
    ]) {
      assert.equal(listenBacklog(file(name!, content!)), FALLBACK_BACKLOG, name);
    }
  });

  it("reads this machine's somaxconn by default", {
    skip: existsSync(SOMAXCONN_PATH) ? false : `no ${SOMAXCONN_PATH}`,
  }, () => {
    assert.equal(listenBacklog(), Math.min(Number(readFileSync(SOMAXCONN_PATH, 'utf8').trim()), MAX_BACKLOG));
  });
});
