/**
 * The seed corpus, from real pushes: the committed client captures in fuzz/seeds/ (Python client text,
 * prom-client text, Go client protobuf, golang/snappy frames; see capture-seeds.ts), every body, path and
 * header of the differential case table (test/helpers/differential-cases.ts), and the protobuf fixture
 * that covers every MetricFamily field (test/helpers/protobuf-fixture.ts). gzip and snappy bodies are
 * made from the text and protobuf seeds with node:zlib and our framer.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CASES, expandCase } from '../test/helpers/differential-cases.js';
import { FIXTURE } from '../test/helpers/protobuf-fixture.js';
import { PROJECT_ROOT } from '../test/helpers/servers.js';
import { encodeDelimited } from '../src/format/protobuf.js';
import { snappyFramed } from '../src/format/body.js';

export const SEEDS_DIR = join(PROJECT_ROOT, 'fuzz/seeds');

export interface EncodedSeed {
  encoding: string;
  body: Buffer;
  /** What the body decodes to, when it is an unmutated encoding of a known payload. */
  decoded?: Buffer;
  protobuf: boolean;
}

export interface Corpus {
  text: Buffer[];
  protobuf: Buffer[];
  encoded: EncodedSeed[];
  /** Request targets (path and query) of pushes, deletes, scrapes and API calls. */
  urls: string[];
  accept: string[];
  acceptEncoding: string[];
  contentType: string[];
}

const PB_ACCEPT = 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited';

/** Accept headers real scrapers and tools send. */
const ACCEPT_SEEDS = [
  // Prometheus 2.x, with and without native histograms
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,' +
    'text/plain;version=0.0.4;q=0.5,*/*;q=0.1',
  `${PB_ACCEPT};q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.2`,
  // Prometheus 3 default
  'application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,application/openmetrics-text;' +
    'version=0.0.1;q=0.4,' +
    'text/plain;version=1.0.0;escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;q=0.2,*/*;q=0.1',
  '*/*',
  '',
  'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8',
  PB_ACCEPT,
  `${PB_ACCEPT};escaping=values`,
  'text/plain;escaping=dots',
  'text/*;q=0.9, */*;q=0.1',
  'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text',
];

const ACCEPT_ENCODING_SEEDS = [
  'gzip',
  'gzip, deflate, br',
  'gzip;q=0',
  'identity',
  '*',
  'GZIP',
  'gzip;q=0.5, identity',
  'br;q=1.0, gzip;q=0.8, *;q=0.1',
  'zstd, gzip',
  '',
];

const CONTENT_TYPE_SEEDS = [
  'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited',
  PB_ACCEPT,
  'text/plain; version=0.0.4; charset=utf-8',
  'text/plain',
  'application/x-www-form-urlencoded',
  'application/vnd.google.protobuf; encoding=delimited; proto="io.prometheus.client.MetricFamily"',
  'application/json',
];

function clientFiles(): { text: Buffer[]; protobuf: Buffer[]; snappy: [string, Buffer][] } {
  const out = { text: [] as Buffer[], protobuf: [] as Buffer[], snappy: [] as [string, Buffer][] };
  for (const name of readdirSync(SEEDS_DIR).sort()) {
    const body = readFileSync(join(SEEDS_DIR, name));
    if (name.endsWith('.txt')) out.text.push(body);
    else if (name.endsWith('.pb')) out.protobuf.push(body);
    else if (name.endsWith('.sz')) out.snappy.push([name, body]);
  }
  return out;
}

let cached: Corpus | undefined;

export function loadCorpus(): Corpus {
  if (cached !== undefined) return cached;
  const files = clientFiles();
  const corpus: Corpus = {
    text: [...files.text],
    protobuf: [...files.protobuf, encodeDelimited(FIXTURE)],
    encoded: [],
    urls: [],
    accept: [...ACCEPT_SEEDS],
    acceptEncoding: [...ACCEPT_ENCODING_SEEDS],
    contentType: [...CONTENT_TYPE_SEEDS],
  };
  for (const [i, dc] of CASES.entries()) {
    for (const step of expandCase(dc, i).steps) {
      corpus.urls.push(step.path);
      const h = step.headers ?? {};
      for (const [k, v] of Object.entries(h)) {
        const key = k.toLowerCase();
        if (key === 'content-type') corpus.contentType.push(v);
        if (key === 'accept') corpus.accept.push(v);
      }
      if (step.body === undefined || step.body.length === 0) continue;
      const encoding = Object.entries(h).find(([k]) => k.toLowerCase() === 'content-encoding')?.[1];
      const isPb = step.pb !== undefined;
      if (encoding !== undefined && encoding !== '') corpus.encoded.push({ encoding, body: step.body, protobuf: isPb });
      else if (isPb) corpus.protobuf.push(step.body);
      else corpus.text.push(step.body);
    }
    for (const v of Object.values(dc.scrapeHeaders ?? {})) corpus.accept.push(v);
  }
  for (const [name, body] of files.snappy)
    corpus.encoded.push({ encoding: 'snappy', body, protobuf: name.includes('.pb') });
  // Real encoders over the seed payloads; the decoded form is known, so the decoder's output is checked.
  for (const [payloads, protobuf] of [
    [corpus.text, false],
    [corpus.protobuf, true],
  ] as const) {
    for (const p of payloads.slice(0, 40)) {
      corpus.encoded.push({ encoding: 'gzip', body: gzipSync(p), decoded: p, protobuf });
      corpus.encoded.push({ encoding: 'snappy', body: snappyFramed(p), decoded: p, protobuf });
      corpus.encoded.push({ encoding: 'snappy', body: snappyFramed(p, false), decoded: p, protobuf });
    }
  }
  corpus.accept = [...new Set(corpus.accept)];
  corpus.contentType = [...new Set(corpus.contentType)];
  corpus.urls = [...new Set(corpus.urls)];
  cached = corpus;
  return corpus;
}
