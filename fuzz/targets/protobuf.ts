/**
 * Protobuf target: parseProtobufBody over length-delimited MetricFamily streams (the Go client's real
 * pushes, the every-field fixture, the differential cases), changed by the protobuf-aware mutator. An
 * accepted body is encoded again (protobuf.ts encodeDelimited); that must decode and re-encode to the
 * same bytes, and the text writer must render it.
 */
import type { MetricFamily } from '../../src/model/metric.js';
import { encodeDelimited, parseProtobufBody } from '../../src/format/protobuf.js';
import { renderFamily, renderFamilyQuoted } from '../../src/format/text-write.js';
import { mutate, TEXT_DICTIONARY, type MutateOptions } from '../mutate.js';
import { mutateProtobuf, protobufDonors, type Field } from '../protobuf-mutate.js';
import type { Corpus } from '../seeds.js';
import { expect, type Target } from '../target.js';

export interface ProtobufInput {
  body: Buffer;
  utf8Names: boolean;
}

const MAX_BYTES = 256 * 1024;
let opts: MutateOptions;
let donors: Field[][][];

export const protobufTarget: Target<ProtobufInput, MetricFamily[]> = {
  name: 'protobuf',
  weight: 25,
  init(corpus: Corpus) {
    opts = { dictionary: TEXT_DICTIONARY, corpus: corpus.protobuf, maxBytes: MAX_BYTES };
    donors = protobufDonors(corpus.protobuf);
  },
  generate(rng) {
    const seed = rng.pick(opts.corpus);
    const body = rng.chance(0.85) ? mutateProtobuf(rng, seed, donors, opts) : mutate(rng, seed, opts);
    return { body, utf8Names: rng.chance(0.3) };
  },
  exec: (input) => parseProtobufBody(input.body, { utf8Names: input.utf8Names, emptyFamilies: new Map() }),
  check(input, families) {
    const once = encodeDelimited(families);
    const again = parseProtobufBody(once, { utf8Names: input.utf8Names });
    const twice = encodeDelimited(again);
    expect(once.equals(twice), 'encode(decode(encode(decode(body)))) differs from encode(decode(body))');
    for (const f of families) (input.utf8Names ? renderFamilyQuoted : renderFamily)(f);
  },
  size: (input) => input.body.length,
  save: (input) => ({ bytes: input.body, note: `delimited protobuf body, utf8Names=${input.utf8Names}` }),
};
