/**
 * Body decoding target: decodeBody (gzip, framed snappy, other Content-Encodings passed through) under
 * a size limit, then the parser the body is meant for, as the push handler chains them. Seeds are real
 * encoder output (node:zlib, golang/snappy captured from the Go client, our framer); the mutations hit
 * headers, chunk types and lengths, checksums, and truncate or splice streams. An unmutated stream must
 * decode to exactly what was encoded.
 */
import { decodeBody } from '../../src/format/body.js';
import { parseProtobufBody } from '../../src/format/protobuf.js';
import { parseTextBody } from '../../src/format/text-body.js';
import { mutate, type MutateOptions } from '../mutate.js';
import type { Rng } from '../prng.js';
import type { Corpus, EncodedSeed } from '../seeds.js';
import { expect, type Target } from '../target.js';

export interface BodyInput {
  encoding: string;
  body: Buffer;
  limit: number;
  protobuf: boolean;
  /** Set when the body is an unmutated encoding: what it must decode to. */
  decoded?: Buffer;
}

const ENCODINGS = ['gzip', 'snappy', 'GZIP', 'Snappy', 'identity', 'x-gzip', 'deflate', '', 'gzip, snappy'];
let seeds: EncodedSeed[];
let opts: MutateOptions;

/** Snappy chunk-level edits: the type byte, the 24-bit length, the masked CRC. */
function mutateSnappy(rng: Rng, b: Buffer): Buffer {
  const c = Buffer.from(b);
  let pos = 0;
  const chunks: number[] = [];
  while (pos + 4 <= c.length) {
    chunks.push(pos);
    pos += 4 + (c[pos + 1]! | (c[pos + 2]! << 8) | (c[pos + 3]! << 16));
  }
  if (chunks.length === 0) return c;
  const at = rng.pick(chunks);
  switch (rng.int(3)) {
    case 0:
      c[at] = rng.pick([0x00, 0x01, 0x02, 0x7f, 0x80, 0xfe, 0xff]);
      break;
    case 1:
      c.writeUIntLE(rng.pick([0, 3, 4, 5, 65540, 65541, 0xffffff]), at + 1, 3);
      break;
    default:
      if (at + 8 <= c.length) c[at + 4 + rng.int(4)]! ^= 1 << rng.int(8);
  }
  return c;
}

export const bodyTarget: Target<BodyInput, Buffer> = {
  name: 'body',
  weight: 8,
  init(corpus: Corpus) {
    seeds = corpus.encoded;
    opts = {
      dictionary: ['\x1f\x8b', '\x1f\x8b\x08\x00', 'sNaPpY', '\xff\x06\x00\x00sNaPpY', '\x00\x00\x00\x00'],
      corpus: seeds.map((s) => s.body),
      maxBytes: 256 * 1024,
    };
  },
  generate(rng: Rng) {
    const seed = rng.pick(seeds);
    const limit = rng.chance(0.1) ? rng.range(1, 2000) : 4 << 20;
    const r = rng.int(10);
    if (r === 0 && seed.decoded !== undefined) return { ...seed, limit: 4 << 20 };
    let body = seed.body;
    if (r < 4 && seed.encoding.toLowerCase() === 'snappy') body = mutateSnappy(rng, body);
    else if (r < 9) body = mutate(rng, body, opts);
    const encoding = rng.chance(0.9) ? seed.encoding : rng.pick(ENCODINGS);
    return { encoding, body, limit, protobuf: seed.protobuf };
  },
  async exec(i) {
    const decoded = await decodeBody(i.encoding, i.body, i.limit);
    if (i.protobuf) parseProtobufBody(decoded, { utf8Names: false });
    else parseTextBody(decoded, { utf8Names: false });
    return decoded;
  },
  check(i, decoded) {
    if (i.decoded !== undefined) expect(decoded.equals(i.decoded), 'an unmutated stream decoded to other bytes');
    expect(
      i.limit === 0 || decoded.length <= i.limit || !['gzip', 'snappy'].includes(i.encoding.toLowerCase()),
      'decoded past the limit',
    );
  },
  size: (i) => i.body.length,
  save: (i) => ({
    bytes: i.body,
    note:
      `Content-Encoding ${JSON.stringify(i.encoding)}, limit ${i.limit}, ` +
      `${i.protobuf ? 'protobuf' : 'text'} payload`,
  }),
};
