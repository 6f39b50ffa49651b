/**
 * How the Redis store logs in when it finds the primary through Sentinels (docs/high-availability.md,
 * "Flags"): `--store.redis.url` may then be given too, naming the master instead of a host
 * (`rediss://user:password@<master name>/db`), and gives the scheme (rediss: TLS to the primary and to the
 * Sentinels), the credentials and the database for the primary; `--store.redis.sentinel-password` is the
 * Sentinels' own `requirepass`, if they have one. Parsed once at start, so a bad combination is refused
 * with a message naming it before anything connects.
 */
import { ConfigError } from '../../errors.js';

export interface SentinelAuth {
  /** TLS towards the primary and the Sentinels (rediss://). */
  tls: boolean;
  username?: string;
  password?: string;
  database?: number;
  /** AUTH towards the Sentinels themselves. */
  sentinelPassword?: string;
}

/** The login for a Sentinel setup from `url` ('' = none: plain TCP, no AUTH) and the Sentinels' password. */
export function sentinelAuth(url: string, master: string, sentinelPassword: string): SentinelAuth {
  const auth: SentinelAuth = { tls: false };
  if (sentinelPassword !== '') auth.sentinelPassword = sentinelPassword;
  if (url === '') return auth;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError('--store.redis.url with --store.redis.sentinels is not a valid URL');
  }
  // URL keeps a non-special scheme's host as written (case included).
  if (u.hostname !== master || u.port !== '') {
    throw new ConfigError(
      '--store.redis.url with --store.redis.sentinels names the master instead of a host: ' +
        `rediss://user:password@${master}/db (the Sentinels give the primary's address)`,
    );
  }
  auth.tls = u.protocol === 'rediss:';
  if (u.username !== '') auth.username = decodeURIComponent(u.username);
  if (u.password !== '') auth.password = decodeURIComponent(u.password);
  const db = u.pathname.replace(/^\//, '');
  if (db !== '') {
    if (!/^\d+$/.test(db))
      throw new ConfigError(`--store.redis.url: the database ${JSON.stringify(db)} is not a number`);
    auth.database = Number(db);
  }
  return auth;
}
