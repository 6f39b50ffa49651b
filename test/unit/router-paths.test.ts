import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfig } from '../../src/cli.js';
import { RouteConflict, Router, cleanPath, decodePath, escapePath, joinPath } from '../../src/http/router.js';
import { routeTable } from '../../src/http/routes.js';
import { groupingKeyHasInvalidUtf8, parseGroupingKey } from '../../src/model/grouping-key.js';
import { goQuote } from '../../src/model/go-quote.js';

describe('Go path handling', () => {
  it('decodes percent escapes once, keeping + literal and %2F as a separator', () => {
    assert.equal(decodePath('/metrics/job/a+b/inst/x%20y'), '/metrics/job/a+b/inst/x y');
    assert.equal(decodePath('/metrics/job/a%2Fb'), '/metrics/job/a/b');
    assert.equal(decodePath('/x/%CE%A0%CF%81%CE%BF'), '/x/Προ');
    assert.equal(decodePath('/x/%zz'), undefined);
    assert.equal(decodePath('/x/%4'), undefined);
  });
  it('keeps bytes that are not UTF-8 as they are, and escapes them back in redirects', () => {
    assert.equal(decodePath('/x/%FFa%C3'), '/x/\udcffa\udcc3');
    assert.equal(escapePath(decodePath('/x/%FF%C3%A9')!), '/x/%FF%C3%A9');
    assert.equal(goQuote(decodePath('/a%FF')!), '"/a\\xff"');
    const key = parseGroupingKey('x', false, decodePath('/l/%FF')!, { utf8Names: false });
    assert.equal(groupingKeyHasInvalidUtf8(key), true);
    assert.equal(groupingKeyHasInvalidUtf8(parseGroupingKey('Y-8', true, '', { utf8Names: false })), true);
    assert.equal(
      groupingKeyHasInvalidUtf8(parseGroupingKey('x', false, decodePath('/l/%EF%BF%BD')!, { utf8Names: false })),
      false,
    );
    assert.throws(
      () => parseGroupingKey('x', false, decodePath('/%FF/v')!, { utf8Names: true }),
      /improper label name "\\xff"/,
    );
  });
  it('cleans like ServeMux, keeping one trailing slash', () => {
    const table: [string, string][] = [
      ['/metrics/job/foo/a//b', '/metrics/job/foo/a/b'],
      ['/a/./b', '/a/b'],
      ['/a/../b', '/b'],
      ['/metrics/', '/metrics/'],
      ['/..', '/'],
      ['', '/'],
      ['/a//', '/a/'],
      ['/a/b/../', '/a/'],
    ];
    for (const [input, want] of table) assert.equal(cleanPath(input), want, input);
  });
  it('escapes redirect locations like url.URL.EscapedPath', () => {
    assert.equal(escapePath('/metrics/job/x y/a+b/é'), '/metrics/job/x%20y/a+b/%C3%A9');
    assert.equal(escapePath('/a/$&+,:;=@/~'), '/a/$&+,:;=@/~');
  });
  it('joins the telemetry path under a prefix', () => {
    assert.equal(joinPath('/', '/metrics'), '/metrics');
    assert.equal(joinPath('/pg', 'metrics'), '/pg/metrics');
    assert.equal(joinPath('/pg', '/metrics/'), '/pg/metrics');
  });
});

describe('httprouter semantics', () => {
  const r = new Router<string>();
  r.add('GET', '/metrics', 'scrape');
  r.add('PUT', '/metrics/job/:job', 'push');
  r.add('PUT', '/metrics/job/:job/*labels', 'push-labels');
  r.add('DELETE', '/metrics/job/:job', 'delete');
  r.addSubtree('/api/v1/');

  it('matches params and the catch-all with its leading slash', () => {
    assert.deepEqual(r.route('PUT', '/metrics/job/x'), {
      kind: 'match',
      handler: 'push',
      params: { job: 'x' },
      path: '/metrics/job/x',
    });
    const m = r.route('PUT', '/metrics/job/x/a/b');
    assert.equal(m.kind, 'match');
    assert.deepEqual(m.kind === 'match' && m.params, { job: 'x', labels: '/a/b' });
    const slash = r.route('PUT', '/metrics/job/x/');
    assert.deepEqual(slash.kind === 'match' && slash.params, { job: 'x', labels: '/' });
  });
  it('redirects cleaned paths with 301 for every method, keeping the query', () => {
    assert.deepEqual(r.route('PUT', '/metrics/job/x/a//b?z=1'), {
      kind: 'redirect',
      status: 301,
      location: '/metrics/job/x/a/b?z=1',
    });
  });
  it('redirects a toggled trailing slash: 301 for GET, 307 otherwise', () => {
    assert.deepEqual(r.route('GET', '/metrics/'), { kind: 'redirect', status: 301, location: '/metrics' });
    assert.deepEqual(r.route('PUT', '/metrics/job/'), { kind: 'redirect', status: 307, location: '/metrics/job' });
  });
  it('fixes the case of static segments', () => {
    assert.deepEqual(r.route('GET', '/METRICS'), { kind: 'redirect', status: 301, location: '/metrics' });
    assert.deepEqual(r.route('PUT', '/Metrics/Job/X'), { kind: 'redirect', status: 307, location: '/metrics/job/X' });
  });
  it('answers 405 with a sorted Allow list and OPTIONS automatically', () => {
    assert.deepEqual(r.route('GET', '/metrics/job/x'), { kind: 'method-not-allowed', allow: 'DELETE, OPTIONS, PUT' });
    assert.deepEqual(r.route('POST', '/metrics'), { kind: 'method-not-allowed', allow: 'GET, OPTIONS' });
    assert.deepEqual(r.route('HEAD', '/metrics'), { kind: 'method-not-allowed', allow: 'GET, OPTIONS' });
    assert.deepEqual(r.route('OPTIONS', '/metrics/job/x'), { kind: 'options', allow: 'DELETE, OPTIONS, PUT' });
  });
  it("keeps a subtree's routes apart from the main ones, as ServeMux hands a path to one router only", () => {
    const t = new Router<string>();
    t.add('GET', '/api/v1/scrape-here', 'scrape');
    t.add('GET', '/status', 'page');
    t.addSubtree('/api/v1/');
    t.add('GET', '/api/v1/status', 'api-status', '/api/v1/');
    assert.deepEqual(t.route('GET', '/api/v1/status'), {
      kind: 'match',
      handler: 'api-status',
      params: {},
      path: '/api/v1/status',
    });
    // A main route below the subtree root is never reached.
    assert.deepEqual(t.route('GET', '/api/v1/scrape-here'), { kind: 'not-found' });
    // No case fix or trailing-slash redirect from outside the subtree into it, nor out of it.
    assert.deepEqual(t.route('GET', '/API/v1/status'), { kind: 'not-found' });
    assert.deepEqual(t.route('GET', '/api/v1/Status'), { kind: 'redirect', status: 301, location: '/status' });
    assert.deepEqual(t.route('POST', '/api/v1/status'), { kind: 'method-not-allowed', allow: 'GET, OPTIONS' });
    assert.deepEqual(t.route('GET', '/STATUS'), { kind: 'redirect', status: 301, location: '/status' });
  });
  it('redirects a subtree root and 404s the rest', () => {
    assert.deepEqual(r.route('GET', '/api/v1'), { kind: 'redirect', status: 301, location: '/api/v1/' });
    assert.deepEqual(r.route('GET', '/nope'), { kind: 'not-found' });
    assert.deepEqual(r.route('GET', '/x/%zz'), { kind: 'bad-request' });
  });
});

describe('the route table', () => {
  it('refuses a route that collides with one it holds, as httprouter panics', () => {
    const router = new Router<string>();
    router.add('GET', '/static/*filepath', 'static');
    router.add('GET', '/status', 'status');
    assert.equal(router.heldOver('GET', '/static/x'), '/static/*filepath');
    assert.equal(router.heldOver('GET', '/status'), '/status');
    assert.equal(router.heldOver('GET', '/static'), undefined);
    assert.equal(router.heldOver('PUT', '/status'), undefined);
    assert.throws(
      () => router.add('GET', '/static/a/b', 'scrape'),
      (err: unknown) =>
        err instanceof RouteConflict && err.pattern === '/static/a/b' && err.held === '/static/*filepath',
    );
  });
  it("holds pprof's paths as the reference does, so they route (and collide) the same", () => {
    const config = defaultConfig();
    const table = routeTable(config);
    assert.deepEqual(table.route('GET', '/debug/pprof'), { kind: 'redirect', status: 301, location: '/debug/pprof/' });
    assert.deepEqual(table.route('POST', '/debug/pprof/x'), { kind: 'method-not-allowed', allow: 'GET, OPTIONS' });
    assert.equal(table.route('GET', '/metrics').kind, 'match');
    assert.throws(() => routeTable({ ...config, telemetryPath: '/debug/pprof/heap' }), RouteConflict);
  });
});
