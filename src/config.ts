/**
 * The gateway's configuration: the settings the command line produces, their defaults, and the value
 * syntaxes the reference Pushgateway 1.11 accepts for them. Durations follow kingpin v2.4's Duration flag
 * (xhit/go-str2duration: Go's time.ParseDuration plus the units "d" and "w"), URLs follow Go's url.Parse,
 * and the route prefix is normalised exactly like the reference's computeRoutePrefix.
 */

import { ConfigError } from './errors.js';
import { goQuote } from './model/go-quote.js';
import { NO_PUSH_LIMITS, type PushLimits } from './store/push-limits.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFormat = 'logfmt' | 'json';

export interface Config {
  /** --web.listen-address, repeatable; given values replace the default. */
  listenAddresses: string[];
  /** --web.systemd-socket */
  systemdSocket: boolean;
  /** --web.config.file */
  webConfigFile: string;
  /** --web.telemetry-path. */
  telemetryPath: string;
  /** --web.external-url as given (validated like Go's url.Parse), '' when unset. */
  externalUrl: string;
  /** computeRoutePrefix('', external URL): the path prefix the UI uses for its links and assets. */
  externalPathPrefix: string;
  /** --web.route-prefix after computeRoutePrefix: '' or '/x' (no trailing slash), or '/' for '//'. */
  routePrefix: string;
  enableLifecycle: boolean;
  enableAdminApi: boolean;
  /** --persistence.file; '' keeps metrics in memory only. */
  persistenceFile: string;
  /** --persistence.interval in milliseconds (may be fractional or negative, as Go durations can be). */
  persistenceIntervalMs: number;
  disableConsistencyCheck: boolean;
  enableUtf8Names: boolean;
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** --push.max-body-size (ours, not in the reference): decoded push bodies above it are rejected; 0 = no limit. */
  maxBodyBytes: number;
  /**
   * --store.memory-limit (ours): the V8 heap the store may fill; pushes beyond are refused with 507.
   * Defaults to half of the machine's memory or of the cgroup's limit; 0 = no budget (Node's heap limit).
   */
  memoryLimitBytes: number;
  /**
   * --push.body-memory-limit (ours): bytes request bodies in flight may hold together (503 beyond);
   * its default is derived from the memory limit and the body size limit; 0 = no ceiling.
   */
  bodyMemoryLimitBytes: number;
  /** --push.sample-limit, --push.label-limit, --push.label-name-length-limit, --push.label-value-length-limit. */
  pushLimits: PushLimits;
  /** The Redis store (ours, docs/high-availability.md); off while `url` and `sentinels` are empty. */
  redis: RedisStoreConfig;
  /** --push.group-ttl (ours) in ms: groups whose last successful push is older are deleted; 0 = never. */
  groupTtlMs: number;
  /** --push.group-up-grace (ours): pushgateway_group_up is 1 while the last success is younger than this × interval. */
  groupUpGrace: number;
  /**
   * Every flag's string form as the reference shows it on the status page and in /api/v1/status:
   * booleans "true"/"false", durations "5m0s", listen addresses joined with ",", computed route prefix.
   */
  flags: Record<string, string>;
}

/** --store.redis.* (ours): several replicas sharing one state in Redis. */
export interface RedisStoreConfig {
  /** --store.redis.url: `redis://` or `rediss://`; '' = no Redis store. */
  url: string;
  /** --store.redis.key-prefix: the start of every key the store uses. */
  keyPrefix: string;
  /** --store.redis.wait-replicas: Redis replicas that must have a write before it is acknowledged (WAIT). */
  waitReplicas: number;
  /** --store.redis.sentinels: host:port of each Sentinel. */
  sentinels: string[];
  /** --store.redis.sentinel-master: the master name Sentinel knows the primary by. */
  sentinelMaster: string;
  /** --store.redis.sentinel-password: AUTH towards the Sentinels ('' = none). */
  sentinelPassword: string;
}

/**
 * A config with every field at its zero value. The defaults are not here: they live in the flag table
 * (cli.ts), which applies them to the flags a command line leaves out, as kingpin does.
 */
export function blankConfig(): Config {
  return {
    listenAddresses: [],
    systemdSocket: false,
    webConfigFile: '',
    telemetryPath: '',
    externalUrl: '',
    externalPathPrefix: '',
    routePrefix: '',
    enableLifecycle: false,
    enableAdminApi: false,
    persistenceFile: '',
    persistenceIntervalMs: 0,
    disableConsistencyCheck: false,
    enableUtf8Names: false,
    logLevel: 'info',
    logFormat: 'logfmt',
    maxBodyBytes: 0,
    memoryLimitBytes: 0,
    bodyMemoryLimitBytes: 0,
    pushLimits: { ...NO_PUSH_LIMITS },
    redis: { url: '', keyPrefix: '', waitReplicas: 0, sentinels: [], sentinelMaster: '', sentinelPassword: '' },
    groupTtlMs: 0,
    groupUpGrace: 0,
    flags: {},
  };
}

/**
 * The default --push.body-memory-limit: an eighth of the memory limit (whole MiB), but room for two bodies of the
 * largest size at least, so that one always fits; no ceiling when there is neither a memory limit nor a
 * body size limit.
 */
export function defaultBodyMemoryLimit(c: Pick<Config, 'memoryLimitBytes' | 'maxBodyBytes'>): number {
  if (c.memoryLimitBytes <= 0) return c.maxBodyBytes > 0 ? 4 * c.maxBodyBytes : 0;
  return Math.max(Math.floor(c.memoryLimitBytes / 8 / 2 ** 20) * 2 ** 20, 2 * c.maxBodyBytes);
}

/**
 * The reference's computeRoutePrefix: an empty prefix falls back to the external URL's (decoded) path;
 * "/" means no prefix; a leading "/" is added and one trailing "/" removed.
 */
export function computeRoutePrefix(prefix: string, externalUrlPath: string): string {
  let p = prefix === '' ? externalUrlPath : prefix;
  if (p === '/') return '';
  if (!p.startsWith('/')) p = `/${p}`;
  return p.endsWith('/') ? p.slice(0, -1) : p;
}

// ---------------------------------------------------------------------------------------------------
// Durations

const NS_PER_MS = 1_000_000n;
const MAX_INT64 = (1n << 63n) - 1n;
const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  μs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
  d: 86_400_000_000_000n,
  w: 604_800_000_000_000n,
};

/**
 * Parses a duration the way the reference's --persistence.interval does ("5m", "1h30m", "300ms", "1.5h",
 * "-1s", "2d", "1w"; a bare "0" is zero) and returns milliseconds. Errors carry Go's messages.
 */
export function parseDuration(s: string): number {
  return Number(parseDurationNs(s)) / 1e6;
}

/** The same parse, exact to the nanosecond, with int64 overflow detection like Go. */
export function parseDurationNs(orig: string): bigint {
  const invalid = (): ConfigError => new ConfigError(`time: invalid duration "${orig}"`);
  let s = orig;
  let negative = false;
  if (s[0] === '-' || s[0] === '+') {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw invalid();
  let total = 0n;
  while (s !== '') {
    const m = /^(\d*)(?:\.(\d*))?/.exec(s)!;
    const [whole, intDigits = '', fracDigits] = m;
    if (intDigits === '' && (fracDigits === undefined || fracDigits === '')) throw invalid();
    s = s.slice(whole.length);
    let unitEnd = 0;
    while (unitEnd < s.length && !/[.0-9]/.test(s[unitEnd]!)) unitEnd++;
    if (unitEnd === 0) throw new ConfigError(`time: missing unit in duration "${orig}"`);
    const unitName = s.slice(0, unitEnd);
    s = s.slice(unitEnd);
    const unit = UNIT_NS[unitName];
    if (unit === undefined) throw new ConfigError(`time: unknown unit "${unitName}" in duration "${orig}"`);
    const v = BigInt(intDigits === '' ? '0' : intDigits);
    if (v > MAX_INT64 / unit) throw invalid();
    let part = v * unit;
    if (fracDigits !== undefined && fracDigits !== '') {
      // Go scales the fraction in float64, which is nanosecond-exact for up to an hour's worth.
      const digits = fracDigits.slice(0, 18);
      part += BigInt(Math.trunc(Number(digits) * (Number(unit) / 10 ** digits.length)));
    }
    total += part;
    if (total > MAX_INT64) throw invalid();
  }
  return negative ? -total : total;
}

/** Go's time.Duration.String for a millisecond value: "5m0s", "1h30m0s", "300ms", "1.5s", "0s". */
export function formatDuration(ms: number): string {
  return formatDurationNs(BigInt(Math.round(ms * 1e6)));
}

export function formatDurationNs(d: bigint): string {
  if (d === 0n) return '0s';
  const sign = d < 0n ? '-' : '';
  const u = d < 0n ? -d : d;
  if (u < 1_000n) return `${sign}${u}ns`;
  if (u < NS_PER_MS) return `${sign}${decimal(u, 3)}µs`;
  if (u < 1_000_000_000n) return `${sign}${decimal(u, 6)}ms`;
  const seconds = `${decimal(u % 60_000_000_000n, 9)}s`;
  const minutes = u / 60_000_000_000n;
  if (minutes === 0n) return sign + seconds;
  const hours = minutes / 60n;
  const h = hours > 0n ? `${hours}h` : '';
  return `${sign}${h}${minutes % 60n}m${seconds}`;
}

/** v / 10^scale with the fraction's trailing zeros dropped ("1.5", "300", "0.25"). */
function decimal(v: bigint, scale: number): string {
  const div = 10n ** BigInt(scale);
  const frac = (v % div).toString().padStart(scale, '0').replace(/0+$/, '');
  return frac === '' ? `${v / div}` : `${v / div}.${frac}`;
}

// ---------------------------------------------------------------------------------------------------
// Byte sizes (our --push.max-body-size)

const BYTE_UNITS: Record<string, number> = {
  '': 1,
  B: 1,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  KB: 1024,
  MB: 1024 ** 2,
  GB: 1024 ** 3,
};

/** "1048576", "512KiB", "64MiB", "1GB" (KB/MB/GB are powers of 1024, as kingpin's Bytes flag reads them). */
export function parseByteSize(s: string): number {
  const m = /^(\d+)([KMG]i?B|B)?$/.exec(s);
  const factor = m === null ? undefined : BYTE_UNITS[m[2] ?? ''];
  if (m === null || factor === undefined) {
    throw new ConfigError(
      `invalid byte size ${goQuote(s)}: expected a whole number with an optional unit B, KiB, MiB or GiB`,
    );
  }
  const n = Number(m[1]) * factor;
  if (!Number.isSafeInteger(n)) throw new ConfigError(`byte size ${goQuote(s)} is too large`);
  return n;
}

/** A whole number ≥ 0 (the per-push limits, as Prometheus's uint fields). */
export function parseCount(s: string, flag: string): number {
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(Number(s))) {
    throw new ConfigError(`invalid value ${goQuote(s)} for --${flag}: expected a whole number (0 = no limit)`);
  }
  return Number(s);
}

export function formatByteSize(n: number): string {
  for (const [unit, size] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (n !== 0 && n % size === 0) return `${n / size}${unit}`;
  }
  return `${n}B`;
}

// ---------------------------------------------------------------------------------------------------
// URLs (Go's net/url.Parse, for --web.external-url)

export interface ParsedUrl {
  /** The URL re-serialised with its scheme lower-cased (Go's URL.String for ordinary inputs). */
  text: string;
  /** The decoded path, like Go's URL.Path ("" for "http://host", "foo" for "foo"). */
  path: string;
}

/**
 * Validates a URL with the rules of Go's url.Parse (which kingpin's URL flag uses) and returns its decoded
 * path. Relative references such as "foo" or "/ext" are valid, as in Go. Errors read like kingpin's:
 * `invalid URL: parse "::bad": missing protocol scheme`.
 */
export function parseGoUrl(raw: string): ParsedUrl {
  const fail = (detail: string): ConfigError => new ConfigError(`invalid URL: parse ${goQuote(raw)}: ${detail}`);
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) throw fail('net/url: invalid control character in URL');
  }
  const hashAt = raw.indexOf('#');
  const beforeFragment = hashAt === -1 ? raw : raw.slice(0, hashAt);
  if (raw === '*') return { text: raw, path: '*' };
  const { scheme, rest: afterScheme } = splitScheme(beforeFragment, fail);
  let rest = afterScheme;
  const queryAt = rest.indexOf('?');
  if (queryAt !== -1) rest = rest.slice(0, queryAt);
  let path = '';
  if (!rest.startsWith('/') && scheme !== '') {
    path = ''; // opaque URL such as "mailto:x"; Go leaves Path empty
  } else {
    if (!rest.startsWith('/') && (rest.split('/', 1)[0] ?? '').includes(':')) {
      throw fail('first path segment in URL cannot contain colon');
    }
    if ((scheme !== '' || !rest.startsWith('///')) && rest.startsWith('//')) {
      const slash = rest.indexOf('/', 2);
      const authority = slash === -1 ? rest.slice(2) : rest.slice(2, slash);
      checkAuthority(authority, fail);
      rest = slash === -1 ? '' : rest.slice(slash);
    }
    path = unescapePath(rest, fail);
  }
  if (hashAt !== -1) unescapePath(raw.slice(hashAt + 1), fail);
  const text = scheme === '' ? raw : scheme + raw.slice(scheme.length);
  return { text, path };
}

function splitScheme(s: string, fail: (d: string) => ConfigError): { scheme: string; rest: string } {
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (/[A-Za-z]/.test(c)) continue;
    if (/[0-9+\-.]/.test(c)) {
      if (i === 0) break;
      continue;
    }
    if (c === ':') {
      if (i === 0) throw fail('missing protocol scheme');
      return { scheme: s.slice(0, i).toLowerCase(), rest: s.slice(i + 1) };
    }
    break;
  }
  return { scheme: '', rest: s };
}

function checkAuthority(authority: string, fail: (d: string) => ConfigError): void {
  const at = authority.lastIndexOf('@');
  if (at !== -1 && !/^[A-Za-z0-9\-._~!$&'()*+,;=:%@]*$/.test(authority.slice(0, at))) {
    throw fail('net/url: invalid userinfo');
  }
  let host = authority.slice(at + 1);
  let port = '';
  if (host.startsWith('[')) {
    const close = host.lastIndexOf(']');
    if (close === -1) throw fail(`missing ']' in host`);
    port = host.slice(close + 1);
    host = host.slice(1, close);
  } else {
    const colon = host.lastIndexOf(':');
    if (colon !== -1) {
      port = host.slice(colon);
      host = host.slice(0, colon);
    }
  }
  if (port !== '' && !/^:\d*$/.test(port)) throw fail(`invalid port ${goQuote(port)} after host`);
  for (let i = 0; i < host.length; i++) {
    const ch = host[i]!;
    if (ch === '%') {
      // Go allows escapes in a host only for non-ASCII bytes (and "%25", a literal percent).
      const triplet = host.slice(i, i + 3);
      if (!/^%[0-9A-Fa-f]{2}$/.test(triplet) || (parseInt(triplet[1]!, 16) < 8 && triplet !== '%25')) {
        throw fail(`invalid URL escape ${goQuote(triplet)}`);
      }
      i += 2;
    } else if (ch.charCodeAt(0) < 0x80 && !/[A-Za-z0-9\-._~!$&'()*+,;=:[\]<>"]/.test(ch)) {
      throw fail(`invalid character ${goQuote(ch)} in host name`);
    }
  }
}

/** Percent-decodes a path the way Go does: every '%' must start a two-digit hex escape; '+' stays '+'. */
function unescapePath(s: string, fail: (d: string) => ConfigError): string {
  if (!s.includes('%')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const cp = s.codePointAt(i)!;
    if (cp === 0x25 /* % */) {
      const triplet = s.slice(i, i + 3);
      if (!/^%[0-9A-Fa-f]{2}$/.test(triplet)) throw fail(`invalid URL escape ${goQuote(triplet)}`);
      bytes.push(parseInt(triplet.slice(1), 16));
      i += 2;
      continue;
    }
    const ch = String.fromCodePoint(cp);
    for (const b of Buffer.from(ch, 'utf8')) bytes.push(b);
    i += ch.length - 1;
  }
  // Go keeps the raw bytes; a JS string cannot, so invalid UTF-8 becomes U+FFFD here.
  return Buffer.from(bytes).toString('utf8');
}
