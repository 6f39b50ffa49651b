/**
 * The pure parts of the TLS listener: the OpenSSL cipher string made from Go names (TLS 1.3 in Go's
 * order), the ALPN wire format, the SAN list read from Node's subjectAltName text as Go prints it, and the
 * per-policy switches.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CIPHERS } from 'node:tls';
import { subjectAltNames } from '../../src/http/client-cert-policy.js';
import { alpnWire, cipherString } from '../../src/http/tls-settings.js';

/** Go's TLS 1.3 order on a CPU with AES instructions. */
const TLS13 = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];
const NODE_TLS12 = DEFAULT_CIPHERS.split(':').filter((c) => !c.startsWith('TLS_'));

test('cipherString maps TLS 1.2 Go names in order (Node defaults without any) and lists TLS 1.3 as Go', () => {
  assert.equal(cipherString([]), [...NODE_TLS12, ...TLS13].join(':'));
  assert.equal(
    cipherString(['TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'TLS_RSA_WITH_AES_128_CBC_SHA']),
    ['ECDHE-RSA-AES256-GCM-SHA384', 'AES128-SHA', ...TLS13].join(':'),
  );
  // Go ignores TLS 1.3 names in cipher_suites: a list of those alone changes nothing.
  assert.equal(cipherString(['TLS_AES_128_GCM_SHA256']), cipherString([]));
  assert.equal(
    cipherString(['TLS_AES_128_GCM_SHA256', 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256']),
    ['ECDHE-ECDSA-CHACHA20-POLY1305', ...TLS13].join(':'),
  );
});

test('alpnWire writes length-prefixed protocol names', () => {
  assert.deepEqual([...alpnWire(['h2', 'http/1.1'])], [2, 0x68, 0x32, 8, ...Buffer.from('http/1.1')]);
});

test('subjectAltNames reads DNS, email, IP and URI values; IPv6 compressed as Go prints it', () => {
  assert.deepEqual(
    subjectAltNames(
      'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, email:a@b.c, URI:spiffe://x/y, ' +
        'othername:<unsupported>, DirName:"CN=a, O=b"',
    ),
    ['localhost', '127.0.0.1', '::1', 'a@b.c', 'spiffe://x/y'],
  );
  assert.deepEqual(subjectAltNames('DNS:"a, b", DNS:c'), ['a, b', 'c']);
  assert.deepEqual(subjectAltNames(''), []);
});
