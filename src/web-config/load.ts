/**
 * Loading a --web.config.file: the exporter-toolkit v0.14.0 format read strictly (unknown keys, repeated
 * keys and values of the wrong type refused), its defaults applied, and its checks run in its order: the
 * YAML, the response headers, the bcrypt hashes, then the TLS settings and the files they name. Any fault
 * throws a WebConfigError naming the key and the reason. Synchronous: it runs once at start (before
 * anything listens), and again after a change (web-config-reloader.ts), off the request path; the files
 * are small (a few kB: one YAML parse, one certificate and key check).
 */
import path from 'node:path';
import { LineCounter, type Node, parseDocument } from 'yaml';
import { WebConfigError } from '../errors.js';
import { StrictReader, YamlFieldError } from './strict-yaml.js';
import { type ReadText, readFailure, readTlsMaterial, readUtf8, TlsMaterialError } from './tls-material.js';
import {
  CIPHER_SUITES,
  CLIENT_AUTH_TYPES,
  CURVES,
  HTTP2_REQUIRED_CIPHER_SUITES,
  TLS_VERSION_ORDER,
  TLS_VERSIONS,
} from './tls-names.js';
import type { TlsServerConfig, TlsVersionName, WebConfig } from './web-config.js';

const TOP_KEYS = ['tls_server_config', 'http_server_config', 'basic_auth_users'] as const;
const TLS_KEYS = [
  'cert',
  'key',
  'client_ca',
  'cert_file',
  'key_file',
  'client_auth_type',
  'client_ca_file',
  'cipher_suites',
  'curve_preferences',
  'min_version',
  'max_version',
  'prefer_server_cipher_suites',
  'client_allowed_sans',
] as const;
const HTTP_KEYS = ['http2', 'headers'] as const;

/**
 * The response headers the toolkit lets a file set, with the values it allows (null: any value). The
 * toolkit keeps the list short on purpose, for the same headers across the Prometheus ecosystem.
 */
export const CONFIGURABLE_HEADERS: Readonly<Record<string, readonly string[] | null>> = {
  'Strict-Transport-Security': null,
  'X-Content-Type-Options': ['nosniff'],
  'X-Frame-Options': ['deny', 'sameorigin'],
  'X-XSS-Protection': null,
  'Content-Security-Policy': null,
};

/**
 * A bcrypt hash as bcryptjs can check it: version 2a, 2b or 2y, a two-digit cost from 04 to 31, then 53
 * characters of salt and hash. Go's bcrypt.Cost is looser (see docs/compatibility.md).
 */
const BCRYPT_HASH = /^\$2[aby]\$(?:0[4-9]|[12]\d|3[01])\$.{53}$/s;

/** The file's settings as read, before the TLS checks (which need all of them). */
interface RawTls {
  cert: string;
  key: string;
  clientCa: string;
  certFile: string;
  keyFile: string;
  clientAuthType: string;
  clientCaFile: string;
  cipherSuites: string[];
  curvePreferences: string[];
  minVersion: TlsVersionName;
  maxVersion: TlsVersionName | undefined;
  preferServerCipherSuites: boolean;
  clientAllowedSans: string[];
}

/**
 * Reads, checks and returns the web config in `file`; throws WebConfigError on any fault. Every file
 * (the config file, then the certificate, key and client CA it names) is read through `read`.
 */
export function loadWebConfig(file: string, read: ReadText = readUtf8): WebConfig {
  let text: string;
  try {
    text = read(file);
  } catch (err) {
    throw new WebConfigError(file, undefined, `cannot read the file: ${readFailure(err)}`, { cause: err });
  }
  try {
    return checked(file, text, read);
  } catch (err) {
    if (err instanceof YamlFieldError || err instanceof TlsMaterialError) {
      throw new WebConfigError(file, err.key === '' ? undefined : err.key, err.message, { cause: err });
    }
    throw err;
  }
}

function checked(file: string, text: string, read: ReadText): WebConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { version: '1.1', uniqueKeys: false, lineCounter: lines, prettyErrors: false });
  const syntax = doc.errors[0];
  if (syntax !== undefined) {
    // yaml.v2 would read the first of several documents; we refuse rather than ignore the rest silently.
    const reason =
      syntax.code === 'MULTIPLE_DOCS'
        ? 'several YAML documents in one file; give one'
        : syntax.message.split('\n', 1)[0];
    throw new YamlFieldError('', `not valid YAML (line ${lines.linePos(syntax.pos[0]).line}): ${reason}`);
  }
  const r = new StrictReader(doc, lines);
  const top = r.map(doc.contents, '', TOP_KEYS);
  const tls = readTls(r, r.map(top.get('tls_server_config'), 'tls_server_config', TLS_KEYS));
  const http = r.map(top.get('http_server_config'), 'http_server_config', HTTP_KEYS);
  const http2 = r.bool(http.get('http2'), 'http_server_config.http2', true);
  const headers = r.stringMap(http.get('headers'), 'http_server_config.headers');
  const basicAuthUsers = r.stringMap(top.get('basic_auth_users'), 'basic_auth_users');
  checkHeaders(headers);
  // The toolkit resolves relative paths against the folder of the config file, not the working directory.
  const dir = path.dirname(file);
  for (const k of ['certFile', 'keyFile', 'clientCaFile'] as const) {
    if (tls[k] !== '' && !path.isAbsolute(tls[k])) tls[k] = path.join(dir, tls[k]);
  }
  for (const [user, hash] of Object.entries(basicAuthUsers)) {
    // The hash is a secret of sorts: the message names the user, never the value.
    if (!BCRYPT_HASH.test(hash)) {
      throw new YamlFieldError(
        `basic_auth_users.${user}`,
        'not a bcrypt hash (want $2a$, $2b$ or $2y$, a cost from 04 to 31, then 53 characters)',
      );
    }
  }
  const config: WebConfig = { http2, headers, basicAuthUsers };
  const tlsServerConfig = checkTls(tls, http2, read);
  if (tlsServerConfig !== undefined) config.tlsServerConfig = tlsServerConfig;
  return config;
}

function readTls(r: StrictReader, m: Map<string, Node | null>): RawTls {
  const s = (k: (typeof TLS_KEYS)[number]) => r.string(m.get(k), `tls_server_config.${k}`);
  const names = (k: 'cipher_suites' | 'curve_preferences', table: Readonly<Record<string, string>>, what: string) =>
    r.stringList(m.get(k), `tls_server_config.${k}`).map((name, i) => {
      if (!Object.hasOwn(table, name)) {
        throw new YamlFieldError(
          `tls_server_config.${k}[${i}]`,
          `unknown ${what} "${name}"; known: ${Object.keys(table).join(', ')}`,
        );
      }
      return name;
    });
  const version = (k: 'min_version' | 'max_version'): TlsVersionName | undefined => {
    if ((m.get(k) ?? null) === null) return undefined;
    const v = s(k);
    if (!Object.hasOwn(TLS_VERSIONS, v)) {
      throw new YamlFieldError(
        `tls_server_config.${k}`,
        `unknown TLS version "${v}"${r.line(m.get(k))}; known: ${TLS_VERSION_ORDER.join(', ')}`,
      );
    }
    return v as TlsVersionName;
  };
  return {
    cert: s('cert'),
    key: s('key'),
    clientCa: s('client_ca'),
    certFile: s('cert_file'),
    keyFile: s('key_file'),
    clientAuthType: s('client_auth_type'),
    clientCaFile: s('client_ca_file'),
    cipherSuites: names('cipher_suites', CIPHER_SUITES, 'cipher suite'),
    curvePreferences: names('curve_preferences', CURVES, 'curve'),
    minVersion: version('min_version') ?? 'TLS12',
    maxVersion: version('max_version'),
    preferServerCipherSuites: r.bool(
      m.get('prefer_server_cipher_suites'),
      'tls_server_config.prefer_server_cipher_suites',
      true,
    ),
    clientAllowedSans: r.stringList(m.get('client_allowed_sans'), 'tls_server_config.client_allowed_sans'),
  };
}

function checkHeaders(headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) {
    const key = `http_server_config.headers.${name}`;
    // Matched as written, like the toolkit: `x-frame-options` is not a header it lets a file set.
    if (!Object.hasOwn(CONFIGURABLE_HEADERS, name)) {
      throw new YamlFieldError(
        key,
        `this header can not be configured; allowed: ${Object.keys(CONFIGURABLE_HEADERS).join(', ')}`,
      );
    }
    const allowed = CONFIGURABLE_HEADERS[name];
    if (allowed && !allowed.includes(value)) {
      throw new YamlFieldError(key, `invalid value "${value}"; expected one of: ${allowed.join(', ')}`);
    }
  }
}

/** The TLS checks, in the toolkit's order; undefined when the file asks for no TLS at all. */
function checkTls(t: RawTls, http2: boolean, read: ReadText): TlsServerConfig | undefined {
  // The toolkit serves plain HTTP unless one of these is set; cipher or version settings alone do not
  // turn TLS on.
  if ([t.certFile, t.cert, t.keyFile, t.key, t.clientCaFile, t.clientCa, t.clientAuthType].every((v) => v === '')) {
    return undefined;
  }
  const k = (name: string) => `tls_server_config.${name}`;
  const pairs = [
    ['cert_file', t.certFile, 'cert', t.cert],
    ['key_file', t.keyFile, 'key', t.key],
    ['client_ca_file', t.clientCaFile, 'client_ca', t.clientCa],
  ] as const;
  for (const [file, fromFile, inline, fromInline] of pairs) {
    if (fromFile !== '' && fromInline !== '') {
      throw new YamlFieldError(k(inline), `set together with ${file}; give one of them`);
    }
  }
  if (t.certFile === '' && t.cert === '') throw new YamlFieldError(k('cert_file'), 'missing one of cert or cert_file');
  if (t.keyFile === '' && t.key === '') throw new YamlFieldError(k('key_file'), 'missing one of key or key_file');
  const tls: TlsServerConfig = {
    clientAuthType: 'NoClientCert',
    clientAllowedSans: t.clientAllowedSans,
    minVersion: t.minVersion,
    cipherSuites: t.cipherSuites,
    curvePreferences: t.curvePreferences,
    preferServerCipherSuites: t.preferServerCipherSuites,
  };
  if (t.certFile !== '') tls.certFile = t.certFile;
  else tls.cert = t.cert;
  if (t.keyFile !== '') tls.keyFile = t.keyFile;
  else tls.key = t.key;
  if (t.clientCaFile !== '') tls.clientCaFile = t.clientCaFile;
  else if (t.clientCa !== '') tls.clientCa = t.clientCa;
  if (t.maxVersion !== undefined) tls.maxVersion = t.maxVersion;
  readTlsMaterial(tls, read);
  const policy = CLIENT_AUTH_TYPES[t.clientAuthType];
  if (!Object.hasOwn(CLIENT_AUTH_TYPES, t.clientAuthType) || policy === undefined) {
    throw new YamlFieldError(
      k('client_auth_type'),
      `unknown client_auth_type "${t.clientAuthType}"; known: ` +
        Object.keys(CLIENT_AUTH_TYPES)
          .filter((n) => n !== '')
          .join(', '),
    );
  }
  tls.clientAuthType = policy;
  checkPolicy(tls, k);
  checkVersions(tls, k);
  checkHttp2Ciphers(tls, http2, k);
  return tls;
}

function checkPolicy(tls: TlsServerConfig, k: (name: string) => string): void {
  if (tls.clientAuthType !== 'NoClientCert') return;
  if (tls.clientCaFile !== undefined || tls.clientCa !== undefined) {
    throw new YamlFieldError(
      k(tls.clientCaFile !== undefined ? 'client_ca_file' : 'client_ca'),
      'a client CA is configured without a client auth policy (set client_auth_type)',
    );
  }
  // Not refused by toolkit v0.14.0, which then never checks them; refused by later toolkits and by us.
  if (tls.clientAllowedSans.length > 0) {
    throw new YamlFieldError(
      k('client_allowed_sans'),
      'allowed SANs are configured without a client auth policy (set client_auth_type)',
    );
  }
}

function checkVersions(tls: TlsServerConfig, k: (name: string) => string): void {
  const max = tls.maxVersion ?? 'TLS13';
  if (TLS_VERSION_ORDER.indexOf(tls.minVersion) > TLS_VERSION_ORDER.indexOf(max)) {
    throw new YamlFieldError(k('min_version'), `${tls.minVersion} is above max_version ${max}: no version is left`);
  }
}

function checkHttp2Ciphers(tls: TlsServerConfig, http2: boolean, k: (name: string) => string): void {
  // Go's net/http refuses to start HTTP/2 with a TLS 1.2 cipher list lacking the suite HTTP/2 requires.
  if (!http2 || tls.minVersion === 'TLS13' || tls.cipherSuites.length === 0) return;
  if (tls.cipherSuites.some((c) => HTTP2_REQUIRED_CIPHER_SUITES.has(c))) return;
  throw new YamlFieldError(
    k('cipher_suites'),
    'HTTP/2 needs TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 or ' +
      'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 among them (or set http_server_config.http2: false)',
  );
}
