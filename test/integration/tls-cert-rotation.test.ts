/**
 * Certificate rotation on a real process, end to end: the reloader sees the certificate and key files
 * named by --web.config.file replaced (by rename, as cert-manager and certbot hooks do), and the TLS
 * listener serves the new certificate on the next connection, with no restart; a connection opened before
 * keeps working. Then a broken key is written: it is logged and the last good certificate keeps serving.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { makeTestCertificates } from '../helpers/certificates.js';
import { startOurs } from '../helpers/servers.js';
import { httpsHealthy } from '../helpers/tls-clients.js';

const a = makeTestCertificates('pgw-rot-a-');
const b = makeTestCertificates('pgw-rot-b-');
after(() => {
  rmSync(a.dir, { recursive: true, force: true });
  rmSync(b.dir, { recursive: true, force: true });
});

/** The fingerprint of the certificate a new connection is served, trusting both CAs. */
function servedFingerprint(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: [a.pem.caCert, b.pem.caCert], servername: 'localhost' });
    socket.once('secureConnect', () => {
      resolve(socket.getPeerX509Certificate()!.fingerprint256);
      socket.end();
    });
    socket.once('error', reject);
  });
}

function fingerprintOf(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}

/** Replaces `target` by `source`'s bytes through a rename in the same folder. */
function replaceByRename(source: string, target: string): void {
  const tmp = `${target}.new`;
  copyFileSync(source, tmp);
  renameSync(tmp, target);
}

async function until(what: string, check: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('TLS certificate rotation', () => {
  it('a replaced certificate and key are served on the next connection; a broken key keeps the last good', async () => {
    const dir = a.dir;
    const cert = path.join(dir, 'live.crt');
    const key = path.join(dir, 'live.key');
    copyFileSync(a.serverCert, cert);
    copyFileSync(a.serverKey, key);
    const file = path.join(dir, 'web.yml');
    writeFileSync(file, `tls_server_config:\n  cert_file: ${cert}\n  key_file: ${key}\n`);
    const gw = await startOurs([`--web.config.file=${file}`], {
      spawn: { healthy: httpsHealthy(`${a.pem.caCert}${b.pem.caCert}`) },
    });
    try {
      const first = fingerprintOf(a.pem.serverCert);
      const second = fingerprintOf(b.pem.serverCert);
      assert.equal(await servedFingerprint(gw.port), first);
      const open = tls.connect({ host: '127.0.0.1', port: gw.port, ca: a.pem.caCert, servername: 'localhost' });
      await new Promise<void>((resolve, reject) => open.once('secureConnect', resolve).once('error', reject));

      // The key first, then the certificate: in between the pair does not match, which must not be served.
      replaceByRename(b.serverKey, key);
      replaceByRename(b.serverCert, cert);
      await until('the new certificate', async () => (await servedFingerprint(gw.port)) === second);
      assert.match(gw.output(), /msg="web config reloaded"/);
      assert.equal(open.getPeerX509Certificate()!.fingerprint256, first, 'the open connection keeps its own');
      open.end();

      // A key that does not parse: logged, and the certificate in force keeps being served.
      const logged = gw.output().length;
      writeFileSync(`${key}.new`, '-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n');
      renameSync(`${key}.new`, key);
      await until('the error line', async () => /code=PGW_ERR_WEB_CONFIG/.test(gw.output().slice(logged)));
      assert.equal(await servedFingerprint(gw.port), second);
    } finally {
      await gw.stop();
    }
  });
});
