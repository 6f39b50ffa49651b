/**
 * Text format target: parseTextBody (the push handler's entry to text-parse.ts) with legacy and UTF-8
 * names. An accepted body is written back with text-write.ts; that text must parse again and write to
 * the same text (write ∘ parse is idempotent, so nothing the parser accepts is lost or invented by a
 * second pass).
 */
import type { MetricFamily } from '../../src/model/metric.js';
import { parseTextBody } from '../../src/format/text-body.js';
import { renderFamily, renderFamilyQuoted } from '../../src/format/text-write.js';
import { mutate, TEXT_DICTIONARY, type MutateOptions } from '../mutate.js';
import { generateText } from '../text-generate.js';
import type { Rng } from '../prng.js';
import type { Corpus } from '../seeds.js';
import { expect, type Target } from '../target.js';

export interface TextInput {
  body: Buffer;
  utf8Names: boolean;
}

const MAX_BYTES = 128 * 1024;
let opts: MutateOptions;
const NAMELESS_LINE = /(^|\n)[ \t]*\{/;

export function render(families: MetricFamily[], utf8Names: boolean): string {
  return families.map((f) => (utf8Names ? renderFamilyQuoted(f) : renderFamily(f))).join('');
}

/** A text body: mutated client seeds, grammar-generated bodies, or both. */
export function generateTextInput(rng: Rng, o: MutateOptions, legacyOnly = false): TextInput {
  const utf8Names = !legacyOnly && rng.chance(0.3);
  const r = rng.int(10);
  let body: Buffer;
  if (r < 5) body = mutate(rng, rng.pick(o.corpus), o);
  else if (r < 8) body = generateText(rng, utf8Names);
  else body = mutate(rng, generateText(rng, utf8Names), o);
  return { body: body.length > o.maxBytes ? body.subarray(0, o.maxBytes) : body, utf8Names };
}

/**
 * True when a family is named like another's summary/histogram series (`x_bucket` beside histogram `x`).
 * Its written lines are then claimed by whichever family the parser meets first, as in Go's parser, so
 * a second pass may regroup them; the store refuses such a push anyway (duplicate or misplaced series).
 */
function suffixCollision(families: MetricFamily[]): boolean {
  const names = new Set(families.map((f) => f.name));
  return families.some((f) =>
    ['_bucket', '_sum', '_count'].some((s) => f.name.endsWith(s) && names.has(f.name.slice(0, -s.length))),
  );
}

/**
 * True when a summary or histogram count is at or above 2^63. Go's parser reads a count as a float and
 * converts it to uint64 (a negative one wraps to about 2^64, which the writer prints as 2^64; reading that
 * again gives 2^63 on amd64), and ours reproduces it, so such a count does not survive a second pass in
 * the reference either.
 */
function hugeCount(families: MetricFamily[]): boolean {
  const huge = (n: number | undefined): boolean => n !== undefined && n >= 2 ** 63;
  return families.some((f) =>
    f.metrics.some(
      (m) =>
        huge(m.summary?.sampleCount) ||
        huge(m.histogram?.sampleCount) ||
        (m.histogram?.buckets.some((b) => huge(b.cumulativeCount)) ?? false),
    ),
  );
}

export const textTarget: Target<TextInput, MetricFamily[]> = {
  name: 'text',
  weight: 30,
  init(corpus: Corpus) {
    opts = { dictionary: TEXT_DICTIONARY, corpus: corpus.text, maxBytes: MAX_BYTES };
  },
  generate: (rng) => generateTextInput(rng, opts),
  exec: (input) => parseTextBody(input.body, { utf8Names: input.utf8Names }),
  check(input, families) {
    // A nameless `{…}` line re-uses the previous sample's metric and adds its labels to it (v0.69's
    // quirk, docs/compatibility.md): the model may then hold one label name twice, which no text can
    // express, and which the store's check refuses.
    if (NAMELESS_LINE.test(input.body.toString('latin1')) || suffixCollision(families) || hugeCount(families)) return;
    const once = render(families, input.utf8Names);
    let again: MetricFamily[];
    try {
      again = parseTextBody(Buffer.from(once, 'utf8'), { utf8Names: input.utf8Names });
    } catch (err) {
      throw new Error(
        `the written text of an accepted body does not parse: ${(err as Error).message}\n--- ` +
          `written:\n${once.slice(0, 2000)}`,
      );
    }
    const twice = render(again, input.utf8Names);
    expect(
      twice === once,
      `write(parse(write(parse(body)))) differs from write(parse(body))\n--- ` +
        `once:\n${once.slice(0, 2000)}\n--- twice:\n${twice.slice(0, 2000)}`,
    );
  },
  size: (input) => input.body.length,
  save: (input) => ({ bytes: input.body, note: `text body, utf8Names=${input.utf8Names}` }),
};
