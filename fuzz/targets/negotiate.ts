/**
 * Negotiation target: the scrape's Accept (negotiate) and Accept-Encoding (negotiateEncoding) headers
 * and the push's Content-Type test (isProtobuf), over real scrapers' and clients' headers, mutated, and
 * long lists of clauses (a header may be 1 MiB). The answer is always one of the formats with a
 * Content-Type that names it and a known escaping scheme.
 */
import { negotiate, negotiateEncoding, TEXT_CONTENT_TYPE_BASE, type Negotiated } from '../../src/format/negotiate.js';
import { PROTOBUF_DELIMITED_CONTENT_TYPE } from '../../src/format/protobuf.js';
import { ESCAPING_SCHEMES } from '../../src/model/names.js';
import { isProtobuf } from '../../src/http/push.js';
import { mutate, type MutateOptions } from '../mutate.js';
import type { Rng } from '../prng.js';
import type { Corpus } from '../seeds.js';
import { expect, type Target } from '../target.js';

export interface NegotiateInput {
  accept: string;
  acceptEncoding: string;
  contentType: string;
}

interface Output {
  negotiated: Negotiated;
  encoding: string;
}

const DICTIONARY = [
  ',',
  ';',
  '=',
  'q=',
  'q=0',
  'q=1',
  'q=0.5',
  'q=x',
  '*/*',
  '*',
  'text/plain',
  'version=0.0.4',
  'escaping=',
  'escaping=allow-utf-8',
  'escaping=values',
  'proto=io.prometheus.client.MetricFamily',
  'encoding=delimited',
  '"',
  '\\',
  ' ',
  '\t',
  'application/vnd.google.protobuf',
  'gzip',
  'identity',
  'zstd',
];
const MAX_HEADER = 1 << 20; // the server's header limit (Go's DefaultMaxHeaderBytes)
let opts: { accept: MutateOptions; acceptEncoding: MutateOptions; contentType: MutateOptions };

function header(rng: Rng, o: MutateOptions): string {
  const seed = rng.pick(o.corpus);
  if (rng.chance(0.002)) {
    // A long list of clauses, as one client may send within the header limit.
    const clause = mutate(rng, seed, o).toString('latin1').split(',')[0] ?? '';
    const n = Math.min(rng.range(100, 60000), Math.floor(MAX_HEADER / (clause.length + 12)));
    return Array.from({ length: n }, (_, k) => `${clause};q=0.${String(k % 1000).padStart(3, '0')}`).join(',');
  }
  return mutate(rng, seed, o).toString('latin1');
}

export const negotiateTarget: Target<NegotiateInput, Output> = {
  name: 'negotiate',
  weight: 15,
  init(corpus: Corpus) {
    const mk = (xs: string[]): MutateOptions => ({
      dictionary: DICTIONARY,
      corpus: xs.map((x) => Buffer.from(x, 'latin1')),
      maxBytes: 8192,
    });
    opts = {
      accept: mk(corpus.accept),
      acceptEncoding: mk(corpus.acceptEncoding),
      contentType: mk(corpus.contentType),
    };
  },
  generate: (rng) => ({
    accept: header(rng, opts.accept),
    acceptEncoding: header(rng, opts.acceptEncoding),
    contentType: header(rng, opts.contentType),
  }),
  exec(i) {
    isProtobuf(i.contentType);
    return { negotiated: negotiate(i.accept), encoding: negotiateEncoding(i.acceptEncoding) };
  },
  check(_i, { negotiated, encoding }) {
    const base = negotiated.format === 'protobuf' ? PROTOBUF_DELIMITED_CONTENT_TYPE : TEXT_CONTENT_TYPE_BASE;
    expect(['text', 'protobuf'].includes(negotiated.format), `format ${negotiated.format}`);
    expect(ESCAPING_SCHEMES.includes(negotiated.escaping), `escaping ${negotiated.escaping}`);
    expect(
      negotiated.contentType === `${base}; escaping=${negotiated.escaping}`,
      `content type ${negotiated.contentType}`,
    );
    expect(encoding === 'gzip' || encoding === 'identity', `encoding ${encoding}`);
  },
  size: (i) => i.accept.length + i.acceptEncoding.length + i.contentType.length,
  save: (i) => ({
    bytes: Buffer.from(JSON.stringify(i), 'utf8'),
    note: 'JSON of {accept, acceptEncoding, contentType}',
  }),
};
