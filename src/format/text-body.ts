/**
 * Parses a raw text-format push body. Valid UTF-8 (the normal case) goes straight to the parser. A body
 * with invalid UTF-8 is parsed with each invalid byte kept as a lone surrogate (model/raw-bytes.ts), so
 * nothing is silently replaced and error messages quote the bytes as Go does (`got "\xff"`). A label
 * value that is not valid UTF-8 is then rejected like the reference's parser does (`invalid label value
 * "\xff"`); other strings get U+FFFD for the invalid bytes (a documented difference).
 */
import { isUtf8 } from 'node:buffer';
import type { MetricFamily } from '../model/metric.js';
import { TextParseError } from '../errors.js';
import { parseTextSteps, type TextParseOptions } from './text-parse.js';
import { runSliced, runSync, type Slicer, type Steps } from '../slicer.js';
import { goQuote } from '../model/go-quote.js';
import {
  decodeBytesKeepingInvalid,
  encodeBytesKeepingInvalid,
  hasInvalidUtf8,
  replaceInvalidUtf8,
} from '../model/raw-bytes.js';

export function parseTextBody(body: Buffer, opts: TextParseOptions): MetricFamily[] {
  return runSync(textBodySteps(body, opts));
}

/** parseTextBody with the event loop served every slice (big bodies). */
export function parseTextBodySliced(body: Buffer, opts: TextParseOptions, slicer: Slicer): Promise<MetricFamily[]> {
  return runSliced(textBodySteps(body, opts), slicer);
}

function* textBodySteps(body: Buffer, opts: TextParseOptions): Steps<MetricFamily[]> {
  if (isUtf8(body)) return yield* parseTextSteps(body.toString('utf8'), opts);
  // Names change below (invalid bytes replaced): the parser's name map would not match them.
  const families = yield* parseTextSteps(decodeBytesKeepingInvalid(body), { utf8Names: opts.utf8Names });
  for (const f of families) {
    yield;
    f.name = replaceInvalidUtf8(f.name);
    if (f.help !== undefined) f.help = replaceInvalidUtf8(f.help);
    for (const m of f.metrics) {
      for (const l of m.labels) {
        if (hasInvalidUtf8(l.value)) {
          throw new TextParseError(
            lineOf(body, encodeBytesKeepingInvalid(l.value)),
            `invalid label value ${goQuote(l.value)}`,
          );
        }
        l.name = replaceInvalidUtf8(l.name);
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
