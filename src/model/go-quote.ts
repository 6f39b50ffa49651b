/**
 * Go's %q rendering of a string (strconv.Quote), which the reference uses inside its error messages:
 * double-quoted, escaping quotes, backslashes and non-printable runes. Invalid UTF-8 bytes kept as lone
 * surrogates (raw-bytes.ts) are written `\xNN`, as Go writes them.
 */
import { escapedByte } from './raw-bytes.js';

/** Go's one-letter escapes by code point (strconv.Quote and %q write them; text-parse.ts too). */
export const NAMED_ESCAPES: Readonly<Record<number, string>> = {
  7: '\\a',
  8: '\\b',
  9: '\\t',
  10: '\\n',
  11: '\\v',
  12: '\\f',
  13: '\\r',
};
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

function hex(c: number, width: number): string {
  return c.toString(16).padStart(width, '0');
}

export function goQuote(str: string): string {
  let out = '"';
  for (const chr of str) {
    const cp = chr.codePointAt(0)!;
    if (cp === 0x22) out += '\\"';
    else if (cp === 0x5c) out += '\\\\';
    else if (cp >= 0x20 && cp < 0x7f) out += chr;
    else if (NAMED_ESCAPES[cp] !== undefined) out += NAMED_ESCAPES[cp];
    else if (cp < 0x80) out += `\\x${hex(cp, 2)}`;
    else if (escapedByte(cp) >= 0) out += `\\x${hex(escapedByte(cp), 2)}`;
    else if (PRINTABLE.test(chr)) out += chr;
    else if (cp < 0x10000) out += `\\u${hex(cp, 4)}`;
    else out += `\\U${hex(cp, 8)}`;
  }
  return `${out}"`;
}
