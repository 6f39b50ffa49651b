/**
 * The web-config differential table: the same --web.config.file (basic auth, headers, TLS with each
 * client-auth policy and TLS version bound) given to the reference and to ours, and the same requests
 * sent to both by clients with no certificate, a CA-signed one or a self-signed stranger, and with TLS
 * versions pinned. What is compared is what a client can tell: whether the handshake and request went
 * through (or which alert, reset or close ended it), the status, WWW-Authenticate, the configured headers
 * and the body of a 401.
 */
import bcrypt from 'bcryptjs';
import type { TestCertificates } from './certificates.js';
import { outcomeLine, request, type Outcome, type RequestSpec, type TlsClient } from './tls-request.js';
import { webConfigYaml } from './web-config-servers.js';

export const USER = 'alice';
export const PASSWORD = 's3cret:with colon';
/** cost 4: the tests start several gateways, each checks the hash once per new credential. */
const HASH = bcrypt.hashSync(PASSWORD, 4);

/** The headers every case configures, one of each name the toolkit allows. */
export const HEADERS: Record<string, string> = {
  'Content-Security-Policy': "default-src 'self'",
  'X-Frame-Options': 'deny',
  'X-Content-Type-Options': 'nosniff',
  'X-XSS-Protection': '1; mode=block',
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
};

export type ClientIdentity = 'no cert' | 'CA-signed cert' | 'stranger cert';

export interface Probe {
  name: string;
  spec: RequestSpec;
  identity?: ClientIdentity;
  /** TLS versions the client allows. */
  versions?: Pick<TlsClient, 'minVersion' | 'maxVersion'>;
  /** Send plain HTTP to the (TLS) port. */
  plainHttp?: boolean;
  /** Speak HTTP/2 (ALPN h2). */
  http2?: boolean;
  /** What the outcome line must match on both gateways (the documented behaviour, beyond agreeing). */
  expect?: RegExp;
}

export interface WebConfigCase {
  name: string;
  /** tls_server_config entries (file names relative to the certificates' directory), or none: plain HTTP. */
  tls?: Record<string, string>;
  probes: Probe[];
}

const AUTH: [string, string] = [USER, PASSWORD];
const healthy = (extra: Partial<RequestSpec> = {}): RequestSpec => ({ path: '/-/healthy', auth: AUTH, ...extra });

/** Requests that exercise the basic-auth gate and the headers; answered the same over HTTP and HTTPS. */
const AUTH_PROBES: Probe[] = [
  { name: 'no credentials', spec: { path: '/-/healthy' } },
  { name: 'wrong password', spec: healthy({ auth: [USER, 'wrong'] }) },
  { name: 'unknown user', spec: healthy({ auth: ['mallory', PASSWORD] }) },
  { name: 'password cut at its colon', spec: healthy({ auth: [USER, 's3cret'] }) },
  { name: 'right credentials', spec: healthy() },
  {
    name: 'lower-case scheme name',
    spec: {
      path: '/-/healthy',
      headers: { Authorization: `basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` },
    },
  },
  { name: 'Bearer scheme', spec: { path: '/-/healthy', headers: { Authorization: 'Bearer abc' } } },
  { name: 'not base64', spec: { path: '/-/healthy', headers: { Authorization: 'Basic !!!' } } },
  { name: 'push without credentials', spec: { method: 'PUT', path: '/metrics/job/wc', body: 'wc_m 1\n' } },
  { name: 'push with credentials', spec: { method: 'PUT', path: '/metrics/job/wc', body: 'wc_m 1\n', auth: AUTH } },
  { name: 'bad push with credentials', spec: { method: 'PUT', path: '/metrics/job/wc', body: 'wc_m{\n', auth: AUTH } },
  { name: 'scrape with credentials', spec: { path: '/metrics', auth: AUTH } },
  { name: 'API with credentials', spec: { path: '/api/v1/status', auth: AUTH } },
  { name: 'status page without credentials', spec: { path: '/' } },
  { name: 'unknown path with credentials (404)', spec: { path: '/no/such/page', auth: AUTH } },
  { name: 'unknown path without credentials', spec: { path: '/no/such/page' } },
  { name: 'CORS preflight without credentials', spec: { method: 'OPTIONS', path: '/api/v1/status' } },
];

const IDENTITIES: ClientIdentity[] = ['no cert', 'CA-signed cert', 'stranger cert'];
/**
 * For one client-auth policy: every identity, with and without credentials, and plain HTTP to the port.
 * `refused` are the identities the policy turns away in the handshake (what the toolkit documents).
 */
const identityProbes = (refused: ClientIdentity[]): Probe[] => [
  ...IDENTITIES.flatMap((identity): Probe[] => {
    const no = refused.includes(identity);
    return [
      { name: `${identity}, credentials`, identity, spec: healthy(), expect: no ? /^alert / : /^http 200$/ },
      {
        name: `${identity}, no credentials`,
        identity,
        spec: { path: '/-/healthy' },
        expect: no ? /^alert / : /^http 401$/,
      },
    ];
  }),
  { name: 'plain HTTP to the TLS port', plainHttp: true, spec: healthy(), expect: /^http 400$/ },
];

const tls = (extra: Record<string, string> = {}): Record<string, string> => ({
  cert_file: 'server.crt',
  key_file: 'server.key',
  ...extra,
});

const TLS12: Probe['versions'] = { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' };
const TLS13: Probe['versions'] = { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' };
/** A TLS 1.2-only, a TLS 1.3-only and a default client against a version bound; `refused` fails the handshake. */
const versionProbes = (refused: 'TLS 1.2' | 'TLS 1.3'): Probe[] => [
  {
    name: 'TLS 1.2-only client',
    versions: TLS12,
    spec: healthy(),
    expect: refused === 'TLS 1.2' ? /^alert / : /^http 200$/,
  },
  {
    name: 'TLS 1.3-only client',
    versions: TLS13,
    spec: healthy(),
    expect: refused === 'TLS 1.3' ? /^alert / : /^http 200$/,
  },
  { name: 'default client', spec: healthy(), expect: /^http 200$/ },
];

export const WEB_CONFIG_CASES: WebConfigCase[] = [
  { name: 'basic auth and headers over plain HTTP', probes: AUTH_PROBES },
  { name: 'basic auth and headers over TLS (NoClientCert)', tls: tls(), probes: AUTH_PROBES },
  {
    name: 'basic auth and headers over TLS, HTTP/2',
    tls: tls(),
    probes: AUTH_PROBES.map((p) => ({ ...p, http2: true })),
  },
  {
    name: 'HTTP/2 client, RequireAndVerifyClientCert',
    tls: tls({ client_auth_type: 'RequireAndVerifyClientCert', client_ca_file: 'ca.crt' }),
    probes: identityProbes(['no cert', 'stranger cert'])
      .filter((p) => p.plainHttp !== true)
      .map((p) => ({ ...p, http2: true })),
  },
  { name: 'client_auth_type NoClientCert', tls: tls({ client_auth_type: 'NoClientCert' }), probes: identityProbes([]) },
  {
    name: 'client_auth_type RequestClientCert',
    tls: tls({ client_auth_type: 'RequestClientCert' }),
    probes: identityProbes([]),
  },
  {
    name: 'client_auth_type RequireAnyClientCert',
    tls: tls({ client_auth_type: 'RequireAnyClientCert' }),
    probes: identityProbes(['no cert']),
  },
  {
    name: 'client_auth_type VerifyClientCertIfGiven',
    tls: tls({ client_auth_type: 'VerifyClientCertIfGiven', client_ca_file: 'ca.crt' }),
    probes: identityProbes(['stranger cert']),
  },
  {
    name: 'client_auth_type RequireAndVerifyClientCert',
    tls: tls({ client_auth_type: 'RequireAndVerifyClientCert', client_ca_file: 'ca.crt' }),
    probes: identityProbes(['no cert', 'stranger cert']),
  },
  { name: 'min_version TLS13', tls: tls({ min_version: 'TLS13' }), probes: versionProbes('TLS 1.2') },
  { name: 'max_version TLS12', tls: tls({ max_version: 'TLS12' }), probes: versionProbes('TLS 1.3') },
  {
    name: 'max_version TLS12 with RequireAndVerifyClientCert',
    tls: tls({ max_version: 'TLS12', client_auth_type: 'RequireAndVerifyClientCert', client_ca_file: 'ca.crt' }),
    probes: [
      ...IDENTITIES.map(
        (identity): Probe => ({
          name: `${identity}, TLS 1.2`,
          identity,
          spec: healthy(),
          expect: identity === 'CA-signed cert' ? /^http 200$/ : /^alert .* in handshake$/,
        }),
      ),
    ],
  },
];

/** The web config file of a case: its TLS part, the one user and every header. */
export function caseYaml(dc: WebConfigCase): string {
  return webConfigYaml({
    ...(dc.tls === undefined ? {} : { tls: dc.tls }),
    users: { [USER]: HASH },
    headers: HEADERS,
  });
}

function clientFor(probe: Probe, certs: TestCertificates): TlsClient {
  const client: TlsClient = { ca: certs.pem.caCert, ...probe.versions, ...(probe.http2 ? { http2: true } : {}) };
  if (probe.identity === 'CA-signed cert')
    Object.assign(client, { cert: certs.pem.clientCert, key: certs.pem.clientKey });
  if (probe.identity === 'stranger cert') {
    Object.assign(client, { cert: certs.pem.strangerCert, key: certs.pem.strangerKey });
  }
  return client;
}

/** What a client can tell from one probe, as lines (so a difference reads as a line diff). */
export function observe(o: Outcome): string[] {
  const lines = [outcomeLine(o)];
  if (o.answer === undefined) return lines;
  lines.push(`TLS: ${o.answer.tlsVersion}`);
  if (o.answer.alpn !== undefined) lines.push(`ALPN: ${o.answer.alpn}`);
  const h = o.answer.headers;
  lines.push(`WWW-Authenticate: ${h['www-authenticate'] ?? '-'}`);
  for (const name of Object.keys(HEADERS)) lines.push(`${name}: ${h[name.toLowerCase()] ?? '-'}`);
  if (o.answer.status === 401 || o.answer.status === 400) lines.push(`body: ${JSON.stringify(o.answer.body)}`);
  return lines;
}

/** Sends the probe to a gateway (base URL http(s)://127.0.0.1:port) and returns what it observed. */
export async function runProbe(base: string, probe: Probe, certs: TestCertificates): Promise<string[]> {
  const target = probe.plainHttp === true ? base.replace(/^https:/, 'http:') : base;
  return observe(await request(target, probe.spec, clientFor(probe, certs)));
}
