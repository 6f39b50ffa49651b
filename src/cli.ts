#!/usr/bin/env node
/**
 * The command line: the only module that reads process.argv or sets the exit code. Parsing follows the
 * reference Pushgateway 1.11, which uses kingpin v2.4, so scripts and unit files written for it behave the
 * same here: `--flag=value` and `--flag value`; booleans only as `--flag` / `--no-flag` (kingpin turns
 * `--flag=false` into a stray argument, "unexpected false"); non-repeatable flags given twice are an error;
 * `@file` expands arguments from a file; everything after `--` is a positional argument, and positional
 * arguments are errors. Errors print `pushgateway: error: <message>, try --help` and exit 1.
 */

import { readFileSync, realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import {
  computeRoutePrefix, defaultBodyMemoryLimit, defaultConfig, flagStrings, parseByteSize, parseCount, parseDurationNs, parseGoUrl,
  DEFAULT_LISTEN_ADDRESS, DEFAULT_MAX_BODY_SIZE, DEFAULT_PERSISTENCE_INTERVAL, type Config,
} from './config.js';
import { ConfigError } from './errors.js';
import { joinPath } from './http/router.js';
import { goQuote } from './model/go-quote.js';
import { createLogger } from './observe/logger.js';
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
  { inUse: (c) => c.webConfigFile !== '', message: '--web.config.file is not supported yet' },
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
// Flag table, in the reference's order (kingpin lists flags in definition order).

interface ParseState {
  config: Config;
  listenAddressGiven: boolean;
  routePrefix: string;
  externalUrlPath: string;
  completion: boolean;
  bodyMemoryLimitGiven: boolean;
}

type Action = 'help' | 'help-long' | 'help-man' | 'version' | 'completion-script-bash' | 'completion-script-zsh';

interface FlagSpec {
  name: string;
  help: string;
  /** bool flags take no value and have a --no- form; repeatable flags accumulate. */
  kind: 'bool' | 'value' | 'repeatable';
  short?: string;
  hidden?: boolean;
  /** The default as kingpin prints it after '=' in --help (quoted for plain string flags). */
  placeholder?: string;
  action?: Action;
  set?(state: ParseState, value: string): void;
}

const boolSetter = (key: 'systemdSocket' | 'enableLifecycle' | 'enableAdminApi' |
  'disableConsistencyCheck' | 'enableUtf8Names') =>
  (s: ParseState, v: string): void => { s.config[key] = v === 'true'; };

/** One of the optional per-push limits: a whole number, 0 (the default) for none. */
function countFlag(name: string, key: keyof Config['pushLimits'], help: string): FlagSpec[] {
  return [{ name, kind: 'value', placeholder: '0', help: `${help} 0 means no limit. (Not in the reference Pushgateway.)`,
    set: (s, v) => { s.config.pushLimits[key] = parseCount(v, name); } }];
}

const FLAGS: readonly FlagSpec[] = [
  { name: 'help', short: 'h', kind: 'bool', action: 'help',
    help: 'Show this help (see also --help-long and --help-man).' },
  { name: 'help-long', kind: 'bool', hidden: true, action: 'help-long', help: 'Show the long help.' },
  { name: 'help-man', kind: 'bool', hidden: true, action: 'help-man', help: 'Print a man page.' },
  { name: 'completion-bash', kind: 'bool', hidden: true, help: 'List completions for the given arguments.',
    set: (s, v) => { s.completion = v === 'true'; } },
  { name: 'completion-script-bash', kind: 'bool', hidden: true, action: 'completion-script-bash',
    help: 'Print a bash completion script.' },
  { name: 'completion-script-zsh', kind: 'bool', hidden: true, action: 'completion-script-zsh',
    help: 'Print a zsh completion script.' },
  { name: 'web.systemd-socket', kind: 'bool', set: boolSetter('systemdSocket'),
    help: 'Take the listening sockets from systemd socket activation instead of opening ports (Linux only).' },
  { name: 'web.listen-address', kind: 'repeatable', placeholder: DEFAULT_LISTEN_ADDRESS,
    help: 'Address to serve the API and web interface on. Give the flag several times to listen on ' +
      'several addresses, e.g. `:9091`, `[::1]:9091`, or `vsock://:9091` for vsock.',
    set: (s, v) => {
      if (!s.listenAddressGiven) s.config.listenAddresses = [];
      s.listenAddressGiven = true;
      s.config.listenAddresses.push(v);
    } },
  { name: 'web.config.file', kind: 'value', placeholder: '""', set: (s, v) => { s.config.webConfigFile = v; },
    help: 'Web configuration file (exporter-toolkit format) that turns on TLS or basic authentication.' },
  { name: 'web.telemetry-path', kind: 'value', placeholder: '"/metrics"',
    set: (s, v) => { s.config.telemetryPath = v; },
    help: 'Path on which the gateway serves the metrics it holds for scraping.' },
  { name: 'web.external-url', kind: 'value', placeholder: '',
    help: 'URL under which the Pushgateway is reached from outside, e.g. through a reverse proxy. Its path ' +
      'is the default route prefix.',
    set: (s, v) => {
      const url = parseGoUrl(v);
      s.config.externalUrl = url.text;
      s.externalUrlPath = url.path;
    } },
  { name: 'web.route-prefix', kind: 'value', placeholder: '""', set: (s, v) => { s.routePrefix = v; },
    help: 'Prefix for the internal routes of all web endpoints. Defaults to the path of --web.external-url.' },
  { name: 'web.enable-lifecycle', kind: 'bool', set: boolSetter('enableLifecycle'),
    help: 'Allow shutting the gateway down with PUT or POST /-/quit.' },
  { name: 'web.enable-admin-api', kind: 'bool', set: boolSetter('enableAdminApi'),
    help: 'Enable the admin API endpoints, such as wiping all groups.' },
  { name: 'persistence.file', kind: 'value', placeholder: '""', set: (s, v) => { s.config.persistenceFile = v; },
    help: 'File in which to keep the pushed metrics across restarts. Empty keeps them in memory only.' },
  { name: 'persistence.interval', kind: 'value', placeholder: DEFAULT_PERSISTENCE_INTERVAL,
    set: (s, v) => { s.config.persistenceIntervalMs = Number(parseDurationNs(v)) / 1e6; },
    help: 'Shortest time between two writes of the persistence file.' },
  { name: 'store.memory-limit', kind: 'value', placeholder: 'STORE.MEMORY-LIMIT',
    set: (s, v) => { s.config.memoryLimitBytes = parseByteSize(v); },
    help: 'Most memory (V8 heap in use) the stored metrics may take; a push that would go beyond is refused ' +
      'with 507. Default: half of the machine\'s memory or of the cgroup\'s limit. 0 means no limit. ' +
      '(Not in the reference Pushgateway.)' },
  { name: 'push.disable-consistency-check', kind: 'bool', set: boolSetter('disableConsistencyCheck'),
    help: 'Accept pushes without checking that they are consistent with the stored metrics. DANGEROUS: ' +
      'an inconsistent push then breaks every scrape.' },
  { name: 'push.enable-utf8-names', kind: 'bool', set: boolSetter('enableUtf8Names'),
    help: 'Accept UTF-8 characters in metric and label names.' },
  { name: 'push.max-body-size', kind: 'value', placeholder: DEFAULT_MAX_BODY_SIZE,
    set: (s, v) => { s.config.maxBodyBytes = parseByteSize(v); },
    help: 'Largest push body accepted, after decompression; 0 means no limit. (Not in the reference ' +
      'Pushgateway, which has no limit.)' },
  { name: 'push.body-memory-limit', kind: 'value', placeholder: 'PUSH.BODY-MEMORY-LIMIT',
    set: (s, v) => { s.config.bodyMemoryLimitBytes = parseByteSize(v); s.bodyMemoryLimitGiven = true; },
    help: 'Most memory the push bodies being received and decoded may hold together; a push beyond is ' +
      'answered 503 with Retry-After. Default: an eighth of --store.memory-limit, at least twice ' +
      '--push.max-body-size. 0 means no limit. (Not in the reference Pushgateway.)' },
  ...countFlag('push.sample-limit', 'sampleLimit', 'Most samples one push may carry (as Prometheus\'s sample_limit).'),
  ...countFlag('push.label-limit', 'labelLimit',
    'Most labels a pushed series may have, its name and the grouping labels included (as label_limit).'),
  ...countFlag('push.label-name-length-limit', 'labelNameLengthLimit',
    'Longest label name in a push, in bytes (as label_name_length_limit).'),
  ...countFlag('push.label-value-length-limit', 'labelValueLengthLimit',
    'Longest label value in a push, in bytes, the metric name included (as label_value_length_limit).'),
  { name: 'log.level', kind: 'value', placeholder: 'info',
    help: 'Log only messages of this severity or above. One of: [debug, info, warn, error]',
    set: (s, v) => {
      const level = v.toLowerCase(); // promslog accepts any case
      if (level !== 'debug' && level !== 'info' && level !== 'warn' && level !== 'error') {
        throw new ConfigError(`unrecognized log level ${v}`);
      }
      s.config.logLevel = level;
    } },
  { name: 'log.format', kind: 'value', placeholder: 'logfmt',
    help: 'Format of the log lines. One of: [logfmt, json]',
    set: (s, v) => {
      if (v !== 'logfmt' && v !== 'json') throw new ConfigError(`unrecognized log format ${v}`);
      s.config.logFormat = v;
    } },
  { name: 'version', kind: 'bool', action: 'version', help: 'Show version and build information.' },
];

const FLAGS_BY_LONG = new Map(FLAGS.map((f) => [f.name, f]));
const FLAGS_BY_SHORT = new Map(FLAGS.filter((f) => f.short !== undefined).map((f) => [f.short!, f]));

// ---------------------------------------------------------------------------------------------------
// Tokenizing and parsing, kingpin's way

type Token =
  | { type: 'long' | 'short' | 'arg' | 'error'; value: string };

function tokenString(t: Token): string {
  if (t.type === 'long') return '--' + t.value;
  if (t.type === 'short') return '-' + t.value;
  return t.value;
}

/** Splits argv into kingpin tokens; an unreadable @file ends the stream with an error token. */
function tokenize(argv: readonly string[], readArgsFile: (path: string) => string): Token[] {
  const queue = [...argv];
  const tokens: Token[] = [];
  let argsOnly = false;
  while (queue.length > 0) {
    const arg = queue.shift()!;
    if (argsOnly) {
      tokens.push({ type: 'arg', value: arg });
    } else if (arg === '--') {
      argsOnly = true;
    } else if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      tokens.push({ type: 'long', value: eq === -1 ? arg.slice(2) : arg.slice(2, eq) });
      if (eq !== -1) tokens.push({ type: 'arg', value: arg.slice(eq + 1) });
    } else if (arg.startsWith('-')) {
      if (arg.length === 1) {
        tokens.push({ type: 'arg', value: '' }); // kingpin's quirk: a lone "-" is an empty argument
        continue;
      }
      const short = String.fromCodePoint(arg.codePointAt(1)!);
      const rest = arg.slice(1 + short.length);
      const flag = FLAGS_BY_SHORT.get(short);
      tokens.push({ type: 'short', value: short });
      if (rest === '') continue;
      if (flag !== undefined && flag.kind !== 'bool') tokens.push({ type: 'arg', value: rest }); // -fVALUE
      else queue.unshift('-' + rest); // -abc is -a -bc
    } else if (arg.startsWith('@')) {
      const expanded = expandArgsFile(arg.slice(1), readArgsFile);
      if (typeof expanded === 'string') {
        tokens.push({ type: 'error', value: expanded });
        break;
      }
      queue.unshift(...expanded);
    } else {
      tokens.push({ type: 'arg', value: arg });
    }
  }
  return tokens;
}

/** kingpin's @file: one argument per line, blank lines and lines starting with '#' skipped. */
function expandArgsFile(path: string, readArgsFile: (path: string) => string): string[] | string {
  if (path === '') return 'expected @ file to expand arguments from';
  let text: string;
  try {
    text = readArgsFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file or directory'
      : code === 'EACCES' ? 'permission denied' : (err as Error).message;
    return `failed to open arguments file ${goQuote(path)}: open ${path}: ${reason}`;
  }
  return text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l))
    .filter((l) => !l.startsWith('#') && l.trim() !== '');
}

interface Element { flag: FlagSpec; value: string }

/** kingpin's parse loop: collects flag occurrences up to the first error or stray argument. */
function collectFlags(tokens: readonly Token[]): { elements: Element[]; error?: string } {
  const elements: Element[] = [];
  let i = 0;
  while (i < tokens.length) {
    const token = tokens[i]!;
    if (token.type === 'error') return { elements, error: token.value };
    if (token.type === 'arg') return { elements, error: `unexpected ${token.value}` };
    let flag = token.type === 'long' ? FLAGS_BY_LONG.get(token.value) : FLAGS_BY_SHORT.get(token.value);
    let inverted = false;
    if (flag === undefined && token.type === 'long' && token.value.startsWith('no-')) {
      flag = FLAGS_BY_LONG.get(token.value.slice(3));
      inverted = true;
    }
    if (flag === undefined) return { elements, error: `unknown ${token.type} flag '${tokenString(token)}'` };
    i++;
    if (flag.kind === 'bool') {
      elements.push({ flag, value: inverted ? 'false' : 'true' });
      continue;
    }
    if (inverted) return { elements, error: `unknown long flag '${tokenString(token)}'` };
    const next = tokens[i];
    if (next === undefined || next.type !== 'arg') {
      return { elements, error: `expected argument for flag '${tokenString(token)}'` };
    }
    elements.push({ flag, value: next.value });
    i++;
  }
  return { elements };
}

/** Applies the collected values in order; returns kingpin's first setter error, if any. */
function applyValues(elements: readonly Element[], state: ParseState): string | undefined {
  const seen = new Set<string>();
  for (const { flag, value } of elements) {
    if (seen.has(flag.name) && flag.kind !== 'repeatable') return `flag '${flag.name}' cannot be repeated`;
    seen.add(flag.name);
    try {
      flag.set?.(state, value);
    } catch (err) {
      if (err instanceof ConfigError) return err.message;
      throw err;
    }
  }
  return undefined;
}

/**
 * Parses the arguments after the program name. Precedence is kingpin's: completion, then the first of
 * --version / --help-long / --help-man / completion scripts (even when other arguments are bad), then
 * parse errors, then --help, then bad values. Throws ConfigError whose message is everything after
 * "pushgateway: error: ".
 */
export function parseCommandLine(argv: readonly string[], env: CommandLineEnv = {}): CommandLineResult {
  const width = env.width ?? 80;
  const tokens = tokenize(argv, env.readArgsFile ?? ((p) => readFileSync(p, 'utf8')));
  const { elements, error: parseError } = collectFlags(tokens);
  const state: ParseState = {
    config: defaultConfig(), listenAddressGiven: false, routePrefix: '', externalUrlPath: '', completion: false,
    bodyMemoryLimitGiven: false,
  };
  const valueError = applyValues(elements, state);
  if (state.completion) return { kind: 'help', text: completionText() };
  for (const { flag } of elements) {
    if (flag.action === 'version') return { kind: 'version', text: versionText(env.buildInfo ?? readBuildInfo()) };
    if (flag.action !== undefined && flag.action !== 'help') return { kind: 'help', text: actionText(flag.action, width) };
  }
  if (parseError !== undefined) throw new ConfigError(`${parseError}, try --help`);
  if (elements.some((e) => e.flag.action === 'help')) return { kind: 'help', text: usageText(width) };
  if (valueError !== undefined) throw new ConfigError(`${valueError}, try --help`);
  return { kind: 'run', config: finish(state) };
}

function finish(state: ParseState): Config {
  const config = state.config;
  config.routePrefix = computeRoutePrefix(state.routePrefix, state.externalUrlPath);
  config.externalPathPrefix = computeRoutePrefix('', state.externalUrlPath);
  if (!state.bodyMemoryLimitGiven) config.bodyMemoryLimitBytes = defaultBodyMemoryLimit(config);
  config.flags = flagStrings(config);
  // The reference panics at start-up ("path must begin with '/'") when the metrics path is relative.
  const metricsPath = joinUrlPath(config.routePrefix, config.telemetryPath);
  if (!metricsPath.startsWith('/')) {
    throw new ConfigError(`--web.telemetry-path ${goQuote(config.telemetryPath)} must be an absolute ` +
      `path such as "/metrics"`);
  }
  // The reference panics at start-up when the scrape path is another GET route's ("a handle is already
  // registered for path") or lies below one of its catch-alls ("wildcard route conflicts").
  const scrapePath = joinPath(config.routePrefix === '/' ? '/' : config.routePrefix || '/', config.telemetryPath);
  const p = config.routePrefix === '/' ? '' : config.routePrefix;
  if ([`${p}/`, `${p}/status`, `${p}/-/healthy`, `${p}/-/ready`, '/-/quit'].includes(scrapePath) ||
    [`${p}/static/`, `${p}/debug/pprof/`].some((root) => scrapePath.startsWith(root))) {
    throw new ConfigError(`--web.telemetry-path ${goQuote(config.telemetryPath)}: the scrape path ${scrapePath} ` +
      'is already taken by another endpoint');
  }
  return config;
}

/** Go's path.Join for two URL paths, enough to see whether the result is absolute. */
function joinUrlPath(a: string, b: string): string {
  const joined = [a, b].filter((p) => p !== '').join('/');
  return joined.replace(/\/{2,}/g, '/');
}

// ---------------------------------------------------------------------------------------------------
// Help, man page, completion and version texts

function flagLabel(flag: FlagSpec): string {
  const name = flag.kind === 'bool' ? `[no-]${flag.name}` : flag.name;
  let label = flag.short !== undefined ? `-${flag.short}, --${name}` : `    --${name}`;
  if (flag.kind !== 'bool') label += `=${flag.placeholder ?? flag.name.toUpperCase()}`;
  if (flag.kind === 'repeatable') label += ' ...';
  return label;
}

/** kingpin's usage layout: flags in two columns, help wrapped to the terminal width. */
export function usageText(width = 80): string {
  const rows = FLAGS.filter((f) => !f.hidden).map((f) => [flagLabel(f), f.help] as const);
  return `usage: ${APP_NAME} [<flags>]\n\n${wrap(APP_HELP, width).join('\n')}\n\nFlags:\n` +
    twoColumns(rows, width) + '\n';
}

function twoColumns(rows: ReadonlyArray<readonly [string, string]>, width: number): string {
  const indent = '  ';
  const padding = 2;
  // Labels of 30 characters or more do not widen the column; their help starts on the next line.
  const column = Math.max(0, ...rows.map(([label]) => label.length).filter((n) => n < 30));
  const offset = ' '.repeat(column + padding);
  let out = '';
  for (const [label, help] of rows) {
    const lines = wrap(help, width - column - padding - indent.length);
    out += indent + label.padEnd(column) + ' '.repeat(padding);
    if (label.length >= 30) out += '\n' + indent + offset;
    out += lines[0] + '\n';
    for (const line of lines.slice(1)) out += indent + offset + line + '\n';
  }
  return out;
}

/** Greedy word wrap; a word longer than the width gets a line of its own. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  lines.push(line);
  return lines;
}

function actionText(action: Action, width: number): string {
  switch (action) {
    case 'help':
    case 'help-long': return usageText(width);
    case 'help-man': return manPage();
    case 'completion-script-bash': return bashCompletionScript();
    case 'completion-script-zsh': return zshCompletionScript();
    case 'version': return '';
  }
}

function manPage(): string {
  const escape = (s: string): string => s.replace(/\\/g, '\\e').replace(/^([.'])/gm, '\\&$1');
  let out = `.TH ${APP_NAME} 1 ${readBuildInfo().version} ""\n.SH "NAME"\n${APP_NAME}\n` +
    `.SH "SYNOPSIS"\n.TP\n\\fB${APP_NAME} [<flags>]\\fR\n.SH "DESCRIPTION"\n${APP_HELP}\n.SH "OPTIONS"\n`;
  for (const flag of FLAGS.filter((f) => !f.hidden)) {
    out += `.TP\n\\fB${escape(flagLabel(flag).trim())}\\fR\n${escape(flag.help)}\n`;
  }
  return out;
}

/** What --completion-bash prints: the visible long flags, for the shell to filter. */
function completionText(): string {
  return FLAGS.filter((f) => !f.hidden).map((f) => `--${f.name}`).join('\n') + '\n';
}

function bashCompletionScript(): string {
  const fn = `_${APP_NAME}_complete`;
  return `${fn}() {\n  local cur="\${COMP_WORDS[COMP_CWORD]}"\n` +
    `  COMPREPLY=( $(compgen -W "$(\${COMP_WORDS[0]} --completion-bash)" -- "\${cur}") )\n}\n` +
    `complete -F ${fn} -o default ${APP_NAME}\n`;
}

function zshCompletionScript(): string {
  return `#compdef ${APP_NAME}\n\n_${APP_NAME}() {\n  local -a matches\n` +
    `  matches=($(\${words[1]} --completion-bash))\n  compadd -a matches\n}\n\n` +
    `compdef _${APP_NAME} ${APP_NAME}\n`;
}

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
    version: VERSION, revision: REVISION || 'unknown', branch: BRANCH || 'unknown', buildUser: 'unknown',
    buildDate: BUILD_DATE || 'unknown', runtimeVersion: process.version,
  };
}

/** The reference's version.Print layout, with the Node version where Go's would be. */
export function versionText(info: BuildInfo): string {
  return `${APP_NAME}, version ${info.version} (branch: ${info.branch}, revision: ${info.revision})\n` +
    `  build user:       ${info.buildUser}\n` +
    `  build date:       ${info.buildDate}\n` +
    `  node version:     ${info.runtimeVersion}\n` +
    `  platform:         ${process.platform}/${process.arch}\n` +
    `  tags:             unknown\n`;
}

// ---------------------------------------------------------------------------------------------------
// Entry point

function terminalWidth(): number {
  const columns = Number.parseInt(process.env['COLUMNS'] ?? '', 10);
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
    process.exitCode = 1;
    return;
  }
  if (result.kind !== 'run') {
    process.stdout.write(result.text);
    return;
  }
  const problems = unsupportedFeatures(result.config);
  if (problems.length > 0) {
    for (const p of problems) process.stderr.write(`${APP_NAME}: error: ${p}\n`);
    process.exitCode = 1;
    return;
  }
  await run(result.config);
}

/** Starts the gateway; it installs its own SIGINT/SIGTERM handling and keeps the process alive. */
async function run(config: Config): Promise<void> {
  const { startGateway } = await import('./gateway.js');
  try {
    await startGateway(config);
  } catch (err) {
    createLogger({ level: config.logLevel, format: config.logFormat })
      .error('error starting the gateway', { err });
    process.exitCode = 1;
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
    process.exitCode = 1;
  });
}
