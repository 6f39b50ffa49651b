/**
 * Parses a raw text-format push body. Valid UTF-8 (the normal case) goes straight to the parser. A body
 * with invalid UTF-8 is parsed byte-for-byte (latin1) so nothing is silently replaced, then every string is
 * turned back into UTF-8: a label value that is not valid UTF-8 is rejected like the reference's parser
 * does (`invalid label value "\xff"`); other strings keep U+FFFD replacements (a documented difference).
 */
import { isUtf8 } from 'node:buffer';
import type { MetricFamily } from '../model/metric.js';
import { TextParseError } from '../errors.js';
import { parseText, type TextParseOptions } from './text-parse.js';

export function parseTextBody(body: Buffer, opts: TextParseOptions): MetricFamily[] {
  if (isUtf8(body)) return parseText(body.toString('utf8'), opts);
  const families = parseText(body.toString('latin1'), opts);
  const utf8 = (s: string): string => Buffer.from(s, 'latin1').toString('utf8');
  for (const f of families) {
    f.name = utf8(f.name);
    if (f.help !== undefined) f.help = utf8(f.help);
    for (const m of f.metrics) {
      for (const l of m.labels) {
        const raw = Buffer.from(l.value, 'latin1');
        if (!isUtf8(raw)) throw new TextParseError(lineOf(body, raw), `invalid label value ${goQuoteBytes(raw)}`);
        l.name = utf8(l.name);
        l.value = raw.toString('utf8');
      }
    }
  }
  return families;
}

function lineOf(body: Buffer, needle: Buffer): number {
  const at = body.indexOf(needle);
  let line = 1;
  for (let i = 0; i < at; i++) if (body[i] === 10) line++;
  return line;
}

/** Go's %q of a byte string: valid UTF-8 runs as text, invalid bytes as \xNN. */
function goQuoteBytes(raw: Buffer): string {
  let out = '"';
  let i = 0;
  while (i < raw.length) {
    const len = utf8SeqLength(raw, i);
    if (len === 0) {
      out += '\\x' + raw[i]!.toString(16).padStart(2, '0');
      i++;
      continue;
    }
    const ch = raw.subarray(i, i + len).toString('utf8');
    out += ch === '"' ? '\\"' : ch === '\\' ? '\\\\' : ch === '\n' ? '\\n' : ch;
    i += len;
  }
  return out + '"';
}

function utf8SeqLength(b: Buffer, i: number): number {
  const c = b[i]!;
  const n = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
  if (n === 0 || i + n > b.length) return 0;
  return isUtf8(b.subarray(i, i + n)) ? n : 0;
}
