/**
 * The shape of a loaded --web.config.file (the exporter-toolkit's format, v0.14.0), after defaults are applied
 * and the file is validated. src/web-config/load.ts makes one; the TLS listener and basic auth read it.
 */

/** The toolkit's client_auth_type values, named as Go's crypto/tls names them. */
export type ClientAuthType =
  | 'NoClientCert'
  | 'RequestClientCert'
  | 'RequireAnyClientCert'
  | 'VerifyClientCertIfGiven'
  | 'RequireAndVerifyClientCert';

/** A TLS protocol version as the file spells it. */
export type TlsVersionName = 'TLS10' | 'TLS11' | 'TLS12' | 'TLS13';

/** tls_server_config: where the certificate comes from and how the handshake is run. */
export interface TlsServerConfig {
  certFile?: string;
  keyFile?: string;
  cert?: string;
  key?: string;
  clientAuthType: ClientAuthType;
  clientCaFile?: string;
  clientCa?: string;
  clientAllowedSans: string[];
  minVersion: TlsVersionName;
  maxVersion?: TlsVersionName;
  cipherSuites: string[];
  curvePreferences: string[];
  preferServerCipherSuites: boolean;
}

/** The whole file. */
export interface WebConfig {
  /** Absent when the file has no tls_server_config, or one with neither a certificate nor a key. */
  tlsServerConfig?: TlsServerConfig;
  /** http_server_config.http2, default true. */
  http2: boolean;
  /** http_server_config.headers: set on every response. */
  headers: Record<string, string>;
  /** basic_auth_users: user -> bcrypt hash. */
  basicAuthUsers: Record<string, string>;
}
