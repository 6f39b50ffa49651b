/**
 * Generates text-format bodies from the format's grammar, with the edges weighted up: HELP and TYPE lines
 * in and out of order, summaries and histograms with quantile/le lines, nameless `{…}` lines, the quoted
 * UTF-8 syntax, escapes, odd floats and timestamps, blank lines and comments, and now and then a sample
 * with thousands of distinct labels or a body of thousands of families.
 */
import type { Rng } from './prng.js';

const NAMES = [
  'a',
  'm_total',
  'http_requests_total',
  'x:y',
  '_',
  'up',
  'job',
  'le',
  'quantile',
  'U__a_2e_b',
  'a1',
  'A',
];
const UTF8_NAMES = ['"ü"', '"a.b"', '"with space"', '"q\\"uote"', '"new\\nline"', '"🙂"', '""'];
const TYPES = [
  'counter',
  'gauge',
  'summary',
  'histogram',
  'untyped',
  'gaugehistogram',
  'gauge_histogram',
  'info',
  'COUNTER',
  '',
];
const VALUES = [
  '1',
  '0',
  '-0',
  '1.5',
  '-2.5e-3',
  'NaN',
  '+Inf',
  '-Inf',
  'Inf',
  'nan',
  '1e308',
  '1e309',
  '0x1p3',
  '1_0',
  '18446744073709551616',
  '9007199254740993',
  '.5',
  '5.',
  '+1',
  '',
  'x',
  '1 ',
  '\t1',
];
const TIMESTAMPS = [
  '',
  '',
  '',
  ' 1700000000000',
  ' -1',
  ' 0',
  ' 9223372036854775807',
  ' 9223372036854775808',
  ' 1.5',
  ' x',
];
const LABEL_VALUES = ['v', '', 'a b', '\\"', '\\\\', '\\n', '\\t', 'ü', '\u{1F642}', '0.5', '+Inf', '1', 'x\\'];
const HELPS = ['help', '', 'with \\\\ and \\n', 'trailing \\', 'quote \\"', 'ü', '  spaced  '];

function name(rng: Rng, utf8: boolean): string {
  return utf8 && rng.chance(0.2) ? rng.pick(UTF8_NAMES) : rng.pick(NAMES);
}

function labels(rng: Rng, utf8: boolean, extra: string): string {
  const many = rng.chance(0.0005);
  const n = many ? rng.range(1000, 20000) : rng.size(6);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const ln = many
      ? `l${i}`
      : utf8 && rng.chance(0.1)
        ? rng.pick(UTF8_NAMES)
        : rng.pick(['a', 'b', 'job', 'instance', 'le', 'quantile', '__x', `l${i}`]);
    parts.push(`${ln}${rng.chance(0.05) ? ' ' : ''}=${rng.chance(0.02) ? '' : '"'}${rng.pick(LABEL_VALUES)}"`);
  }
  if (extra !== '') parts.push(extra);
  if (parts.length === 0 && rng.chance(0.7)) return '';
  return `{${parts.join(rng.chance(0.05) ? ', ' : ',')}${rng.chance(0.1) ? ',' : ''}}`;
}

function sample(rng: Rng, utf8: boolean, base: string, suffix: string, extra: string): string {
  const value = rng.pick(VALUES);
  const ts = rng.pick(TIMESTAMPS);
  if (base.startsWith('"')) {
    // Quoted metric name: inside the braces, first.
    const inner = labels(rng, utf8, extra);
    const rest = inner === '' ? '' : `,${inner.slice(1, -1)}`;
    return `{${base.slice(0, -1)}${suffix}"${rest}} ${value}${ts}`;
  }
  const nameless = rng.chance(0.02);
  return `${nameless ? '' : base + suffix}${labels(rng, utf8, extra)}${rng.chance(0.05) ? '\t' : ' '}${value}${ts}`;
}

function family(rng: Rng, utf8: boolean, lines: string[]): void {
  const n = name(rng, utf8);
  const type = rng.pick(TYPES);
  if (rng.chance(0.6)) lines.push(`# HELP ${n} ${rng.pick(HELPS)}`);
  if (rng.chance(0.7)) lines.push(`#${rng.chance(0.05) ? '' : ' '}TYPE ${n} ${type}`);
  if (rng.chance(0.1)) lines.push(rng.pick(['', '# a comment', '#', '  ', '# HELP', '# TYPE x']));
  const series = rng.size(rng.chance(0.0005) ? 5000 : 4);
  for (let s = 0; s < series; s++) {
    if (type === 'summary' && rng.chance(0.8)) {
      for (const q of ['0.5', '0.9', rng.pick(['0.99', 'NaN', 'x', '1'])])
        lines.push(sample(rng, utf8, n, '', `quantile="${q}"`));
      lines.push(sample(rng, utf8, n, '_sum', ''), sample(rng, utf8, n, '_count', ''));
    } else if (type.includes('histogram') && rng.chance(0.8)) {
      for (const le of ['0.1', '1', rng.pick(['+Inf', '10', 'x', 'NaN'])])
        lines.push(sample(rng, utf8, n, '_bucket', `le="${le}"`));
      lines.push(sample(rng, utf8, n, '_sum', ''), sample(rng, utf8, n, '_count', ''));
      if (rng.chance(0.2)) lines.push(sample(rng, utf8, n, rng.pick(['_gcount', '_gsum', '_created']), ''));
    } else {
      lines.push(sample(rng, utf8, n, rng.chance(0.1) ? rng.pick(['_total', '_sum', '_count', '_bucket']) : '', ''));
    }
  }
}

/** A whole body (as UTF-8 bytes). */
export function generateText(rng: Rng, utf8: boolean): Buffer {
  const lines: string[] = [];
  const families = rng.chance(0.0005) ? rng.range(1000, 5000) : rng.range(0, 5);
  for (let f = 0; f < families; f++) family(rng, utf8, lines);
  const eol = rng.chance(0.05) ? '\r\n' : '\n';
  let body = lines.join(eol);
  if (!rng.chance(0.05)) body += eol;
  return Buffer.from(body, 'utf8');
}
