/**
 * Certificates made by a test, for a test: a CA, a server certificate and a client certificate it signs,
 * a self-signed "stranger" certificate no CA vouches for, and a stray key, written with the system's
 * `openssl` into a temp directory, valid for two days. Nothing that expires is committed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestCertificates {
  dir: string;
  /** Paths of PEM files in `dir`. */
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  /** Signed by the CA for client authentication (CN `test client`, SAN DNS:client.test, email). */
  clientCert: string;
  clientKey: string;
  /** Self-signed (CN and SAN `stranger.test`): a client certificate the CA never saw. */
  strangerCert: string;
  strangerKey: string;
  otherKey: string;
  /** The same, as text. */
  pem: {
    caCert: string;
    serverCert: string;
    serverKey: string;
    clientCert: string;
    clientKey: string;
    strangerCert: string;
    strangerKey: string;
  };
}

/** SANs of the client certificate, for `client_allowed_sans` tests. */
export const CLIENT_SANS = ['client.test', 'client@example.test'];

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** A key and a certificate for `subject` with `extensions`, signed by the CA in `dir`. */
function signedByCa(dir: string, name: string, subject: string, extensions: string[]): void {
  openssl(dir, [
    'req',
    ...EC,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    subject,
    ...extensions.flatMap((e) => ['-addext', e]),
  ]);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-copy_extensions',
    'copy',
    '-out',
    `${name}.crt`,
    '-days',
    '2',
  ]);
}

/**
 * Makes a CA, a server certificate (CN and SAN localhost, 127.0.0.1) and a client certificate (SANs
 * CLIENT_SANS, extended key usage clientAuth) signed by it, a self-signed stranger, and an unrelated key.
 */
export function makeTestCertificates(prefix = 'pgw-certs-'): TestCertificates {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  openssl(dir, ['req', '-x509', ...EC, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=test CA']);
  signedByCa(dir, 'server', '/CN=localhost', ['subjectAltName=DNS:localhost,IP:127.0.0.1']);
  signedByCa(dir, 'client', '/CN=test client', [
    `subjectAltName=DNS:${CLIENT_SANS[0]},email:${CLIENT_SANS[1]}`,
    'extendedKeyUsage=clientAuth',
  ]);
  openssl(dir, [
    'req',
    '-x509',
    ...EC,
    '-keyout',
    'stranger.key',
    '-out',
    'stranger.crt',
    '-days',
    '2',
    '-subj',
    '/CN=stranger.test',
    '-addext',
    'subjectAltName=DNS:stranger.test',
    '-addext',
    'extendedKeyUsage=clientAuth',
  ]);
  openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'other.key']);
  const p = (f: string) => path.join(dir, f);
  const read = (f: string) => readFileSync(p(f), 'utf8');
  return {
    dir,
    caCert: p('ca.crt'),
    caKey: p('ca.key'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    clientCert: p('client.crt'),
    clientKey: p('client.key'),
    strangerCert: p('stranger.crt'),
    strangerKey: p('stranger.key'),
    otherKey: p('other.key'),
    pem: {
      caCert: read('ca.crt'),
      serverCert: read('server.crt'),
      serverKey: read('server.key'),
      clientCert: read('client.crt'),
      clientKey: read('client.key'),
      strangerCert: read('stranger.crt'),
      strangerKey: read('stranger.key'),
    },
  };
}
