/**
 * What a listener needs from a tls_server_config to run one handshake: the options of its secure context
 * (certificate, key, client CA, versions, ciphers, curves, cipher order) and the per-connection switches
 * node:tls reads from the server (whether to ask for a client certificate, whether OpenSSL rejects an
 * unverified one, the ALPN list). Built once per config object; the listener applies it to new connections.
 */
import { constants as cryptoConstants } from 'node:crypto';
import { DEFAULT_CIPHERS, type SecureContextOptions } from 'node:tls';
import { readTlsMaterial } from '../web-config/tls-material.js';
import { CIPHER_SUITES, CURVES, TLS13_CIPHER_SUITES, TLS_VERSIONS } from '../web-config/tls-names.js';
import type { TlsServerConfig, WebConfig } from '../web-config/web-config.js';

export interface TlsSettings {
  context: SecureContextOptions;
  requestCert: boolean;
  /** OpenSSL fails the handshake when the client certificate is missing or does not verify. */
  rejectUnauthorized: boolean;
  /** The ALPN protocols offered, in the wire format node:tls keeps on the server. */
  alpn: Buffer;
  /** Checked after the handshake (client-cert-policy.ts). */
  tls: TlsServerConfig;
}

/**
 * The TLS 1.3 suites, in the order Go's server prefers them on a CPU with AES instructions (Go ignores
 * TLS 1.3 names in cipher_suites, and so do we). Node's default order puts TLS_AES_256_GCM_SHA384 first,
 * which the server's preference (prefer_server_cipher_suites, on by default) then picks for every client
 * offering it: 14 AES rounds instead of 10 on every byte, where the reference negotiates AES-128-GCM.
 */
export const TLS13_SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];

/** Node's default TLS 1.2 suites, kept when cipher_suites names none. */
const DEFAULT_TLS12_CIPHERS = DEFAULT_CIPHERS.split(':').filter((c) => !c.startsWith('TLS_'));

/**
 * With the server's order in force, a client that lists ChaCha20-Poly1305 first (one without AES
 * instructions) still gets it, as Go's server does for such clients.
 */
export const PRIORITIZE_CHACHA = cryptoConstants.SSL_OP_PRIORITIZE_CHACHA;

/** ALPN wire format: each protocol name prefixed by its length. */
export function alpnWire(protocols: readonly string[]): Buffer {
  return Buffer.concat(protocols.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, 'latin1')])));
}

const ALPN_H2 = alpnWire(['h2', 'http/1.1']);
const ALPN_HTTP1 = alpnWire(['http/1.1']);

/** The OpenSSL `ciphers` string: the mapped TLS 1.2 suites of the list (Node's when none), then TLS13_SUITES. */
export function cipherString(cipherSuites: readonly string[]): string {
  const tls12 = cipherSuites.filter((name) => !TLS13_CIPHER_SUITES.has(name)).map((name) => CIPHER_SUITES[name]!);
  return [...(tls12.length === 0 ? DEFAULT_TLS12_CIPHERS : tls12), ...TLS13_SUITES].join(':');
}

/** Reads the certificate, key and CA the config names (throws TlsMaterialError when one cannot be used). */
export function tlsSettings(config: WebConfig & { tlsServerConfig: TlsServerConfig }): TlsSettings {
  const tls = config.tlsServerConfig;
  const material = readTlsMaterial(tls);
  const context: SecureContextOptions = {
    cert: material.cert,
    key: material.key,
    minVersion: TLS_VERSIONS[tls.minVersion],
    maxVersion: TLS_VERSIONS[tls.maxVersion ?? 'TLS13'],
    honorCipherOrder: tls.preferServerCipherSuites,
    ciphers: cipherString(tls.cipherSuites),
    secureOptions: PRIORITIZE_CHACHA,
  };
  // Without a client CA, client certificates verify against Node's root store, as Go's against the system's.
  if (material.ca !== undefined) context.ca = material.ca;
  if (tls.curvePreferences.length > 0) context.ecdhCurve = tls.curvePreferences.map((c) => CURVES[c]!).join(':');
  return {
    context,
    requestCert: tls.clientAuthType !== 'NoClientCert',
    rejectUnauthorized: tls.clientAuthType === 'RequireAndVerifyClientCert',
    alpn: config.http2 ? ALPN_H2 : ALPN_HTTP1,
    tls,
  };
}
