/**
 * The HTTPS listener takes its TLS settings from the config in force at each new connection: a source
 * that hands out a new WebConfig (as the reloading source will) changes the policy of the next handshake,
 * connections already open keep theirs; a new config whose certificate cannot be read, or which turns TLS
 * off, is logged and the last good settings keep serving. In-process (startGateway with a source whose
 * config the test replaces), on real sockets.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { connect, type ClientHttp2Session } from 'node:http2';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { defaultConfig } from '../../src/cli.js';
import { startGateway } from '../../src/gateway.js';
import { tlsSwitchProblem } from '../../src/http/tls-listener.js';
import type { TlsServerConfig, WebConfig } from '../../src/web-config/web-config.js';
import { makeTestCertificates } from '../helpers/certificates.js';
import { freePort } from '../helpers/servers.js';
import { httpsOnce, makeClientCertificates } from '../helpers/tls-clients.js';

const certs = makeTestCertificates('pgw-tls-reload-');
const clients = makeClientCertificates(certs);
after(() => rmSync(certs.dir, { recursive: true, force: true }));
const ca = certs.pem.caCert;

function h2Status(session: ClientHttp2Session): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = session.request({ ':path': '/-/healthy' });
    s.on('response', (h) => resolve(Number(h[':status'])));
    s.on('error', reject);
    s.resume();
  });
}

function tlsConfig(tls: Partial<TlsServerConfig>): WebConfig {
  return {
    tlsServerConfig: {
      certFile: certs.serverCert,
      keyFile: certs.serverKey,
      clientAuthType: 'NoClientCert',
      clientAllowedSans: [],
      minVersion: 'TLS12',
      cipherSuites: [],
      curvePreferences: [],
      preferServerCipherSuites: true,
      ...tls,
    },
    http2: true,
    headers: {},
    basicAuthUsers: {},
  };
}

describe('TLS settings follow the config in force', () => {
  it('applies a new config to new connections, keeps the last good one on a bad or TLS-off config', async () => {
    let current = tlsConfig({ clientAuthType: 'RequireAndVerifyClientCert', clientCaFile: certs.caCert });
    const port = await freePort();
    const log = new PassThrough();
    let lines = '';
    log.on('data', (d: Buffer) => {
      lines += d.toString();
    });
    const config = { ...defaultConfig(), listenAddresses: [`127.0.0.1:${port}`] };
    const gw = await startGateway(config, {
      handleSignals: false,
      webConfig: { current: () => current },
      logStream: log,
    });
    try {
      assert.equal((await httpsOnce({ port, ca })).status, undefined, 'no certificate: refused');
      assert.equal((await httpsOnce({ port, ca, client: clients.signed })).status, 200);

      current = tlsConfig({ clientAuthType: 'NoClientCert' });
      assert.equal((await httpsOnce({ port, ca })).status, 200, 'the new policy applies to the next handshake');

      // A connection opened under one policy keeps it: an HTTP/2 session without a certificate still serves
      // after the policy requires one, while a new connection without one is refused.
      const session = connect(`https://127.0.0.1:${port}`, { ca, servername: 'localhost' });
      try {
        assert.equal(await h2Status(session), 200);
        current = tlsConfig({ clientAuthType: 'RequireAnyClientCert', clientCaFile: certs.caCert });
        assert.equal((await httpsOnce({ port, ca })).status, undefined, 'new connection, new policy');
        assert.equal(await h2Status(session), 200, 'open connection, old policy');
      } finally {
        session.destroy();
      }
      current = tlsConfig({});
      assert.equal((await httpsOnce({ port, ca })).status, 200);

      // A certificate file gone since the config was read: logged, the last good settings stay.
      current = tlsConfig({ certFile: path.join(certs.dir, 'missing.crt') });
      assert.equal((await httpsOnce({ port, ca })).status, 200);
      assert.match(lines, /code=PGW_ERR_TLS_SETTINGS.*missing\.crt/);

      current = { http2: true, headers: {}, basicAuthUsers: {} };
      assert.equal((await httpsOnce({ port, ca })).status, 200, 'still HTTPS after a config without TLS');
      assert.match(lines, /turns TLS off/);
    } finally {
      assert.equal(await gw.stop(), 0);
    }
  });

  it('tlsSwitchProblem names a reload that turns TLS on or off, and nothing else', () => {
    const on = tlsConfig({});
    const off: WebConfig = { http2: true, headers: {}, basicAuthUsers: {} };
    assert.match(tlsSwitchProblem(off, on) ?? '', /turns TLS on/);
    assert.match(tlsSwitchProblem(on, off) ?? '', /turns TLS off/);
    assert.equal(tlsSwitchProblem(on, tlsConfig({ minVersion: 'TLS13' })), undefined);
    const framed: WebConfig = { ...off, headers: { 'X-Frame-Options': 'deny' } };
    assert.equal(tlsSwitchProblem(off, framed), undefined);
  });
});
