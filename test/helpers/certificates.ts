/**
 * Certificates made by a test, for a test: a CA, a server certificate it signs and a stray key, written
 * with the system's `openssl` into a temp directory, valid for two days. Nothing that expires is committed.
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
  otherKey: string;
  /** The same, as text. */
  pem: { caCert: string; serverCert: string; serverKey: string };
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Makes a CA, a server certificate (CN and SAN localhost, 127.0.0.1) signed by it, and an unrelated key. */
export function makeTestCertificates(prefix = 'pgw-certs-'): TestCertificates {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(dir, ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=test CA']);
  openssl(dir, [
    'req',
    ...ec,
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ]);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-copy_extensions',
    'copy',
    '-out',
    'server.crt',
    '-days',
    '2',
  ]);
  openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'other.key']);
  const p = (f: string) => path.join(dir, f);
  return {
    dir,
    caCert: p('ca.crt'),
    caKey: p('ca.key'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    otherKey: p('other.key'),
    pem: {
      caCert: readFileSync(p('ca.crt'), 'utf8'),
      serverCert: readFileSync(p('server.crt'), 'utf8'),
      serverKey: readFileSync(p('server.key'), 'utf8'),
    },
  };
}
