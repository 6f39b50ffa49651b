/**
 * Router target: Router.route over raw request targets (path and query as a client sends them) with
 * the gateway's route table, then parseGroupingKey on a matched push route, as the server does. A
 * routed result is one of the known kinds, and a clean-path redirect leads to a path that needs no
 * further cleaning (no redirect loop).
 */
import { Router, cleanPath, decodePath, escapePath, type RouteResult } from '../../src/http/router.js';
import { parseGroupingKey } from '../../src/model/grouping-key.js';
import { mutate, type MutateOptions } from '../mutate.js';
import type { Rng } from '../prng.js';
import type { Corpus } from '../seeds.js';
import { expect, type Target } from '../target.js';

export interface RouterInput {
  method: string;
  url: string;
  utf8Names: boolean;
}

type Handler = { push: boolean; base64: boolean };
const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'CONNECT'];
const DICTIONARY = [
  '/',
  '//',
  '/./',
  '/../',
  '..',
  '%',
  '%2F',
  '%2f',
  '%FF',
  '%C3%A9',
  '%00',
  '%zz',
  '%4',
  '?',
  '#',
  '@base64',
  '/metrics/job/',
  '/api/v1/',
  '/-/healthy',
  'METRICS',
  '+',
  ' ',
  'ü',
  '=',
  '*',
];
let opts: MutateOptions;
let routers: Router<Handler>[];

/** The gateway's route table (http/server.ts buildRouter), with dummy handlers, under a prefix. */
function gatewayRouter(prefix: string): Router<Handler> {
  const r = new Router<Handler>();
  const other = { push: false, base64: false };
  r.add('GET', prefix === '' ? '/metrics' : `${prefix}/metrics`, other);
  for (const [job, base64] of [
    ['job', false],
    ['job@base64', true],
  ] as const) {
    for (const tail of ['/:job', '/:job/*labels']) {
      for (const m of ['PUT', 'POST', 'DELETE']) r.add(m, `${prefix}/metrics/${job}${tail}`, { push: true, base64 });
    }
  }
  for (const p of ['/-/healthy', '/-/ready', '/', '/status', '/static/*filepath']) r.add('GET', prefix + p, other);
  r.add('PUT', `${prefix}/-/quit`, other);
  r.add('POST', `${prefix}/-/quit`, other);
  r.addSubtree(`${prefix}/api/v1/`);
  r.add('GET', `${prefix}/api/v1/status`, other, `${prefix}/api/v1/`);
  r.add('GET', `${prefix}/api/v1/metrics`, other, `${prefix}/api/v1/`);
  r.add('OPTIONS', `${prefix}/api/v1/*path`, other, `${prefix}/api/v1/`);
  r.add('PUT', `${prefix}/api/v1/admin/wipe`, other, `${prefix}/api/v1/`);
  return r;
}

export const routerTarget: Target<RouterInput, RouteResult<Handler>> = {
  name: 'router',
  weight: 10,
  init(corpus: Corpus) {
    routers = [gatewayRouter(''), gatewayRouter('/pg')];
    opts = { dictionary: DICTIONARY, corpus: corpus.urls.map((u) => Buffer.from(u, 'latin1')), maxBytes: 16 * 1024 };
  },
  generate(rng: Rng) {
    const url = mutate(rng, rng.pick(opts.corpus), opts).toString('latin1');
    return { method: rng.pick(METHODS), url: rng.chance(0.1) ? `/pg${url}` : url, utf8Names: rng.chance(0.3) };
  },
  exec(i) {
    const router = i.url.startsWith('/pg') ? routers[1]! : routers[0]!;
    const result = router.route(i.method, i.url);
    if (result.kind === 'match' && result.handler.push) {
      parseGroupingKey(result.params.job!, result.handler.base64, result.params.labels ?? '', {
        utf8Names: i.utf8Names,
      });
    }
    return result;
  },
  check(i, result) {
    expect(
      ['match', 'redirect', 'options', 'method-not-allowed', 'not-found', 'bad-request'].includes(result.kind),
      `kind ${result.kind}`,
    );
    const path = decodePath(i.url.split('?')[0]!);
    if (path !== undefined) {
      const cleaned = cleanPath(path);
      expect(
        decodePath(escapePath(cleaned)) === cleaned,
        `escapePath(${JSON.stringify(cleaned)}) does not decode back`,
      );
      expect(cleanPath(cleaned) === cleaned, `cleanPath is not idempotent on ${JSON.stringify(path)}`);
    }
    if (result.kind === 'redirect') expect(result.location !== i.url, `redirect to itself: ${i.url}`);
  },
  size: (i) => i.url.length,
  save: (i) => ({
    bytes: Buffer.from(JSON.stringify(i), 'utf8'),
    note: 'JSON of {method, url, utf8Names} (url as latin1 bytes)',
  }),
};
