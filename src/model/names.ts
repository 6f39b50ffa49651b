/**
 * Metric and label name rules. Legacy rules are what the reference applies unless
 * --push.enable-utf8-names is given (prometheus/common model.IsValidLegacyMetricName and friends).
 */
import { hasInvalidUtf8 } from './raw-bytes.js';

function isAlpha(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95; // a-z A-Z _
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** `[a-zA-Z_:][a-zA-Z0-9_:]*` */
export function isValidLegacyMetricName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!(isAlpha(c) || c === 58 || (i > 0 && isDigit(c)))) return false;
  }
  return true;
}

/** `[a-zA-Z_][a-zA-Z0-9_]*` */
export function isValidLegacyLabelName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (!(isAlpha(c) || (i > 0 && isDigit(c)))) return false;
  }
  return true;
}

/**
 * A UTF-8 name is any non-empty string of valid UTF-8. Bodies are decoded as UTF-8 (or rejected), but a
 * URL path may carry invalid bytes, kept as lone surrogates (raw-bytes.ts), which make a name invalid.
 */
export function isValidUtf8Name(name: string): boolean {
  return name.length > 0 && !hasInvalidUtf8(name);
}

/**
 * How names that are not valid legacy names are written on output, chosen by the scrape's Accept header
 * (`escaping=` parameter, prometheus/common model.EscapingScheme). `allow-utf-8` keeps them as they are
 * (the text format then quotes them); the others rewrite them into legacy names.
 */
export type EscapingScheme = 'allow-utf-8' | 'underscores' | 'dots' | 'values';

export const ESCAPING_SCHEMES: readonly EscapingScheme[] = ['allow-utf-8', 'underscores', 'dots', 'values'];

/** The default when the Accept header names none (common's NameEscapingScheme default). */
export const DEFAULT_ESCAPING: EscapingScheme = 'underscores';

/** Go's isValidLegacyRune; `i` is the byte offset of the rune, as Go's `for i, r := range s` gives it. */
function isLegacyRune(cp: number, i: number): boolean {
  return (cp >= 97 && cp <= 122) || (cp >= 65 && cp <= 90) || cp === 95 || cp === 58 || (cp >= 48 && cp <= 57 && i > 0);
}

/**
 * common's EscapeMetricFamily rule for one metric or label name: a valid legacy metric name is left alone
 * under every scheme; any other name is escaped with model.EscapeName.
 */
export function escapeName(name: string, scheme: EscapingScheme): string {
  if (scheme === 'allow-utf-8' || name.length === 0 || isValidLegacyMetricName(name)) return name;
  let out = scheme === 'values' ? 'U__' : '';
  let byteOffset = 0;
  for (const ch of name) {
    const cp = ch.codePointAt(0)!;
    if (scheme === 'underscores') {
      out += isLegacyRune(cp, byteOffset) ? ch : '_';
    } else if (cp === 95) {
      out += '__';
    } else if (scheme === 'dots' && cp === 46) {
      out += '_dot_';
    } else if (isLegacyRune(cp, byteOffset)) {
      out += ch;
    } else if (scheme === 'dots') {
      out += '__';
    } else {
      out += `_${cp.toString(16)}_`;
    }
    byteOffset += Buffer.byteLength(ch, 'utf8');
  }
  return out;
}
