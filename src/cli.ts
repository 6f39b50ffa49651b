#!/usr/bin/env node
/**
 * The command line: the only module that reads process.argv or sets the exit code, and the table of the
 * gateway's flags. Parsing follows the reference Pushgateway 1.11, which uses kingpin v2.4
 * (flags/kingpin.ts has the rules). Errors print `pushgateway: error: <message>, try --help` and exit 1.
 */

import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import {
  blankConfig,
  computeRoutePrefix,
  defaultBodyMemoryLimit,
  formatByteSize,
  formatDuration,
  parseByteSize,
  parseCount,
  parseDurationNs,
  parseGoUrl,
  type Config,
} from './config.js';
import { ConfigError, ExitError, UnexpectedError, UnsupportedFeatureError, WebConfigError } from './errors.js';
import { WebConfigReloader } from './web-config/web-config-reloader.js';
import { KingpinApp, type Flag } from './flags/kingpin.js';
import { RouteConflict } from './http/router.js';
import { routeTable } from './http/routes.js';
import { goQuote } from './model/go-quote.js';
import { createLogger } from './observe/logger.js';
import { defaultMemoryLimit } from './store/memory-budget.js';
import { redactUrl } from './store/redis/redact-url.js';
import { sentinelAuth } from './store/redis/sentinel-auth.js';
import { BRANCH, BUILD_DATE, REVISION, VERSION } from './version.js';

export const APP_NAME = 'pushgateway';
const APP_HELP = 'The Pushgateway';

export type CommandLineResult =
  | { kind: 'run'; config: Config }
  | { kind: 'help'; text: string }
  | { kind: 'version'; text: string };

export interface CommandLineEnv {
  /** Column count for wrapping --help (kingpin: $COLUMNS, else the terminal, else 80). */
  width?: number;
  /** Reads an `@file` argument file; defaults to the file system. */
  readArgsFile?: (path: string) => string;
  /** Build information for --version; read from package.json when absent. */
  buildInfo?: BuildInfo;
}

// ---------------------------------------------------------------------------------------------------
// Features not built yet. Shrink this list as features land; main() refuses to start while any is used.

interface UnsupportedFeature {
  inUse(config: Config): boolean;
  message: string;
}

export const UNSUPPORTED_FEATURES: readonly UnsupportedFeature[] = [
  {
    inUse: (c) => c.listenAddresses.some((a) => a.startsWith('vsock://')),
    message: '--web.listen-address with a vsock:// address is not supported yet',
  },
];

/** One message per requested feature that this build cannot provide yet. */
export function unsupportedFeatures(config: Config): string[] {
  return UNSUPPORTED_FEATURES.filter((f) => f.inUse(config)).map((f) => f.message);
}

// ---------------------------------------------------------------------------------------------------
// The flag table: the one place a flag is named. Parsing, --help, the man page, the defaults and the flag
// map of the status page and /api/v1/status all come from it. kingpin's own flags (--help and friends,
// --version) are added around it by flags/kingpin.ts.

interface ParseState {
  config: Config;
  routePrefix: string;
  externalUrlPath: string;
}

interface GatewayFlag extends Flag<ParseState> {
  /** The value as the reference shows it in the status page's and /api/v1/status's flag map. */
  show(c: Config): string;
}

type BoolKey = 'systemdSocket' | 'enableLifecycle' | 'enableAdminApi' | 'disableConsistencyCheck' | 'enableUtf8Names';

function boolFlag(name: string, key: BoolKey, help: string): GatewayFlag {
  return {
    name,
    kind: 'bool',
    default: 'false',
    help,
    set: (s, v) => {
      s.config[key] = v === 'true';
    },
    show: (c) => String(c[key]),
  };
}

/** One of the optional per-push limits: a whole number, 0 (the default) for none. */
function countFlag(name: string, key: keyof Config['pushLimits'], help: string): GatewayFlag {
  return {
    name,
    kind: 'value',
    default: '0',
    help: `${help} 0 means no limit. (Not in the reference Pushgateway.)`,
    set: (s, v) => {
      s.config.pushLimits[key] = parseCount(v, name);
    },
    show: (c) => String(c.pushLimits[key]),
  };
}

/** The gateway's flags in the reference's order. */
const FLAGS: readonly GatewayFlag[] = [
  boolFlag(
    'web.systemd-socket',
    'systemdSocket',
    'Take the listening sockets from systemd socket activation instead of opening ports (Linux only).',
  ),
  {
    name: 'web.listen-address',
    kind: 'repeatable',
    default: ':9091',
    help:
      'Address to serve the API and web interface on. Give the flag several times to listen on ' +
      'several addresses, e.g. `:9091`, `[::1]:9091`, or `vsock://:9091` for vsock.',
    set: (s, v) => {
      s.config.listenAddresses.push(v);
    },
    show: (c) => c.listenAddresses.join(','),
  },
  {
    name: 'web.config.file',
    kind: 'value',
    default: '',
    quoted: true,
    help: 'Web configuration file (exporter-toolkit format) that turns on TLS or basic authentication.',
    set: (s, v) => {
      s.config.webConfigFile = v;
    },
    show: (c) => c.webConfigFile,
  },
  {
    name: 'web.telemetry-path',
    kind: 'value',
    default: '/metrics',
    quoted: true,
    help: 'Path on which the gateway serves the metrics it holds for scraping.',
    set: (s, v) => {
      s.config.telemetryPath = v;
    },
    show: (c) => c.telemetryPath,
  },
  {
    name: 'web.external-url',
    kind: 'value',
    default: '',
    help:
      'URL under which the Pushgateway is reached from outside, e.g. through a reverse proxy. Its path ' +
      'is the default route prefix.',
    set: (s, v) => {
      const url = parseGoUrl(v);
      s.config.externalUrl = url.text;
      s.externalUrlPath = url.path;
    },
    show: (c) => c.externalUrl,
  },
  {
    name: 'web.route-prefix',
    kind: 'value',
    default: '',
    quoted: true,
    help: 'Prefix for the internal routes of all web endpoints. Defaults to the path of --web.external-url.',
    set: (s, v) => {
      s.routePrefix = v;
    },
    show: (c) => c.routePrefix,
  },
  boolFlag('web.enable-lifecycle', 'enableLifecycle', 'Allow shutting the gateway down with PUT or POST /-/quit.'),
  boolFlag('web.enable-admin-api', 'enableAdminApi', 'Enable the admin API endpoints, such as wiping all groups.'),
  {
    name: 'persistence.file',
    kind: 'value',
    default: '',
    quoted: true,
    help: 'File in which to keep the pushed metrics across restarts. Empty keeps them in memory only.',
    set: (s, v) => {
      s.config.persistenceFile = v;
    },
    show: (c) => c.persistenceFile,
  },
  {
    name: 'persistence.interval',
    kind: 'value',
    default: '5m',
    help: 'Shortest time between two writes of the persistence file.',
    set: (s, v) => {
      s.config.persistenceIntervalMs = Number(parseDurationNs(v)) / 1e6;
    },
    show: (c) => formatDuration(c.persistenceIntervalMs),
  },
  {
    name: 'store.memory-limit',
    kind: 'value',
    help:
      'Most memory (V8 heap in use) the stored metrics may take; a push that would go beyond is refused ' +
      "with 507. Default: half of the machine's memory or of the cgroup's limit. 0 means no limit. " +
      '(Not in the reference Pushgateway.)',
    set: (s, v) => {
      s.config.memoryLimitBytes = parseByteSize(v);
    },
    derive: (s) => {
      s.config.memoryLimitBytes = defaultMemoryLimit();
    },
    show: (c) => formatByteSize(c.memoryLimitBytes),
  },
  {
    name: 'store.redis.url',
    kind: 'value',
    default: '',
    quoted: true,
    help:
      'Keep the state in Redis at this URL, shared by every gateway started with the same URL and key ' +
      'prefix: redis://host:port, with user:password@ before the host and /db after the port if needed ' +
      '(rediss:// for TLS). Empty: the in-memory store. (Not in the reference Pushgateway.)',
    set: (s, v) => {
      if (v !== '' && !/^rediss?:\/\/[^/]/.test(v)) {
        throw new ConfigError(`--store.redis.url ${goQuote(v)} is not a redis:// or rediss:// URL with a host`);
      }
      s.config.redis.url = v;
    },
    // The password never shows on the status page or in /api/v1/status.
    show: (c) => redactUrl(c.redis.url),
  },
  {
    name: 'store.redis.sentinels',
    kind: 'value',
    default: '',
    quoted: true,
    help:
      'Find the Redis primary through these Sentinels (host:port,…). --store.redis.url may then name the ' +
      "master instead of a host, for the primary's user:password, /db and rediss:// (TLS to the primary " +
      'and the Sentinels). (Not in the reference Pushgateway.)',
    set: (s, v) => {
      s.config.redis.sentinels = v.split(',').filter((x) => x !== '');
    },
    show: (c) => c.redis.sentinels.join(','),
  },
  {
    name: 'store.redis.sentinel-master',
    kind: 'value',
    default: '',
    quoted: true,
    help: 'The master name the Sentinels know the primary by. (Not in the reference Pushgateway.)',
    set: (s, v) => {
      s.config.redis.sentinelMaster = v;
    },
    show: (c) => c.redis.sentinelMaster,
  },
  {
    name: 'store.redis.sentinel-password',
    kind: 'value',
    default: '',
    quoted: true,
    help: 'The password of the Sentinels themselves (their requirepass), if any. (Not in the reference Pushgateway.)',
    set: (s, v) => {
      s.config.redis.sentinelPassword = v;
    },
    // Never shown on the status page or in /api/v1/status.
    show: (c) => (c.redis.sentinelPassword === '' ? '' : 'xxxxx'),
  },
  {
    name: 'store.redis.key-prefix',
    kind: 'value',
    default: 'pushgateway:',
    quoted: true,
    help:
      'Start of every Redis key the store uses, so that independent gateways can share one Redis. ' +
      '(Not in the reference Pushgateway.)',
    set: (s, v) => {
      s.config.redis.keyPrefix = v;
    },
    show: (c) => c.redis.keyPrefix,
  },
  {
    name: 'store.redis.wait-replicas',
    kind: 'value',
    default: '0',
    help:
      'Acknowledge a write only once this many Redis replicas have it (WAIT); 503 when fewer do in ' +
      'time. (Not in the reference Pushgateway.)',
    set: (s, v) => {
      s.config.redis.waitReplicas = parseCount(v, 'store.redis.wait-replicas');
    },
    show: (c) => String(c.redis.waitReplicas),
  },
  boolFlag(
    'push.disable-consistency-check',
    'disableConsistencyCheck',
    'Accept pushes without checking that they are consistent with the stored metrics. DANGEROUS: ' +
      'an inconsistent push then breaks every scrape.',
  ),
  boolFlag('push.enable-utf8-names', 'enableUtf8Names', 'Accept UTF-8 characters in metric and label names.'),
  // 64 MiB: the reference has no limit; this is far above any sane push and bounds memory.
  {
    name: 'push.max-body-size',
    kind: 'value',
    default: '64MiB',
    help:
      'Largest push body accepted, after decompression; 0 means no limit. (Not in the reference ' +
      'Pushgateway, which has no limit.)',
    set: (s, v) => {
      s.config.maxBodyBytes = parseByteSize(v);
    },
    show: (c) => formatByteSize(c.maxBodyBytes),
  },
  {
    name: 'push.body-memory-limit',
    kind: 'value',
    help:
      'Most memory the push bodies being received and decoded may hold together; a push beyond is ' +
      'answered 503 with Retry-After. Default: an eighth of --store.memory-limit, at least twice ' +
      '--push.max-body-size. 0 means no limit. (Not in the reference Pushgateway.)',
    set: (s, v) => {
      s.config.bodyMemoryLimitBytes = parseByteSize(v);
    },
    // After store.memory-limit's default: derived defaults run in table order.
    derive: (s) => {
      s.config.bodyMemoryLimitBytes = defaultBodyMemoryLimit(s.config);
    },
    show: (c) => formatByteSize(c.bodyMemoryLimitBytes),
  },
  countFlag('push.sample-limit', 'sampleLimit', "Most samples one push may carry (as Prometheus's sample_limit)."),
  countFlag(
    'push.label-limit',
    'labelLimit',
    'Most labels a pushed series may have, its name and the grouping labels included (as label_limit).',
  ),
  countFlag(
    'push.label-name-length-limit',
    'labelNameLengthLimit',
    'Longest label name in a push, in bytes (as label_name_length_limit).',
  ),
  countFlag(
    'push.label-value-length-limit',
    'labelValueLengthLimit',
    'Longest label value in a push, in bytes, the metric name included (as label_value_length_limit).',
  ),
  {
    name: 'push.group-ttl',
    kind: 'value',
    default: '0',
    help:
      'Delete a group once its last successful push is older than this (as DELETE would); 0 means never. ' +
      'A push overrides it for its group with the header X-Pushgateway-TTL. (Not in the reference Pushgateway.)',
    set: (s, v) => {
      const ns = parseDurationNs(v);
      if (ns < 0n) throw new ConfigError(`--push.group-ttl must not be negative, got ${goQuote(v)}`);
      s.config.groupTtlMs = Number(ns) / 1e6;
    },
    show: (c) => formatDuration(c.groupTtlMs),
  },
  {
    name: 'push.group-up-grace',
    kind: 'value',
    default: '2',
    help:
      'pushgateway_group_up is 1 while the last push of a group succeeded and is younger than this many times ' +
      'the interval it declared with X-Pushgateway-Interval. (Not in the reference Pushgateway.)',
    set: (s, v) => {
      const f = Number(v);
      if (v.trim() === '' || !Number.isFinite(f) || f <= 0) {
        throw new ConfigError(`--push.group-up-grace must be a number above 0, got ${goQuote(v)}`);
      }
      s.config.groupUpGrace = f;
    },
    show: (c) => String(c.groupUpGrace),
  },
  {
    name: 'log.level',
    kind: 'value',
    default: 'info',
    help: 'Log only messages of this severity or above. One of: [debug, info, warn, error]',
    set: (s, v) => {
      const level = v.toLowerCase(); // promslog accepts any case
      if (level !== 'debug' && level !== 'info' && level !== 'warn' && level !== 'error') {
        throw new ConfigError(`unrecognized log level ${v}`);
      }
      s.config.logLevel = level;
    },
    show: (c) => c.logLevel,
  },
  {
    name: 'log.format',
    kind: 'value',
    default: 'logfmt',
    help: 'Format of the log lines. One of: [logfmt, json]',
    set: (s, v) => {
      if (v !== 'logfmt' && v !== 'json') throw new ConfigError(`unrecognized log format ${v}`);
      s.config.logFormat = v;
    },
    show: (c) => c.logFormat,
  },
];

const APP = new KingpinApp<ParseState>({
  name: APP_NAME,
  help: APP_HELP,
  flags: FLAGS,
  version: () => readBuildInfo().version,
});

/**
 * Parses the arguments after the program name (kingpin's rules and precedence, see flags/kingpin.ts).
 * Throws ConfigError whose message is everything after "pushgateway: error: ".
 */
export function parseCommandLine(argv: readonly string[], env: CommandLineEnv = {}): CommandLineResult {
  const state: ParseState = { config: blankConfig(), routePrefix: '', externalUrlPath: '' };
  const outcome = APP.parse(argv, state, env.readArgsFile ?? ((p) => readFileSync(p, 'utf8')), env.width ?? 80);
  if (outcome.kind === 'version') return { kind: 'version', text: versionText(env.buildInfo ?? readBuildInfo()) };
  if (outcome.kind === 'help') return outcome;
  return { kind: 'run', config: finish(outcome.state) };
}

/** The configuration of a command line without arguments: every flag at its default. */
export function defaultConfig(): Config {
  const result = parseCommandLine([]);
  if (result.kind !== 'run') throw new Error('an empty command line does not start the gateway');
  return result.config;
}

/** kingpin's usage text for --help. */
export function usageText(width = 80): string {
  return APP.usageText(width);
}

function finish(state: ParseState): Config {
  const config = state.config;
  config.routePrefix = computeRoutePrefix(state.routePrefix, state.externalUrlPath);
  config.externalPathPrefix = computeRoutePrefix('', state.externalUrlPath);
  config.flags = Object.fromEntries(FLAGS.map((f) => [f.name, f.show(config)]));
  if (config.persistenceFile !== '' && (config.redis.url !== '' || config.redis.sentinels.length > 0)) {
    throw new ConfigError(
      '--persistence.file cannot be used with the Redis store (--store.redis.url, --store.redis.sentinels): ' +
        "Redis's own persistence (AOF or RDB) keeps the shared state",
    );
  }
  const r = config.redis;
  if (r.sentinels.length > 0 !== (r.sentinelMaster !== '')) {
    throw new ConfigError('--store.redis.sentinels and --store.redis.sentinel-master go together');
  }
  // With Sentinels, the URL names the master and gives the login and TLS (refused here if it names a host).
  if (r.sentinels.length > 0) sentinelAuth(r.url, r.sentinelMaster, r.sentinelPassword);
  else if (r.sentinelPassword !== '') {
    throw new ConfigError('--store.redis.sentinel-password needs --store.redis.sentinels');
  }
  for (const s of r.sentinels) {
    if (!/^([^:[\]]+|\[[^\]]+\]):\d+$/.test(s)) {
      throw new ConfigError(`--store.redis.sentinels: ${goQuote(s)} is not host:port`);
    }
  }
  // The reference panics at start-up ("path must begin with '/'") when the metrics path is relative.
  const metricsPath = joinUrlPath(config.routePrefix, config.telemetryPath);
  if (!metricsPath.startsWith('/')) {
    throw new ConfigError(
      `--web.telemetry-path ${goQuote(config.telemetryPath)} must be an absolute path such as "/metrics"`,
    );
  }
  // The reference panics at start-up when the scrape path is another GET route's ("a handle is already
  // registered for path") or lies below one of its catch-alls ("wildcard route conflicts"); the route
  // table refuses the same registration.
  try {
    routeTable(config);
  } catch (err) {
    if (!(err instanceof RouteConflict)) throw err;
    throw new ConfigError(
      `--web.telemetry-path ${goQuote(config.telemetryPath)}: the scrape path ${err.pattern} ` +
        'is already taken by another endpoint',
    );
  }
  return config;
}

/** Go's path.Join for two URL paths, enough to see whether the result is absolute. */
function joinUrlPath(a: string, b: string): string {
  const joined = [a, b].filter((p) => p !== '').join('/');
  return joined.replace(/\/{2,}/g, '/');
}

// ---------------------------------------------------------------------------------------------------
// --version

export interface BuildInfo {
  version: string;
  revision: string;
  branch: string;
  buildUser: string;
  buildDate: string;
  /** The Node.js version, in the place of the reference's goVersion ("v20.11.1"). */
  runtimeVersion: string;
}

/** Build information from version.ts (package.json and, in a checkout, git). */
export function readBuildInfo(): BuildInfo {
  return {
    version: VERSION,
    revision: REVISION || 'unknown',
    branch: BRANCH || 'unknown',
    buildUser: 'unknown',
    buildDate: BUILD_DATE || 'unknown',
    runtimeVersion: process.version,
  };
}

/** The reference's version.Print layout, with the Node version where Go's would be. */
export function versionText(info: BuildInfo): string {
  return (
    `${APP_NAME}, version ${info.version} (branch: ${info.branch}, revision: ${info.revision})\n` +
    `  build user:       ${info.buildUser}\n` +
    `  build date:       ${info.buildDate}\n` +
    `  node version:     ${info.runtimeVersion}\n` +
    `  platform:         ${process.platform}/${process.arch}\n` +
    `  tags:             unknown\n`
  );
}

// ---------------------------------------------------------------------------------------------------
// Entry point

function terminalWidth(): number {
  const columns = Number.parseInt(process.env.COLUMNS ?? '', 10);
  if (Number.isInteger(columns)) return columns;
  return process.stdout.isTTY ? process.stdout.columns : 80;
}

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  let result: CommandLineResult;
  try {
    result = parseCommandLine(argv, { width: terminalWidth() });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${APP_NAME}: error: ${err.message}\n`);
    process.exitCode = err.exitStatus;
    return;
  }
  if (result.kind !== 'run') {
    process.stdout.write(result.text);
    return;
  }
  const problems: ExitError[] = unsupportedFeatures(result.config).map((p) => new UnsupportedFeatureError(p));
  let webConfig: WebConfigReloader | undefined;
  if (problems.length === 0 && result.config.webConfigFile !== '') {
    try {
      // Read and checked now (a bad file stops the start), then followed: changes apply without a restart.
      const logger = createLogger({ level: result.config.logLevel, format: result.config.logFormat });
      webConfig = WebConfigReloader.open(result.config.webConfigFile, logger);
    } catch (err) {
      if (!(err instanceof WebConfigError)) throw err;
      problems.push(err);
    }
  }
  if (problems.length > 0) {
    for (const p of problems) process.stderr.write(`${APP_NAME}: error: ${p.message}\n`);
    process.exitCode = problems[0]!.exitStatus;
    return;
  }
  await run(result.config, webConfig);
}

/** Starts the gateway; it installs its own SIGINT/SIGTERM handling and keeps the process alive. */
async function run(config: Config, webConfig: WebConfigReloader | undefined): Promise<void> {
  const { startGateway } = await import('./gateway.js');
  try {
    await startGateway(config, webConfig === undefined ? {} : { webConfig });
  } catch (err) {
    webConfig?.close();
    // Catalogued start-up failures (persistence, listen addresses, systemd sockets) keep their own code.
    const failure = err instanceof ExitError ? err : new UnexpectedError(err);
    createLogger({ level: config.logLevel, format: config.logFormat }).error('error starting the gateway', {
      err,
      code: failure.code,
    });
    process.exitCode = failure.exitStatus;
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  main().catch((err: unknown) => {
    process.stderr.write(`${APP_NAME}: error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = new UnexpectedError(err).exitStatus;
  });
}
