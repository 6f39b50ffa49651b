/**
 * Decides whether a request's `Authorization` header lets it through, as exporter-toolkit v0.14.0's
 * web/handler.go does for `basic_auth_users`: no users configured → every request passes; otherwise the
 * Basic credentials must name a configured user whose bcrypt hash the password matches. Verdicts are
 * cached by user, hash and password (auth-cache.ts); bcrypt runs one check at a time (serial-bcrypt.ts).
 * An unknown user is checked against a dummy hash of the same cost, so the answer's timing does not tell
 * which user names exist.
 */
import { AuthCache } from './auth-cache.js';
import { parseBasicAuth } from './basic-credentials.js';
import { SerialBcrypt } from './serial-bcrypt.js';

/** The cost the toolkit's fixed dummy hash has, used when no configured hash shows a cost. */
const DEFAULT_COST = 10;
/** 53 characters of bcrypt's base64 (salt, then hash): no password hashes to it, which is the point. */
const DUMMY_SALT_AND_HASH = 'Pgw.ts.dummy.salt.usedForUnknownUsers.0123456789abcde';

/** Headers whose verdict is kept for the fast path; the toolkit's cache below stays the one of record. */
const HEADER_MEMO_SIZE = 256;

export class BasicAuth {
  private readonly users: ReadonlyMap<string, string>;
  private readonly dummyHash: string;
  private readonly cache: AuthCache;
  private readonly bcrypt: SerialBcrypt;
  /** Checks under way, by cache key: the same new credentials sent concurrently cost one bcrypt. */
  private readonly pending = new Map<string, Promise<boolean>>();
  /** Verdicts by raw Authorization header, for this table of users only. */
  private readonly byHeader = new Map<string, boolean>();

  constructor(users: Readonly<Record<string, string>>, opts: { cache?: AuthCache; bcrypt?: SerialBcrypt } = {}) {
    this.users = new Map(Object.entries(users));
    this.dummyHash = `$2y$${String(commonCost(this.users.values())).padStart(2, '0')}$${DUMMY_SALT_AND_HASH}`;
    this.cache = opts.cache ?? new AuthCache();
    this.bcrypt = opts.bcrypt ?? new SerialBcrypt();
  }

  /** True when no users are configured: the gate then lets everything through without looking. */
  get open(): boolean {
    return this.users.size === 0;
  }

  /**
   * Whether the request with this `Authorization` header value may pass. Answers at once (no promise)
   * when that needs no bcrypt: auth off, no or malformed credentials, or a cached verdict.
   */
  allows(authorization: string | undefined): boolean | Promise<boolean> {
    if (this.open) return true;
    // The verdict for a header seen before, without decoding it again: the header fixes user and password
    // and this table's users fix the hash, so it is the toolkit cache's verdict, found in under 0.1 µs instead
    // of ~6 µs (base64 and a JSON key per request). Bounded; emptied when full.
    const memo = authorization !== undefined ? this.byHeader.get(authorization) : undefined;
    if (memo !== undefined) return memo;
    const verdict = this.check(authorization);
    if (typeof verdict === 'boolean') this.remember(authorization, verdict);
    else void verdict.then((v) => this.remember(authorization, v));
    return verdict;
  }

  private remember(authorization: string | undefined, verdict: boolean): void {
    if (authorization === undefined) return;
    if (this.byHeader.size >= HEADER_MEMO_SIZE) this.byHeader.clear();
    this.byHeader.set(authorization, verdict);
  }

  private check(authorization: string | undefined): boolean | Promise<boolean> {
    const credentials = parseBasicAuth(authorization);
    if (credentials === null) return false;
    const { user, password } = credentials;
    const known = user !== undefined ? this.users.get(user) : undefined;
    const hash = known ?? this.dummyHash;
    // A password that is not UTF-8 cannot be given to bcryptjs; the dummy check keeps its timing alike.
    const text = password ?? '';
    const key = JSON.stringify([user ?? null, hash, password ?? null]);
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    let check = this.pending.get(key);
    if (check === undefined) {
      const counts = known !== undefined && password !== undefined;
      check = this.bcrypt.matches(text, counts ? hash : this.dummyHash).then((match) => {
        const verdict = counts && match;
        this.cache.set(key, verdict);
        this.pending.delete(key);
        return verdict;
      });
      this.pending.set(key, check);
    }
    return check;
  }
}

/** The cost most configured hashes have (the higher on a tie), so the dummy check takes as long as theirs. */
function commonCost(hashes: Iterable<string>): number {
  const counts = new Map<number, number>();
  for (const h of hashes) {
    const m = /^\$2[a-z]?\$(\d\d)\$/.exec(h);
    if (m !== null) counts.set(Number(m[1]), (counts.get(Number(m[1])) ?? 0) + 1);
  }
  let best = DEFAULT_COST;
  let bestCount = 0;
  for (const [cost, n] of counts) {
    if (n > bestCount || (n === bestCount && cost > best)) [best, bestCount] = [cost, n];
  }
  return best;
}
