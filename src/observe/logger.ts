/**
 * The gateway's structured logger. It writes the same lines as the reference Pushgateway 1.11, which logs
 * through Go's log/slog configured by prometheus/common promslog in its "go-kit" style:
 *
 *   logfmt: ts=2025-01-09T10:00:00.123Z level=info caller=main.js:42 msg="starting pushgateway" k=v
 *   json:   {"ts":"2025-01-09T10:00:00.123Z","level":"info","caller":"main.js:42","msg":"…","k":"v"}
 *
 * `ts` is UTC with exactly three fractional digits, levels are lower case, `caller` is `file:line` of the
 * code that logged (at debug level `file(function):line`, as promslog does). Fields named ts, level or
 * caller are renamed logged_ts, logged_level, logged_caller so they cannot clash with the built-in keys.
 * Every record is one line written synchronously with a single write() call, so lines never interleave
 * and nothing is lost when the process exits right after logging.
 */

import type { LogFormat, LogLevel } from '../config.js';
import { formatGoFloat } from '../format/float.js';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** Whether lines of this level are written (so callers can skip work for lines that would be dropped). */
  enabled(level: LogLevel): boolean;
  /**
   * A logging function for one call site that logs very often (the expiry: a line per group, 100k in a
   * burst): the caller is taken from the stack at its first line only, then reused (the site is the same
   * line every time), instead of a stack capture per line.
   */
  site(level: LogLevel): (msg: string, fields?: Record<string, unknown>) => void;
}

export interface LoggerOptions {
  level: LogLevel;
  format: LogFormat;
  /** Where lines go; process.stderr by default, like the reference. */
  stream?: NodeJS.WritableStream;
}

/** A logging method; the stack capture starts above it, at its caller. */
type LogMethod = Logger['info'];

const SEVERITY: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
/** promslog renames user fields that would collide with its own keys. */
const RESERVED_KEYS = new Set(['ts', 'level', 'caller']);

export function createLogger(opts: LoggerOptions): Logger {
  const stream = opts.stream ?? process.stderr;
  const threshold = SEVERITY[opts.level];
  const render = opts.format === 'json' ? renderJson : renderLogfmt;
  const withFunction = opts.level === 'debug';
  const emit = (level: LogLevel, msg: string, fields: Record<string, unknown> | undefined, self: LogMethod): void => {
    if (SEVERITY[level] < threshold) return;
    const caller = callerOf(self, withFunction);
    stream.write(`${render(new Date().toISOString(), level, caller, msg, fields)}\n`);
  };
  const logger: Logger = {
    debug(msg, fields) {
      emit('debug', msg, fields, logger.debug);
    },
    info(msg, fields) {
      emit('info', msg, fields, logger.info);
    },
    warn(msg, fields) {
      emit('warn', msg, fields, logger.warn);
    },
    error(msg, fields) {
      emit('error', msg, fields, logger.error);
    },
    enabled: (level) => SEVERITY[level] >= threshold,
    site(level) {
      let caller: string | undefined;
      const log = (msg: string, fields?: Record<string, unknown>): void => {
        if (SEVERITY[level] < threshold) return;
        caller ??= callerOf(log, withFunction);
        stream.write(`${render(new Date().toISOString(), level, caller, msg, fields)}\n`);
      };
      return log;
    },
  };
  return logger;
}

// ---------------------------------------------------------------------------------------------------
// Record rendering

function fieldKey(key: string): string {
  return RESERVED_KEYS.has(key) ? `logged_${key}` : key;
}

function renderLogfmt(
  ts: string,
  level: LogLevel,
  caller: string,
  msg: string,
  fields: Record<string, unknown> | undefined,
): string {
  let line = `ts=${ts} level=${level}`;
  if (caller !== '') line += ` caller=${logfmtString(caller)}`;
  line += ` msg=${logfmtString(msg)}`;
  if (fields !== undefined) {
    for (const key of Object.keys(fields)) {
      line += ` ${logfmtString(fieldKey(key))}=${logfmtValue(fields[key])}`;
    }
  }
  return line;
}

function renderJson(
  ts: string,
  level: LogLevel,
  caller: string,
  msg: string,
  fields: Record<string, unknown> | undefined,
): string {
  let line = `{"ts":"${ts}","level":"${level}"`;
  if (caller !== '') line += `,"caller":${JSON.stringify(caller)}`;
  line += `,"msg":${JSON.stringify(msg)}`;
  if (fields !== undefined) {
    for (const key of Object.keys(fields)) {
      line += `,${JSON.stringify(fieldKey(key))}:${jsonValue(fields[key])}`;
    }
  }
  return `${line}}`;
}

/** A field value in logfmt: numbers and booleans bare, everything else as a (possibly quoted) string. */
function logfmtValue(value: unknown): string {
  switch (typeof value) {
    case 'number':
      return formatNumber(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return logfmtString(value);
    case 'undefined':
      return '<nil>';
    default:
      return logfmtString(stringify(value));
  }
}

function jsonValue(value: unknown): string {
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : `"${formatNumber(value)}"`;
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'undefined':
      return 'null';
    default:
      if (value === null) return 'null';
      if (value instanceof Error || value instanceof Date) return JSON.stringify(stringify(value));
      return safeJson(value);
  }
}

/** Errors log their message (Go logs err.Error()), dates their ISO form, objects their JSON. */
function stringify(value: unknown): string {
  if (value === null) return '<nil>';
  if (value instanceof Error) return value.message;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'symbol' || typeof value === 'function') return String(value);
  return safeJson(value);
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? 'null';
  } catch {
    return JSON.stringify(String(value));
  }
}

/** Numbers as Go's slog prints them: integers in decimal, other floats like strconv 'g' (shortest). */
function formatNumber(n: number): string {
  return Number.isSafeInteger(n) ? String(n) : formatGoFloat(n);
}

// ---------------------------------------------------------------------------------------------------
// Quoting (slog's TextHandler rules)

/**
 * A string as a logfmt token: bare when it is safe, else Go-quoted. slog quotes empty strings and any
 * string containing a space, '=', '"', an ASCII control character, or a non-ASCII character that is not
 * printable (Unicode spaces, format characters, unassigned code points). Backslashes alone do not force
 * quoting.
 */
export function logfmtString(s: string): string {
  return needsQuoting(s) ? quoteGoString(s) : s;
}

function needsQuoting(s: string): boolean {
  if (s.length === 0) return true;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (c <= 0x20 || c === 0x22 /* " */ || c === 0x3d /* = */) return true;
      continue;
    }
    const cp = s.codePointAt(i)!;
    if (cp > 0xffff) i++;
    if (!isPrintableRune(cp)) return true;
  }
  return false;
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/** Go's unicode.IsPrint for non-ASCII runes: letters, marks, numbers, punctuation and symbols. */
function isPrintableRune(cp: number): boolean {
  if (cp >= 0xd800 && cp <= 0xdfff) return false; // lone surrogate: invalid UTF-8 in Go terms
  return PRINTABLE.test(String.fromCodePoint(cp));
}

const SHORT_ESCAPES = new Map<number, string>([
  [0x07, '\\a'],
  [0x08, '\\b'],
  [0x0c, '\\f'],
  [0x0a, '\\n'],
  [0x0d, '\\r'],
  [0x09, '\\t'],
  [0x0b, '\\v'],
  [0x22, '\\"'],
  [0x5c, '\\\\'],
]);

/** Go's strconv.Quote: double quotes, backslash escapes, \xNN for ASCII controls, \u/\U for others. */
export function quoteGoString(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let replacement: string | undefined;
    let width = 1;
    if (c < 0x80) {
      replacement = SHORT_ESCAPES.get(c);
      if (replacement === undefined && (c < 0x20 || c === 0x7f)) replacement = `\\x${hex(c, 2)}`;
    } else {
      const cp = s.codePointAt(i)!;
      width = cp > 0xffff ? 2 : 1;
      if (cp >= 0xd800 && cp <= 0xdfff) replacement = '\\ufffd';
      else if (!isPrintableRune(cp)) replacement = cp > 0xffff ? `\\U${hex(cp, 8)}` : `\\u${hex(cp, 4)}`;
    }
    if (replacement !== undefined) {
      out += s.slice(start, i) + replacement;
      start = i + width;
    }
    i += width - 1;
  }
  return `${out + s.slice(start)}"`;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

// ---------------------------------------------------------------------------------------------------
// Caller

/**
 * `file:line` of the code that called the logging method, like promslog's caller key. Capturing one
 * stack frame costs a few microseconds and only happens for records that pass the level filter.
 */
function callerOf(self: LogMethod, withFunction: boolean): string {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 1;
  Error.captureStackTrace(holder, self);
  Error.stackTraceLimit = limit;
  const frame = holder.stack?.split('\n')[1];
  return frame === undefined ? '' : formatFrame(frame, withFunction);
}

/** Turns "    at fn (file:///a/b/push.js:42:13)" into "push.js:42" or "push.js(fn):42". */
export function formatFrame(frame: string, withFunction: boolean): string {
  let text = frame.trim();
  if (text.startsWith('at ')) text = text.slice(3);
  if (text.startsWith('async ')) text = text.slice(6);
  let fn = '';
  let location = text;
  const open = text.lastIndexOf(' (');
  if (open !== -1 && text.endsWith(')')) {
    fn = text.slice(0, open);
    location = text.slice(open + 2, -1);
  }
  const match = /([^/\\]*):(\d+):\d+$/.exec(location);
  if (match === null) return '';
  const [, file, line] = match;
  return withFunction && fn !== '' ? `${file}(${fn}):${line}` : `${file}:${line}`;
}
