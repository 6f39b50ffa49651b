/**
 * --web.config.file with basic auth and headers (issue 10's first usable step): the gateway started with
 * such a file answers 401 with `WWW-Authenticate: Basic` without the right credentials, serves every
 * endpoint with them, and sets the configured headers on every answer; a bad file stops the start with
 * exit 1 naming the key. (TLS from the file: tls-listener.test.ts, tls-client-auth.test.ts.)
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { OUR_CLI, freePort } from '../helpers/servers.js';

const dir = mkdtempSync(path.join(tmpdir(), 'pgw-webcfg-'));
const auth = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

let child: ChildProcess;
let base: string;

before(async () => {
  const file = path.join(dir, 'web.yml');
  writeFileSync(
    file,
    [
      'basic_auth_users:',
      `  alice: ${bcrypt.hashSync('s3cret', 4)}`,
      'http_server_config:',
      '  headers:',
      '    X-Content-Type-Options: nosniff',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  child = spawn(process.execPath, [OUR_CLI, `--web.listen-address=127.0.0.1:${port}`, `--web.config.file=${file}`], {
    stdio: 'ignore',
  });
  const deadline = Date.now() + 15_000;
  for (;;) {
    assert.ok(Date.now() < deadline, 'the gateway did not start listening');
    try {
      const res = await fetch(`${base}/-/healthy`);
      await res.arrayBuffer();
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
});

after(() => {
  child.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe('--web.config.file with basic_auth_users and headers', () => {
  it('answers 401 with WWW-Authenticate and the configured header without credentials or with wrong ones', async () => {
    for (const headers of [{}, { Authorization: auth('alice', 'wrong') }, { Authorization: auth('bob', 's3cret') }]) {
      for (const p of ['/-/healthy', '/metrics', '/api/v1/status', '/']) {
        const res = await fetch(`${base}${p}`, { headers });
        assert.equal(res.status, 401, p);
        assert.equal(await res.text(), 'Unauthorized\n');
        assert.equal(res.headers.get('www-authenticate'), 'Basic');
        assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
      }
    }
    const push = await fetch(`${base}/metrics/job/j`, { method: 'PUT', body: 'm 1\n' });
    assert.equal(push.status, 401);
  });

  it('serves pushes, scrapes and the API with the right credentials, with the configured header', async () => {
    const headers = { Authorization: auth('alice', 's3cret') };
    const push = await fetch(`${base}/metrics/job/j`, { method: 'PUT', body: 'm_auth 1\n', headers });
    assert.equal(push.status, 200, await push.text());
    const scrape = await fetch(`${base}/metrics`, { headers });
    assert.equal(scrape.status, 200);
    assert.match(await scrape.text(), /^m_auth\{instance="",job="j"\} 1$/m);
    assert.equal(scrape.headers.get('x-content-type-options'), 'nosniff');
    const api = await fetch(`${base}/api/v1/status`, { headers });
    assert.equal(api.status, 200);
    assert.equal(JSON.parse(await api.text()).status, 'success');
  });

  it('a file with an unknown key stops the start with exit 1, naming the key', () => {
    const bad = path.join(dir, 'bad.yml');
    writeFileSync(bad, 'basic_auth_users: {}\nno_such_key: 1\n');
    const r = spawnSync(process.execPath, [OUR_CLI, '--web.listen-address=127.0.0.1:0', `--web.config.file=${bad}`], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /no_such_key/);
    assert.match(r.stderr, /--web\.config\.file/);
  });
});
