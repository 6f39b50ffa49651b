/**
 * What a listener needs from a tls_server_config to run one handshake: the options of its secure context
 * (certificate, key, client CA, versions, ciphers, curves, cipher order) and the per-connection switches
 * node:tls reads from the server (whether to ask for a client certificate, whether OpenSSL rejects an
 * unverified one, the ALPN list). Built once per config object; the listener applies it to new connections.
 */
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

/** Node's default TLS 1.3 suites: kept whatever cipher_suites says, as Go ignores that list for TLS 1.3. */
const DEFAULT_TLS13_SUITES = DEFAULT_CIPHERS.split(':').filter((c) => c.startsWith('TLS_'));

/** ALPN wire format: each protocol name prefixed by its length. */
export function alpnWire(protocols: readonly string[]): Buffer {
  return Buffer.concat(protocols.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, 'latin1')])));
}

const ALPN_H2 = alpnWire(['h2', 'http/1.1']);
const ALPN_HTTP1 = alpnWire(['http/1.1']);

/** The OpenSSL `ciphers` string: the mapped TLS 1.2 suites of the list, then Node's TLS 1.3 defaults. */
export function cipherString(cipherSuites: readonly string[]): string | undefined {
  const tls12 = cipherSuites.filter((name) => !TLS13_CIPHER_SUITES.has(name)).map((name) => CIPHER_SUITES[name]!);
  if (tls12.length === 0) return undefined;
  return [...tls12, ...DEFAULT_TLS13_SUITES].join(':');
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
  };
  // Without a client CA, client certificates verify against Node's root store, as Go's against the system's.
  if (material.ca !== undefined) context.ca = material.ca;
  const ciphers = cipherString(tls.cipherSuites);
  if (ciphers !== undefined) context.ciphers = ciphers;
  if (tls.curvePreferences.length > 0) context.ecdhCurve = tls.curvePreferences.map((c) => CURVES[c]!).join(':');
  return {
    context,
    requestCert: tls.clientAuthType !== 'NoClientCert',
    rejectUnauthorized: tls.clientAuthType === 'RequireAndVerifyClientCert',
    alpn: config.http2 ? ALPN_H2 : ALPN_HTTP1,
    tls,
  };
}
