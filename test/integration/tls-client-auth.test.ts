/**
 * tls_server_config's client certificates on a real process: each of the five client_auth_type policies
 * against a client without a certificate, with one signed by the configured client CA and with a
 * self-signed one (the request is answered, or the connection fails), client_allowed_sans allowing and
 * refusing, and — where the Debian reference is installed — the same outcomes from it for the same file.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeTestCertificates } from '../helpers/certificates.js';
import { referenceSkipReason, startOurs, startReference, type RunningGateway } from '../helpers/servers.js';
import {
  http2Once,
  httpsHealthy,
  httpsOnce,
  makeClientCertificates,
  type ClientCertificate,
} from '../helpers/tls-clients.js';

const certs = makeTestCertificates('pgw-mtls-');
const clients = makeClientCertificates(certs);
after(() => rmSync(certs.dir, { recursive: true, force: true }));
const ca = certs.pem.caCert;

let files = 0;
function webConfig(policy: string, ...lines: string[]): string {
  const file = path.join(certs.dir, `web-${files++}.yml`);
  const tls = ['tls_server_config:', `  cert_file: ${certs.serverCert}`, `  key_file: ${certs.serverKey}`];
  const auth = [
    `  client_auth_type: ${policy}`,
    ...(policy === 'NoClientCert' ? [] : [`  client_ca_file: ${certs.caCert}`]),
  ];
  writeFileSync(file, [...tls, ...auth, ...lines, ''].join('\n'));
  return file;
}

type Start = (args: string[], healthy: (url: string) => Promise<boolean>) => Promise<RunningGateway>;
const ours: Start = (args, healthy) => startOurs(args, { spawn: { healthy } });
const reference: Start = (args, healthy) => startReference(args, { spawn: { healthy } });

const CASES: ReadonlyArray<readonly [string, ClientCertificate | undefined]> = [
  ['no certificate', undefined],
  ['a CA-signed certificate', clients.signed],
  ['a self-signed certificate', clients.selfSigned],
];

/** Per policy: whether each case of CASES is answered (true) or its connection fails (false). */
const EXPECTED: Readonly<Record<string, readonly boolean[]>> = {
  NoClientCert: [true, true, true],
  RequestClientCert: [true, true, true],
  RequireAnyClientCert: [false, true, true],
  VerifyClientCertIfGiven: [true, true, false],
  RequireAndVerifyClientCert: [false, true, false],
};

/** Whether each case was answered 200, over HTTP/1.1 and over HTTP/2 (which must agree). */
async function outcomes(gw: RunningGateway, http2: boolean): Promise<boolean[]> {
  const out: boolean[] = [];
  for (const [, client] of CASES) {
    const r = { port: gw.port, ca, ...(client !== undefined ? { client } : {}) };
    const h1 = await httpsOnce(r);
    if (http2) {
      const h2 = await http2Once(r);
      assert.equal(h2.status === 200, h1.status === 200, `HTTP/2 and HTTP/1.1 disagree: ${h1.error} / ${h2.error}`);
    }
    out.push(h1.status === 200);
  }
  return out;
}

describe('client_auth_type', () => {
  for (const [policy, expected] of Object.entries(EXPECTED)) {
    const title = CASES.map(([what], i) => `${what} ${expected[i] ? 'served' : 'refused'}`).join(', ');
    it(`${policy}: ${title}`, async () => {
      const gw = await ours([`--web.config.file=${webConfig(policy)}`], httpsHealthy(ca, clients.signed));
      try {
        assert.deepEqual(await outcomes(gw, true), expected);
        // Still serving after the refusals.
        assert.equal((await httpsOnce({ port: gw.port, ca, client: clients.signed })).status, 200);
      } finally {
        await gw.stop();
      }
    });
  }

  it('the Debian reference gives the same outcomes for the same files', { skip: referenceSkipReason() }, async () => {
    for (const [policy, expected] of Object.entries(EXPECTED)) {
      const gw = await reference([`--web.config.file=${webConfig(policy)}`], httpsHealthy(ca, clients.signed));
      try {
        assert.deepEqual(await outcomes(gw, false), expected, `reference, ${policy}`);
      } finally {
        await gw.stop();
      }
    }
  });
});

describe('client_allowed_sans', () => {
  it('serves a certificate carrying an allowed SAN and refuses one without (and no certificate)', async () => {
    const file = webConfig('RequireAndVerifyClientCert', '  client_allowed_sans: [client@example.com, nobody.example]');
    const gw = await ours([`--web.config.file=${file}`], httpsHealthy(ca, clients.signed));
    try {
      const allowed = await httpsOnce({ port: gw.port, ca, client: clients.signed });
      assert.equal(allowed.status, 200, allowed.error);
      const h2 = await http2Once({ port: gw.port, ca, client: clients.signed, path: '/metrics' });
      assert.equal(h2.status, 200, h2.error);
      const denied = await httpsOnce({ port: gw.port, ca, client: clients.other });
      assert.equal(denied.status, undefined);
      assert.ok(denied.error !== undefined);
      const h2denied = await http2Once({ port: gw.port, ca, client: clients.other });
      assert.equal(h2denied.status, undefined);
      // Logged at debug only (scanners make handshake errors common); the gateway keeps serving.
      assert.equal((await httpsOnce({ port: gw.port, ca, client: clients.signed })).status, 200);
    } finally {
      await gw.stop();
    }
  });

  it('logs the refusal with its reason at debug level', async () => {
    const file = webConfig('RequestClientCert', '  client_allowed_sans: [spiffe://test/client]');
    const gw = await ours([`--web.config.file=${file}`, '--log.level=debug'], httpsHealthy(ca, clients.signed));
    try {
      assert.equal((await httpsOnce({ port: gw.port, ca, client: clients.other })).status, undefined);
      assert.equal((await httpsOnce({ port: gw.port, ca })).status, undefined);
      const deadline = Date.now() + 5_000;
      const both = (out: string): boolean => /no allowed SAN/.test(out) && /no client certificate sent/.test(out);
      while (!both(gw.output()) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.match(gw.output(), /TLS handshake error.*code=PGW_ERR_TLS_HANDSHAKE.*no allowed SAN.*other\.example/);
      assert.match(gw.output(), /no client certificate sent \(client_allowed_sans is set\)/);
    } finally {
      await gw.stop();
    }
  });
});
