/**
 * Basic auth decisions, as exporter-toolkit v0.14.0 makes them: Go's reading of `Authorization: Basic`,
 * bcrypt checks against real hashes ($2a$, $2b$, $2y$, made here at cost 4), the verdict cache (its size,
 * its eviction, its key of user, hash and password), one bcrypt for the same new credentials sent at once,
 * and unknown users, bad hashes and non-UTF-8 passwords refused.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import bcrypt from 'bcryptjs';
import { parseBasicAuth } from '../../src/http/basic-credentials.js';
import { AUTH_CACHE_SIZE, AuthCache } from '../../src/http/auth-cache.js';
import { BasicAuth } from '../../src/http/basic-auth.js';
import { SerialBcrypt } from '../../src/http/serial-bcrypt.js';

const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');
const basic = (userPass: string | Buffer): string => `Basic ${b64(userPass)}`;

/** The real worker-backed checker, counting the checks it is given. */
class CountingBcrypt extends SerialBcrypt {
  calls = 0;
  override matches(password: string, hash: string): Promise<boolean> {
    this.calls++;
    return super.matches(password, hash);
  }
}

describe("parseBasicAuth reads what Go's Request.BasicAuth reads", () => {
  it('splits user and password at the first colon', () => {
    assert.deepEqual(parseBasicAuth(basic('alice:pa:ss')), { user: 'alice', password: 'pa:ss' });
    assert.deepEqual(parseBasicAuth(basic(':')), { user: '', password: '' });
    assert.deepEqual(parseBasicAuth(basic('Jürgen:pässwörd')), { user: 'Jürgen', password: 'pässwörd' });
  });
  it('matches the scheme name in any case, with exactly one space after it', () => {
    assert.deepEqual(parseBasicAuth(`bAsIc ${b64('a:b')}`), { user: 'a', password: 'b' });
    assert.deepEqual(parseBasicAuth(`BASIC ${b64('a:b')}`), { user: 'a', password: 'b' });
    assert.equal(parseBasicAuth(`Basic  ${b64('a:b')}`), null);
    assert.equal(parseBasicAuth(`Basic${b64('a:b')}`), null);
    assert.equal(parseBasicAuth(`Bearer ${b64('a:b')}`), null);
    assert.equal(parseBasicAuth(undefined), null);
    assert.equal(parseBasicAuth('Basic'), null);
  });
  it('takes standard base64 with its padding only', () => {
    assert.equal(parseBasicAuth('Basic YWxpY2U6cHc'), null, 'missing padding');
    assert.deepEqual(parseBasicAuth('Basic YWxpY2U6cHc='), { user: 'alice', password: 'pw' });
    assert.deepEqual(parseBasicAuth('Basic YWxpY2U6cHd='), { user: 'alice', password: 'pw' }, 'unused bits set');
    assert.equal(parseBasicAuth('Basic YT_-Yg=='), null, 'URL-safe alphabet');
    assert.equal(parseBasicAuth('Basic YTpi=='), null, 'padding where none belongs');
    assert.equal(parseBasicAuth(basic('no colon')), null);
    assert.equal(parseBasicAuth('Basic '), null, 'empty: no colon');
  });
  it('marks bytes that are not UTF-8 instead of guessing at them', () => {
    const got = parseBasicAuth(basic(Buffer.from([0x61, 0xff, 0x3a, 0xfe])));
    assert.deepEqual(got, { user: undefined, password: undefined });
  });
});

describe("AuthCache: the toolkit's size and random eviction", () => {
  it('holds 100 verdicts, then drops a tenth and one more at random to make room', () => {
    const cache = new AuthCache();
    for (let i = 0; i < AUTH_CACHE_SIZE; i++) cache.set(`k${i}`, i % 2 === 0);
    assert.equal(cache.size, 100);
    assert.equal(cache.get('k0'), true);
    assert.equal(cache.get('k1'), false);
    cache.set('k0', false); // a key already there takes no room
    assert.equal(cache.size, 100);
    cache.set('new', true);
    assert.equal(cache.size, 100 - 11 + 1);
    assert.equal(cache.get('new'), true);
  });
  it('picks the evicted keys at random, not the oldest', () => {
    let n = 0;
    const cache = new AuthCache(10, () => [0.99, 0.5, 0.7][n++ % 3]!);
    for (let i = 0; i < 10; i++) cache.set(`k${i}`, true);
    cache.set('new', true);
    assert.equal(cache.size, 9);
    assert.equal(cache.get('k0'), true, 'the oldest key stays');
    assert.equal(cache.get('k9'), undefined, 'the key at index 0.99 left');
  });
});

describe('BasicAuth decisions', () => {
  const right = 'correct horse';
  const h2b = bcrypt.hashSync(right, 4);
  const h2a = `$2a$${h2b.slice(4)}`; // the same algorithm: Go and bcryptjs hash $2a$/$2b$ alike for these
  const h2y = bcrypt.hashSync('y-pass', '$2y$04$abcdefghijklmnopqrstuu');
  const users = {
    alice: h2b,
    bob: h2a,
    carol: h2y,
    broken: '$2b$04$!!!!!!!!!!!!!!!!!!!!!!abcdefghijklmnopqrstuvwxyz01234',
  };

  it('lets everything through when no users are configured, without reading the header', () => {
    const auth = new BasicAuth({});
    assert.equal(auth.open, true);
    assert.equal(auth.allows(undefined), true);
    assert.equal(auth.allows('garbage'), true);
  });
  it('refuses missing and malformed credentials at once', () => {
    const auth = new BasicAuth(users);
    assert.equal(auth.allows(undefined), false);
    assert.equal(auth.allows('Basic YWxpY2U6cHc'), false);
    assert.equal(auth.allows('Digest username="alice"'), false);
  });
  it('accepts the right password for $2b$, $2a$ and $2y$ hashes, refuses a wrong one', async () => {
    const auth = new BasicAuth(users);
    assert.equal(h2y.slice(0, 4), '$2y$');
    assert.equal(await auth.allows(basic(`alice:${right}`)), true);
    assert.equal(await auth.allows(basic(`bob:${right}`)), true);
    assert.equal(await auth.allows(basic('carol:y-pass')), true);
    assert.equal(await auth.allows(basic('alice:wrong')), false);
    assert.equal(await auth.allows(basic(`ALICE:${right}`)), false, 'user names are case-sensitive');
    assert.equal(await auth.allows(basic(`carol:${right}`)), false, "another user's password");
  });
  it('refuses unknown users and unusable hashes after a bcrypt check like any other', async () => {
    const counting = new CountingBcrypt();
    const auth = new BasicAuth(users, { bcrypt: counting });
    const unknown = auth.allows(basic(`mallory:${right}`));
    assert.ok(unknown instanceof Promise, 'an unknown user costs a bcrypt check too (timing)');
    assert.equal(await unknown, false);
    assert.equal(await auth.allows(basic(`broken:${right}`)), false);
    assert.equal(await auth.allows(basic(Buffer.concat([Buffer.from('alice:'), Buffer.from([0xff])]))), false);
    assert.equal(counting.calls, 3);
    await counting.close();
  });
  it('caches verdicts by user, hash and password: a repeat needs no bcrypt and no promise', async () => {
    const counting = new CountingBcrypt();
    const cache = new AuthCache();
    const auth = new BasicAuth(users, { bcrypt: counting, cache });
    assert.equal(await auth.allows(basic(`alice:${right}`)), true);
    assert.equal(await auth.allows(basic('alice:wrong')), false);
    assert.equal(await auth.allows(basic('nobody:x')), false);
    assert.equal(auth.allows(basic(`alice:${right}`)), true);
    assert.equal(auth.allows(basic('alice:wrong')), false);
    assert.equal(auth.allows(basic('nobody:x')), false);
    assert.equal(counting.calls, 3);
    assert.equal(cache.size, 3);
    // A changed hash for the same user and password is a new key: the old verdict does not carry over.
    const rehashed = new BasicAuth({ ...users, alice: bcrypt.hashSync('other', 4) }, { bcrypt: counting, cache });
    assert.equal(await rehashed.allows(basic(`alice:${right}`)), false);
    assert.equal(counting.calls, 4);
    await counting.close();
  });
  it('a header seen before is answered from its memo, bounded; a new table of users starts without one', async () => {
    const counting = new CountingBcrypt();
    const cache = new AuthCache();
    const auth = new BasicAuth(users, { bcrypt: counting, cache });
    assert.equal(await auth.allows(basic(`alice:${right}`)), true);
    // The toolkit's cache may evict the key; the memo of this header still holds the same verdict.
    for (let i = 0; i < 200; i++) cache.set(`filler${i}`, false);
    assert.equal(auth.allows(basic(`alice:${right}`)), true);
    assert.equal(counting.calls, 1);
    // Many distinct headers: the memo is emptied when full, never grows past its bound.
    for (let i = 0; i < 600; i++) await auth.allows(basic(`nobody:${i}`));
    const memo = (auth as unknown as { byHeader: Map<string, boolean> }).byHeader;
    assert.ok(memo.size <= 256, `memo of ${memo.size}`);
    const rehashed = new BasicAuth({ alice: bcrypt.hashSync('other', 4) }, { bcrypt: counting, cache });
    assert.equal(await rehashed.allows(basic(`alice:${right}`)), false, 'a reload does not inherit the memo');
    await counting.close();
  });
  it('runs one bcrypt for the same new credentials sent at once', async () => {
    const counting = new CountingBcrypt();
    const auth = new BasicAuth(users, { bcrypt: counting });
    const verdicts = await Promise.all(Array.from({ length: 5 }, () => auth.allows(basic(`alice:${right}`))));
    assert.deepEqual(verdicts, [true, true, true, true, true]);
    assert.equal(counting.calls, 1);
    await counting.close();
  });
  it('compares only the hash after the salt, as Go does (a salt with unused bits set still matches)', async () => {
    const canonical = bcrypt.hashSync(right, '$2b$04$abcdefghijklmnopqrstuu');
    // The salt's 22nd character carries 4 unused bits: `u` and `v` decode to the same 16 bytes.
    const offCanonical = `${canonical.slice(0, 28)}v${canonical.slice(29)}`;
    const auth = new BasicAuth({ alice: offCanonical });
    assert.equal(await auth.allows(basic(`alice:${right}`)), true);
  });
});
