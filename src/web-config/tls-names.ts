/**
 * The TLS names a web config file uses, which are Go's crypto/tls names, and what OpenSSL (so node:tls)
 * calls the same thing. The loader refuses a name missing here; the TLS listener reads these tables to
 * build its secure context.
 */
import type { TlsVersionName } from './web-config.js';

/**
 * Every cipher suite Go's tls.CipherSuites() names (the toolkit accepts exactly those; the "insecure"
 * list is refused), keyed by Go's name, valued by OpenSSL's. The three TLS 1.3 suites keep their names:
 * OpenSSL spells them the same, and node:tls takes them in the same `ciphers` string. Go itself ignores
 * cipher_suites for TLS 1.3 (its 1.3 suites are not configurable); the TLS step must decide what to do
 * with them (docs/web-config.md).
 */
export const CIPHER_SUITES: Readonly<Record<string, string>> = {
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_AES_128_GCM_SHA256: 'TLS_AES_128_GCM_SHA256',
  TLS_AES_256_GCM_SHA384: 'TLS_AES_256_GCM_SHA384',
  TLS_CHACHA20_POLY1305_SHA256: 'TLS_CHACHA20_POLY1305_SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
};

/** The TLS 1.3 suites among CIPHER_SUITES (Go ignores them in cipher_suites). */
export const TLS13_CIPHER_SUITES: ReadonlySet<string> = new Set([
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
]);

/**
 * Go's net/http refuses to serve HTTP/2 over TLS 1.2 with a cipher list that lacks both of these
 * (RFC 7540 §9.2.2's mandatory suite, or its ECDSA twin); the toolkit then fails at start.
 */
export const HTTP2_REQUIRED_CIPHER_SUITES: ReadonlySet<string> = new Set([
  'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
  'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
]);

/** The toolkit's four curve names, valued by the group names node:tls's `ecdhCurve` takes. */
export const CURVES: Readonly<Record<string, string>> = {
  CurveP256: 'P-256',
  CurveP384: 'P-384',
  CurveP521: 'P-521',
  X25519: 'X25519',
};

/** The file's TLS versions, valued by node:tls's minVersion / maxVersion names. */
export const TLS_VERSIONS: Readonly<Record<TlsVersionName, 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'>> = {
  TLS10: 'TLSv1',
  TLS11: 'TLSv1.1',
  TLS12: 'TLSv1.2',
  TLS13: 'TLSv1.3',
};

/** TLS versions in ascending order, to compare min_version with max_version. */
export const TLS_VERSION_ORDER: readonly TlsVersionName[] = ['TLS10', 'TLS11', 'TLS12', 'TLS13'];

/** client_auth_type values the toolkit accepts, with what each stands for ("" and the old name included). */
export const CLIENT_AUTH_TYPES: Readonly<Record<string, import('./web-config.js').ClientAuthType>> = {
  '': 'NoClientCert',
  NoClientCert: 'NoClientCert',
  RequestClientCert: 'RequestClientCert',
  RequireAnyClientCert: 'RequireAnyClientCert',
  // The toolkit keeps this older name working.
  RequireClientCert: 'RequireAnyClientCert',
  VerifyClientCertIfGiven: 'VerifyClientCertIfGiven',
  RequireAndVerifyClientCert: 'RequireAndVerifyClientCert',
};
