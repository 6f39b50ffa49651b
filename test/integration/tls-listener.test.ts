/**
 * --web.config.file with tls_server_config, on a real process and real sockets: every listener serves
 * HTTPS (each --web.listen-address and a systemd socket), pushes and scrapes work over it with node's
 * https client and curl, HTTP/2 is chosen by ALPN while HTTP/1.1 is still served, `http2: false` offers
 * HTTP/1.1 only, versions and cipher suites are as configured, and basic auth works over TLS.
 * Certificates are made at test time (test/helpers/certificates.ts).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { makeTestCertificates } from '../helpers/certificates.js';
import { OUR_CLI, freePort, startOurs, startOursWith, type RunningGateway } from '../helpers/servers.js';
import { skipUnlessProgram } from '../helpers/skip.js';
import { http2Once, httpsHealthy, httpsOnce } from '../helpers/tls-clients.js';

const certs = makeTestCertificates('pgw-tls-');
after(() => rmSync(certs.dir, { recursive: true, force: true }));
const ca = certs.pem.caCert;
const curlMissing = skipUnlessProgram('curl', 'apt-get install -y curl');

let files = 0;
function webConfig(...lines: string[]): string {
  const file = path.join(certs.dir, `web-${files++}.yml`);
  const tls = ['tls_server_config:', `  cert_file: ${certs.serverCert}`, `  key_file: ${certs.serverKey}`];
  writeFileSync(file, [...tls, ...lines, ''].join('\n'));
  return file;
}

function startTls(file: string, args: string[] = []): Promise<RunningGateway> {
  return startOurs([`--web.config.file=${file}`, ...args], { spawn: { healthy: httpsHealthy(ca) } });
}

describe('HTTPS listener', () => {
  it('serves pushes and scrapes over HTTPS, HTTP/2 by ALPN and HTTP/1.1 beside it', async () => {
    const gw = await startTls(webConfig());
    try {
      const put = await httpsOnce({ port: gw.port, ca, method: 'PUT', path: '/metrics/job/tls', body: 'm 1\n' });
      assert.equal(put.status, 200, put.error);
      // node:https offers no ALPN: HTTP/1.1 without a protocol chosen, as Go answers such a client.
      assert.equal(put.alpn, false);
      const h1 = await httpsOnce({ port: gw.port, ca, path: '/metrics', tls: { ALPNProtocols: ['http/1.1'] } });
      assert.equal(h1.alpn, 'http/1.1');
      assert.match(h1.body ?? '', /^m\{instance="",job="tls"\} 1$/m);
      const h2 = await http2Once({ port: gw.port, ca, path: '/metrics' });
      assert.equal(h2.alpn, 'h2');
      assert.equal(h2.status, 200, h2.error);
      assert.match(h2.body ?? '', /^m\{instance="",job="tls"\} 1$/m);
      const h2push = await http2Once({ port: gw.port, ca, method: 'POST', path: '/metrics/job/h2', body: 'n 2\n' });
      assert.equal(h2push.status, 200, h2push.error);
      const bad = await http2Once({ port: gw.port, ca, method: 'POST', path: '/metrics/job/h2', body: 'n{ 2\n' });
      assert.equal(bad.status, 400);
      // The rejection's log line names the HTTP/2 client's address, as for HTTP/1.1.
      const deadline = Date.now() + 5_000;
      while (!/failed to parse push body/.test(gw.output()) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.match(gw.output(), /failed to parse push body.*source=127\.0\.0\.1:\d+/);
      const gz = await http2Once({ port: gw.port, ca, path: '/metrics', headers: { 'accept-encoding': 'gzip' } });
      assert.equal(gz.headers?.['content-encoding'], 'gzip');
      const redirect = await http2Once({ port: gw.port, ca, path: '/metrics/' });
      assert.equal(redirect.status, 301);
      // HEAD is answered as over HTTP/1.1 (the routes take GET only), without a body.
      const head = await http2Once({ port: gw.port, ca, method: 'HEAD', path: '/-/healthy' });
      const head1 = await httpsOnce({ port: gw.port, ca, method: 'HEAD', path: '/-/healthy' });
      assert.equal(head.status, head1.status);
      assert.equal(head.body, '');
      const status = await http2Once({ port: gw.port, ca, path: '/api/v1/metrics' });
      assert.match(status.body ?? '', /"job":"h2"/);
      assert.match(gw.output(), /TLS is enabled" http2=true/);
      // A plain HTTP request to the HTTPS port gets no HTTP answer.
      const plain = await fetch(`http://127.0.0.1:${gw.port}/-/healthy`).then(
        (r) => r.status,
        () => 'failed',
      );
      assert.notEqual(plain, 200);
    } finally {
      assert.equal(await gw.stop(), 0);
    }
  });

  it('curl pushes and scrapes over HTTPS (HTTP/2 when it can)', { skip: curlMissing }, async () => {
    const gw = await startTls(webConfig());
    try {
      const curl = (...args: string[]) =>
        spawnSync('curl', ['-sS', '--cacert', certs.caCert, '-w', '\\n%{http_code} %{http_version}', ...args], {
          encoding: 'utf8',
          timeout: 10_000,
        });
      const base = `https://localhost:${gw.port}`;
      const push = curl(
        '--resolve',
        `localhost:${gw.port}:127.0.0.1`,
        '--data-binary',
        'c 3\n',
        `${base}/metrics/job/curl`,
      );
      assert.equal(push.status, 0, push.stderr);
      assert.match(push.stdout, /^200 /m);
      const scrape = curl('--resolve', `localhost:${gw.port}:127.0.0.1`, `${base}/metrics`);
      assert.equal(scrape.status, 0, scrape.stderr);
      assert.match(scrape.stdout, /^c\{instance="",job="curl"\} 3$/m);
      const h11 = curl('--http1.1', '--resolve', `localhost:${gw.port}:127.0.0.1`, `${base}/-/healthy`);
      assert.match(h11.stdout, /^200 1\.1$/m);
      const h2 = curl('--http2', '--resolve', `localhost:${gw.port}:127.0.0.1`, `${base}/-/healthy`);
      if (/^200 2$/m.test(h2.stdout)) assert.ok(true);
      else console.warn(`curl without HTTP/2 support here: ${h2.stdout.trim()}`);
      assert.match(h2.stdout, /^200 (2|1\.1)$/m);
    } finally {
      await gw.stop();
    }
  });

  it('http2: false offers HTTP/1.1 only: an h2-only client fails, HTTP/1.1 works', async () => {
    const gw = await startTls(webConfig('http_server_config:', '  http2: false'));
    try {
      const h1 = await httpsOnce({ port: gw.port, ca, tls: { ALPNProtocols: ['h2', 'http/1.1'] } });
      assert.equal(h1.status, 200, h1.error);
      assert.equal(h1.alpn, 'http/1.1');
      const h2 = await http2Once({ port: gw.port, ca });
      assert.equal(h2.status, undefined);
      assert.ok(h2.error !== undefined);
      assert.notEqual(h2.alpn, 'h2');
    } finally {
      await gw.stop();
    }
  });

  it('min_version TLS13 refuses a TLS 1.2 client; max_version TLS12 caps the version', async () => {
    const only13 = await startTls(webConfig('  min_version: TLS13'));
    try {
      const old = await httpsOnce({ port: only13.port, ca, tls: { maxVersion: 'TLSv1.2' } });
      assert.equal(old.status, undefined);
      assert.match(old.error ?? '', /EPROTO|VERSION|alert/i);
      const ok = await httpsOnce({ port: only13.port, ca });
      assert.equal(ok.status, 200, ok.error);
      assert.equal(ok.protocol, 'TLSv1.3');
    } finally {
      await only13.stop();
    }
    const only12 = await startTls(webConfig('  max_version: TLS12'));
    try {
      const o = await httpsOnce({ port: only12.port, ca });
      assert.equal(o.status, 200, o.error);
      assert.equal(o.protocol, 'TLSv1.2');
      const new13 = await httpsOnce({ port: only12.port, ca, tls: { minVersion: 'TLSv1.3' } });
      assert.equal(new13.status, undefined);
    } finally {
      await only12.stop();
    }
  });

  it('cipher_suites restricts the TLS 1.2 suites (mapped to OpenSSL names); TLS 1.3 keeps its suites', async () => {
    const file = webConfig(
      '  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256]',
      '  prefer_server_cipher_suites: true',
      '  curve_preferences: [CurveP384]',
    );
    const gw = await startTls(file);
    try {
      const o = await httpsOnce({ port: gw.port, ca, tls: { maxVersion: 'TLSv1.2' } });
      assert.equal(o.status, 200, o.error);
      // The server's order wins: its first suite, though the client lists the 128-bit one first.
      assert.equal(o.cipher, 'ECDHE-ECDSA-AES256-GCM-SHA384');
      const outside = await httpsOnce({
        port: gw.port,
        ca,
        tls: { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-CHACHA20-POLY1305' },
      });
      assert.equal(outside.status, undefined);
      const tls13 = await httpsOnce({ port: gw.port, ca, tls: { minVersion: 'TLSv1.3' } });
      assert.equal(tls13.status, 200, tls13.error);
      assert.match(tls13.cipher ?? '', /^TLS_/);
    } finally {
      await gw.stop();
    }
  });

  it('TLS 1.3 negotiates AES-128-GCM first, as the reference, and ChaCha20 for a client preferring it', async () => {
    const gw = await startTls(webConfig());
    try {
      // Node's and curl's clients list TLS_AES_256_GCM_SHA384 first; the server's order wins, as in Go.
      const plain = await httpsOnce({ port: gw.port, ca, tls: { minVersion: 'TLSv1.3' } });
      assert.equal(plain.status, 200, plain.error);
      assert.equal(plain.cipher, 'TLS_AES_128_GCM_SHA256');
      const chacha = await httpsOnce({
        port: gw.port,
        ca,
        tls: { minVersion: 'TLSv1.3', ciphers: 'TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256' },
      });
      assert.equal(chacha.status, 200, chacha.error);
      assert.equal(chacha.cipher, 'TLS_CHACHA20_POLY1305_SHA256');
    } finally {
      await gw.stop();
    }
  });

  it('basic auth works over HTTPS and HTTP/2: 401 without credentials, 200 with them', async () => {
    const hash = bcrypt.hashSync('pw', 4);
    const file = webConfig('basic_auth_users:', `  joe: ${hash}`);
    const authorization = `Basic ${Buffer.from('joe:pw').toString('base64')}`;
    const gw = await startOurs([`--web.config.file=${file}`], {
      spawn: {
        healthy: async (url) =>
          (await httpsOnce({ port: Number(new URL(url).port), ca, headers: { authorization } })).status === 200,
      },
    });
    try {
      const denied = await httpsOnce({ port: gw.port, ca, path: '/metrics' });
      assert.equal(denied.status, 401);
      assert.equal(denied.headers?.['www-authenticate'], 'Basic');
      const h2denied = await http2Once({ port: gw.port, ca, path: '/metrics' });
      assert.equal(h2denied.status, 401);
      const h2 = await http2Once({
        port: gw.port,
        ca,
        method: 'PUT',
        path: '/metrics/job/auth',
        body: 'a 1\n',
        headers: { authorization },
      });
      assert.equal(h2.status, 200, h2.error);
      const scrape = await httpsOnce({ port: gw.port, ca, path: '/metrics', headers: { authorization } });
      assert.match(scrape.body ?? '', /^a\{instance="",job="auth"\} 1$/m);
    } finally {
      await gw.stop();
    }
  });

  it('every --web.listen-address serves HTTPS', async () => {
    const second = await freePort();
    const gw = await startTls(webConfig(), [`--web.listen-address=127.0.0.1:${second}`]);
    try {
      const a = await httpsOnce({ port: second, ca, method: 'PUT', path: '/metrics/job/two', body: 'x 1\n' });
      assert.equal(a.status, 200, a.error);
      const b = await http2Once({ port: gw.port, ca, path: '/metrics' });
      assert.match(b.body ?? '', /^x\{instance="",job="two"\} 1$/m);
    } finally {
      await gw.stop();
    }
  });

  it('a systemd socket serves HTTPS', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, resolve));
    const port = (server.address() as { port: number }).port;
    const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
    const script = `LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@"`;
    const gw = await startOursWith(
      '/bin/sh',
      ['-c', script, process.execPath, OUR_CLI, '--web.systemd-socket', `--web.config.file=${webConfig()}`],
      port,
      { extraFds: [fd], afterSpawn: () => server.close(), healthy: httpsHealthy(ca) },
    );
    try {
      const h2 = await http2Once({ port, ca, method: 'PUT', path: '/metrics/job/socket', body: 's 1\n' });
      assert.equal(h2.status, 200, h2.error);
      assert.equal(h2.alpn, 'h2');
      assert.match(gw.output(), /listening on a systemd socket/);
    } finally {
      await gw.stop();
    }
  });

  it('stops gracefully with an HTTP/2 session and an HTTP/1.1 keep-alive connection open', async () => {
    const gw = await startTls(webConfig());
    const { connect } = await import('node:http2');
    const { Agent, request } = await import('node:https');
    const session = connect(`https://127.0.0.1:${gw.port}`, { ca, servername: 'localhost' });
    const agent = new Agent({ keepAlive: true, ca, servername: 'localhost' });
    try {
      const first = await new Promise<number>((resolve, reject) => {
        const s = session.request({ ':path': '/-/healthy' });
        s.on('response', (h) => resolve(Number(h[':status'])));
        s.on('error', reject);
        s.resume();
      });
      assert.equal(first, 200);
      const keptAlive = await new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: gw.port, path: '/-/healthy', agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        });
        req.on('error', reject);
        req.end();
      });
      assert.equal(keptAlive, 200);
      const goaway = new Promise<void>((resolve) => session.once('goaway', () => resolve()));
      // Both idle connections are closed (GOAWAY for the session) and the process exits 0 by itself: the
      // helper's SIGKILL after 5 s would give null, the 30 s cutoff would not be reached.
      assert.equal(await gw.stop(), 0);
      await goaway;
    } finally {
      session.destroy();
      agent.destroy();
    }
  });
});
