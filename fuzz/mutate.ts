/**
 * Our byte mutator: bit flips, byte sets, inserts, deletes, repeats, truncation, splices between seeds,
 * line operations, and insertion of format tokens from a dictionary. A few mutations are stacked per
 * input (as libFuzzer and AFL do), so an input strays a few edits from a real push: far enough to reach
 * error paths, close enough to get past the first line.
 */
import type { Rng } from './prng.js';

/** Tokens of the text exposition format and of Go's float syntax. */
export const TEXT_DICTIONARY: readonly string[] = [
  '# TYPE ',
  '# HELP ',
  '#',
  ' counter',
  ' gauge',
  ' summary',
  ' histogram',
  ' untyped',
  ' gaugehistogram',
  ' gauge_histogram',
  '{',
  '}',
  '"',
  '\\',
  '\\"',
  '\\n',
  '\\\\',
  '\n',
  '\r\n',
  '\t',
  ' ',
  ',',
  '=',
  '="',
  '",',
  'le=',
  'le="+Inf"',
  'quantile=',
  'quantile="0.5"',
  '_bucket',
  '_sum',
  '_count',
  '_total',
  '_created',
  'NaN',
  '+Inf',
  '-Inf',
  'Inf',
  'inf',
  '-0',
  '1e308',
  '1e309',
  '4.9e-324',
  '0x1p-2',
  '1_000',
  '9223372036854775807',
  '9223372036854775808',
  '-9223372036854775809',
  '18446744073709551616',
  '0.1',
  '1.5',
  '-1',
  'job',
  'instance',
  '__name__',
  'U__',
  '_2e_',
  '@base64',
  '"ü"',
  '\u00ff',
  '\ufffd',
  '\u0000',
  '\udcff',
  'a:b',
  ':',
  '🙂',
];

/** Interesting single bytes: separators, quotes, escapes, the top of ASCII, invalid UTF-8 leads. */
const INTERESTING_BYTES = [
  0, 9, 10, 13, 32, 34, 35, 44, 47, 61, 92, 123, 125, 0x7f, 0x80, 0xc0, 0xc3, 0xed, 0xf0, 0xff,
];

export interface MutateOptions {
  /** Format tokens to insert (as UTF-8). */
  dictionary: readonly string[];
  /** Other inputs to splice from. */
  corpus: readonly Buffer[];
  /** Inputs are cut to this many bytes. */
  maxBytes: number;
}

type Mutation = (rng: Rng, b: Buffer, o: MutateOptions) => Buffer;

function at(rng: Rng, b: Buffer): number {
  return rng.int(b.length + 1);
}

const flipBit: Mutation = (rng, b) => {
  if (b.length === 0) return b;
  const c = Buffer.from(b);
  c[rng.int(c.length)]! ^= 1 << rng.int(8);
  return c;
};

const setByte: Mutation = (rng, b) => {
  if (b.length === 0) return Buffer.from([rng.pick(INTERESTING_BYTES)]);
  const c = Buffer.from(b);
  c[rng.int(c.length)] = rng.chance(0.5) ? rng.pick(INTERESTING_BYTES) : rng.int(256);
  return c;
};

const insertBytes: Mutation = (rng, b) => {
  const n = rng.range(1, 8);
  const ins = Buffer.alloc(n);
  for (let i = 0; i < n; i++) ins[i] = rng.chance(0.5) ? rng.pick(INTERESTING_BYTES) : rng.int(256);
  const p = at(rng, b);
  return Buffer.concat([b.subarray(0, p), ins, b.subarray(p)]);
};

const insertToken: Mutation = (rng, b, o) => {
  const p = at(rng, b);
  return Buffer.concat([b.subarray(0, p), Buffer.from(rng.pick(o.dictionary), 'utf8'), b.subarray(p)]);
};

const deleteRange: Mutation = (rng, b) => {
  if (b.length === 0) return b;
  const p = rng.int(b.length);
  const n = rng.range(1, Math.max(1, rng.size(b.length - p)));
  return Buffer.concat([b.subarray(0, p), b.subarray(p + n)]);
};

/** Repeats a slice many times: long names, many labels, many lines, deep nesting. */
const repeatRange: Mutation = (rng, b, o) => {
  if (b.length === 0) return b;
  const p = rng.int(b.length);
  const n = rng.range(1, Math.min(64, b.length - p));
  const piece = b.subarray(p, p + n);
  const times = rng.chance(0.03) ? rng.range(100, Math.max(100, Math.floor(o.maxBytes / n))) : rng.range(2, 16);
  return Buffer.concat([b.subarray(0, p + n), Buffer.alloc(n * times).fill(piece), b.subarray(p + n)]);
};

const truncate: Mutation = (rng, b) => b.subarray(0, rng.int(b.length + 1));

/** Another seed's piece put in at a random place, or this input's head joined to another's tail. */
const splice: Mutation = (rng, b, o) => {
  if (o.corpus.length === 0) return b;
  const other = rng.pick(o.corpus);
  if (rng.chance(0.5)) {
    return Buffer.concat([b.subarray(0, at(rng, b)), other.subarray(rng.int(other.length + 1))]);
  }
  const s = rng.int(other.length + 1);
  const piece = other.subarray(s, s + rng.size(other.length - s));
  const p = at(rng, b);
  return Buffer.concat([b.subarray(0, p), piece, b.subarray(p)]);
};

/** Line operations: duplicate, delete or swap whole lines. */
const lineOp: Mutation = (rng, b) => {
  const lines = b.toString('latin1').split('\n');
  if (lines.length < 2) return b;
  const i = rng.int(lines.length);
  const j = rng.int(lines.length);
  switch (rng.int(3)) {
    case 0:
      lines.splice(j, 0, lines[i]!);
      break;
    case 1:
      lines.splice(i, 1);
      break;
    default:
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
  }
  return Buffer.from(lines.join('\n'), 'latin1');
};

/** Swaps a run of digits (a value, a count, a length) for an interesting number. */
const replaceNumber: Mutation = (rng, b) => {
  const s = b.toString('latin1');
  const runs = [...s.matchAll(/[0-9.eE+-]+/g)];
  if (runs.length === 0) return b;
  const m = rng.pick(runs);
  const repl = rng.pick([
    'NaN',
    '+Inf',
    '-Inf',
    '0',
    '-0',
    '1e308',
    '1e-400',
    '18446744073709551615',
    '0x10',
    '1.5',
    '-1',
    '',
    '1e',
    '.5',
    '+.5e+5',
  ]);
  return Buffer.from(s.slice(0, m.index) + repl + s.slice(m.index! + m[0].length), 'latin1');
};

const MUTATIONS: readonly [Mutation, number][] = [
  [flipBit, 3],
  [setByte, 3],
  [insertBytes, 2],
  [insertToken, 5],
  [deleteRange, 3],
  [repeatRange, 1],
  [truncate, 1],
  [splice, 2],
  [lineOp, 2],
  [replaceNumber, 2],
];
const WEIGHT = MUTATIONS.reduce((s, [, w]) => s + w, 0);

function pickMutation(rng: Rng): Mutation {
  let r = rng.int(WEIGHT);
  for (const [m, w] of MUTATIONS) {
    if (r < w) return m;
    r -= w;
  }
  return MUTATIONS[0]![0];
}

/** 1 to 8 stacked mutations of `input`, cut to `maxBytes`. */
export function mutate(rng: Rng, input: Buffer, o: MutateOptions): Buffer {
  let b = input;
  const n = rng.chance(0.5) ? 1 : rng.range(2, 8);
  for (let i = 0; i < n; i++) {
    b = pickMutation(rng)(rng, b, o);
    if (b.length > o.maxBytes) b = b.subarray(0, o.maxBytes);
  }
  return b;
}
