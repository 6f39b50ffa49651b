/**
 * Byte strings as Go keeps them. Go strings are bytes, so a URL path or a base64 value may hold invalid
 * UTF-8 that the reference carries along until its consistency check rejects it. We decode such bytes
 * losslessly: valid UTF-8 sequences become their characters, and each byte of an invalid sequence
 * becomes the lone surrogate U+DC00 + byte, which valid UTF-8 can never produce. `goQuote` renders
 * these as `\xNN`, and `hasInvalidUtf8` finds them.
 */
import { isUtf8 } from 'node:buffer';

const LONE_SURROGATE = /\p{Surrogate}/u;

/** Bytes → string, keeping invalid UTF-8 bytes as lone surrogates U+DC80…U+DCFF. */
export function decodeBytesKeepingInvalid(bytes: Buffer): string {
  if (isUtf8(bytes)) return bytes.toString('utf8');
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const n = utf8SequenceLength(bytes, i);
    if (n === 0) {
      out += String.fromCharCode(0xdc00 + bytes[i]!);
      i++;
    } else {
      out += bytes.toString('utf8', i, i + n);
      i += n;
    }
  }
  return out;
}

/** True when the string holds a byte of invalid UTF-8 kept by decodeBytesKeepingInvalid. */
export function hasInvalidUtf8(s: string): boolean {
  return LONE_SURROGATE.test(s);
}

/** The byte an escaped invalid byte stands for, or -1 for any other UTF-16 code unit. */
export function escapedByte(codeUnit: number): number {
  return codeUnit >= 0xdc80 && codeUnit <= 0xdcff ? codeUnit - 0xdc00 : -1;
}

/** Length of the valid UTF-8 sequence starting at i (1–4), or 0 when the byte there starts none. */
export function utf8SequenceLength(b: Buffer, i: number): number {
  const c = b[i]!;
  const n = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
  if (n === 0 || i + n > b.length) return 0;
  return n === 1 || isUtf8(b.subarray(i, i + n)) ? n : 0;
}

/** The bytes a string from decodeBytesKeepingInvalid came from (the inverse of it). */
export function encodeBytesKeepingInvalid(s: string): Buffer {
  if (!hasInvalidUtf8(s)) return Buffer.from(s, 'utf8');
  const parts: Buffer[] = [];
  let run = '';
  for (const ch of s) {
    const b = ch.length === 1 ? escapedByte(ch.charCodeAt(0)) : -1;
    if (b < 0) {
      run += ch;
      continue;
    }
    if (run !== '') {
      parts.push(Buffer.from(run, 'utf8'));
      run = '';
    }
    parts.push(Buffer.of(b));
  }
  if (run !== '') parts.push(Buffer.from(run, 'utf8'));
  return Buffer.concat(parts);
}

/** The string with every kept invalid byte replaced by U+FFFD, as a lossy UTF-8 decoder would. */
export function replaceInvalidUtf8(s: string): string {
  return hasInvalidUtf8(s) ? s.replace(/\p{Surrogate}/gu, '\ufffd') : s;
}
