/**
 * bcrypt checks run one at a time, as exporter-toolkit runs them under a mutex: a check costs tens of
 * milliseconds of CPU at the usual cost 10, and a burst of new credentials must not take every core (or,
 * here, queue up slices of the one event loop between requests). bcryptjs's asynchronous hash yields to
 * the event loop between slices of its rounds, so other requests are served while a check runs.
 */
import { timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';

/** `$2?$NN$` and the 22-character salt: what bcrypt hashes the password with. */
const SETTING_LENGTH = 29;
const HASH_LENGTH = 60;

export class SerialBcrypt {
  private tail: Promise<unknown> = Promise.resolve();

  /** Whether `password` hashes to `hash`; false for a hash bcrypt cannot use. Checks run in call order. */
  matches(password: string, hash: string): Promise<boolean> {
    const run = this.tail.then(() => bcryptMatches(password, hash));
    this.tail = run;
    return run;
  }
}

/**
 * Go's CompareHashAndPassword recomputes the hash from the stored cost and salt and compares only the 31
 * characters after the salt, in constant time; bcryptjs's compare() compares whole strings, so a salt with
 * non-zero unused bits (which bcryptjs writes back canonical) would fail where Go succeeds. Hence hash().
 */
async function bcryptMatches(password: string, hash: string): Promise<boolean> {
  if (hash.length !== HASH_LENGTH) return false;
  let computed: string;
  try {
    computed = await bcrypt.hash(password, hash.slice(0, SETTING_LENGTH));
  } catch {
    return false; // a malformed cost, salt or version: Go's compare errors, which the toolkit answers with 401
  }
  const want = Buffer.from(hash.slice(SETTING_LENGTH));
  const got = Buffer.from(computed.slice(SETTING_LENGTH));
  return want.length === got.length && timingSafeEqual(want, got);
}
