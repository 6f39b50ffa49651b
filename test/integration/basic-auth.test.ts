/**
 * The --web.config.file gate on a real listener (in process, loopback, port 0), with a WebConfig as the
 * loader will make one: without credentials or with a wrong password every route answers 401
 * `Unauthorized` with `WWW-Authenticate: Basic`, as exporter-toolkit does; with the right ones /metrics, a
 * push and /api/v1/status work; the configured headers are on every answer, 401s and 404s included; OPTIONS *
 * is answered before the gate, as net/http does. Without a WebConfig nothing changes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import bcrypt from 'bcryptjs';
import { startInProcess, type InProcessGateway } from '../helpers/in-process.js';
import type { WebConfig } from '../../src/web-config/web-config.js';

const HEADERS = {
  'X-Frame-Options': 'deny',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'",
  'Strict-Transport-Security': 'max-age=31536000',
};
const RIGHT = `Basic ${Buffer.from('alice:s3cret:with-colon').toString('base64')}`;
const WRONG = `Basic ${Buffer.from('alice:nope').toString('base64')}`;
const UNKNOWN = `Basic ${Buffer.from('mallory:s3cret:with-colon').toString('base64')}`;

function assertConfiguredHeaders(res: Response, what: string): void {
  for (const [name, value] of Object.entries(HEADERS)) assert.equal(res.headers.get(name), value, `${what}: ${name}`);
}

async function assertUnauthorized(res: Response, what: string): Promise<void> {
  assert.equal(res.status, 401, what);
  assert.equal(res.headers.get('www-authenticate'), 'Basic', what);
  assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8', what);
  assert.equal(await res.text(), 'Unauthorized\n', what);
  assertConfiguredHeaders(res, what);
}

describe('basic auth and configured headers in front of every route', () => {
  let gw: InProcessGateway;
  before(async () => {
    const webConfig: WebConfig = {
      http2: true,
      headers: HEADERS,
      basicAuthUsers: { alice: bcrypt.hashSync('s3cret:with-colon', 4) },
    };
    gw = await startInProcess({ webConfig });
  });
  after(() => gw.close());

  it('answers 401 with WWW-Authenticate and the configured headers without credentials', async () => {
    for (const [method, path] of [
      ['GET', '/metrics'],
      ['GET', '/-/healthy'],
      ['GET', '/'],
      ['GET', '/api/v1/status'],
      ['PUT', '/metrics/job/j'],
      ['DELETE', '/metrics/job/j'],
      ['GET', '/no/such/page'],
      ['HEAD', '/metrics'],
    ]) {
      const res = await fetch(`${gw.url}${path}`, { method: method!, ...(method === 'PUT' ? { body: 'x 1\n' } : {}) });
      if (method === 'HEAD') {
        assert.equal(res.status, 401);
        assert.equal(res.headers.get('www-authenticate'), 'Basic');
        assertConfiguredHeaders(res, 'HEAD');
      } else {
        await assertUnauthorized(res, `${method} ${path}`);
      }
    }
  });

  it('answers 401 for a wrong password, an unknown user and credentials Go would not read', async () => {
    for (const authorization of [WRONG, UNKNOWN, RIGHT.replace('=', ''), `Bearer ${RIGHT.slice(6)}`]) {
      await assertUnauthorized(await fetch(`${gw.url}/metrics`, { headers: { authorization } }), authorization);
    }
  });

  it('lets the right credentials push, scrape and read the API, with the headers on each answer', async () => {
    const headers = { authorization: RIGHT };
    const push = await fetch(`${gw.url}/metrics/job/auth_test`, { method: 'PUT', headers, body: 'auth_metric 42\n' });
    assert.equal(push.status, 200);
    assertConfiguredHeaders(push, 'push');
    const scrape = await fetch(`${gw.url}/metrics`, { headers });
    assert.equal(scrape.status, 200);
    assert.match(await scrape.text(), /^auth_metric\{instance="",job="auth_test"\} 42$/m);
    assertConfiguredHeaders(scrape, 'scrape');
    const status = await fetch(`${gw.url}/api/v1/status`, { headers });
    assert.equal(status.status, 200);
    assert.equal(((await status.json()) as { status: string }).status, 'success');
    assertConfiguredHeaders(status, 'api');
    // The scheme name in another case is still Basic (Go's Request.BasicAuth).
    const lower = await fetch(`${gw.url}/-/healthy`, { headers: { authorization: `basic ${RIGHT.slice(6)}` } });
    assert.equal(lower.status, 200);
    const notFound = await fetch(`${gw.url}/no/such/page`, { headers });
    assert.equal(notFound.status, 404);
    assertConfiguredHeaders(notFound, '404');
    const redirect = await fetch(`${gw.url}/metrics/`, { headers, redirect: 'manual' });
    assert.equal(redirect.status, 301);
    assertConfiguredHeaders(redirect, 'redirect');
  });

  it('keeps the connection usable after a 401 to a push whose body it did not want', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const send = (authorization: string | undefined): Promise<number> =>
      new Promise((resolve, reject) => {
        const req = http.request(
          `${gw.url}/metrics/job/keep`,
          {
            method: 'PUT',
            agent,
            headers: authorization === undefined ? {} : { authorization },
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', reject);
        req.end(Array.from({ length: 1000 }, (_, i) => `keep_metric_${i} 1\n`).join(''));
      });
    let connections = 0;
    const count = (): void => {
      connections++;
    };
    gw.server.on('connection', count);
    try {
      assert.equal(await send(undefined), 401);
      assert.equal(await send(RIGHT), 200);
      assert.equal(connections, 1, 'both requests on one connection');
    } finally {
      gw.server.off('connection', count);
      agent.destroy();
    }
  });

  it('answers OPTIONS * before the gate, as net/http does', async () => {
    const { port } = new URL(gw.url);
    const reply = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'OPTIONS', path: '*' }, resolve);
      req.on('error', reject);
      req.end();
    });
    reply.resume();
    assert.equal(reply.statusCode, 200);
    assert.equal(reply.headers['x-frame-options'], undefined);
  });
});

describe('without a WebConfig', () => {
  it('serves without credentials and sets no configured headers, as before', async () => {
    const gw = await startInProcess();
    try {
      const res = await fetch(`${gw.url}/-/healthy`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('www-authenticate'), null);
      assert.equal(res.headers.get('x-frame-options'), null);
    } finally {
      await gw.close();
    }
  });

  it('with a WebConfig of headers only, serves without credentials and sets the headers', async () => {
    const gw = await startInProcess({ webConfig: { http2: true, headers: HEADERS, basicAuthUsers: {} } });
    try {
      const res = await fetch(`${gw.url}/metrics`);
      assert.equal(res.status, 200);
      assertConfiguredHeaders(res, 'headers only');
    } finally {
      await gw.close();
    }
  });
});
