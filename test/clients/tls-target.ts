/**
 * Shared plumbing for the real clients over TLS: a gateway (ours or the reference) started with a web
 * config that asks for everything at once (HTTPS with a test-made CA, RequireAndVerifyClientCert against
 * that CA, one basic-auth user, a configured header), the files a client needs to talk to it, and a
 * scrape with the same credentials to read back what the client pushed.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import bcrypt from 'bcryptjs';
import { makeTestCertificates, type TestCertificates } from '../helpers/certificates.js';
import { referenceSkipReason } from '../helpers/servers.js';
import { skipUnlessProgram } from '../helpers/skip.js';
import { request, type Outcome, type RequestSpec } from '../helpers/tls-request.js';
import {
  startWithWebConfig,
  webConfigYaml,
  type GatewayKind,
  type WebConfigGateway,
} from '../helpers/web-config-servers.js';

export const TLS_USER = 'pusher';
export const TLS_PASSWORD = 'p4ss word';
export const TLS_HEADER = ['X-Frame-Options', 'deny'] as const;

export interface TlsTarget {
  kind: GatewayKind;
  /** node:test options for each test against it: a loud skip when the reference is missing. */
  options: { skip?: string };
}

/** The reference (the oracle: the clients' expectations hold there) and ours; both need openssl. */
export function tlsTargets(): TlsTarget[] {
  const opensslSkip = skipUnlessProgram('openssl', 'apt-get install -y openssl');
  const refSkip = opensslSkip === false ? referenceSkipReason() : opensslSkip;
  return [
    { kind: 'reference', options: refSkip === false ? {} : { skip: refSkip } },
    { kind: 'ours', options: opensslSkip === false ? {} : { skip: opensslSkip } },
  ];
}

export interface TlsGateway {
  gw: WebConfigGateway;
  certs: TestCertificates;
  /** https://127.0.0.1:<port> */
  url: string;
  stop(): Promise<void>;
}

/** Starts `kind` behind TLS + client certificates + basic auth, with certificates made for it. */
export async function startTlsGateway(kind: GatewayKind): Promise<TlsGateway> {
  const certs = makeTestCertificates(`pgw-tls-${kind}-`);
  const yaml = webConfigYaml({
    tls: {
      cert_file: 'server.crt',
      key_file: 'server.key',
      client_auth_type: 'RequireAndVerifyClientCert',
      client_ca_file: 'ca.crt',
    },
    users: { [TLS_USER]: bcrypt.hashSync(TLS_PASSWORD, 4) },
    headers: { [TLS_HEADER[0]]: TLS_HEADER[1] },
  });
  try {
    const gw = await startWithWebConfig(kind, yaml, { dir: certs.dir });
    return {
      gw,
      certs,
      url: gw.url,
      stop: async () => {
        await gw.stop();
        rmSync(certs.dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(certs.dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * One gateway per describe block, started by the first test that needs it (so a gateway that cannot
 * start fails that test rather than a hook) and stopped by `stop`.
 */
export function lazyTlsGateway(kind: GatewayKind): { get(): Promise<TlsGateway>; stop(): Promise<void> } {
  let started: Promise<TlsGateway> | undefined;
  return {
    get: () => (started ??= startTlsGateway(kind)),
    stop: async () => {
      const s = await started?.catch(() => undefined);
      await s?.stop();
    },
  };
}

/** A request with the client certificate, the CA and the credentials (each can be left out). */
export function tlsRequest(
  t: TlsGateway,
  spec: RequestSpec,
  opts: { cert?: boolean; auth?: boolean } = {},
): Promise<Outcome> {
  const { cert = true, auth = true } = opts;
  return request(
    t.url,
    { ...spec, ...(auth ? { auth: [TLS_USER, TLS_PASSWORD] as [string, string] } : {}) },
    { ca: t.certs.pem.caCert, ...(cert ? { cert: t.certs.pem.clientCert, key: t.certs.pem.clientKey } : {}) },
  );
}

/** GET /metrics with certificate and credentials, asserting 200 and the configured header. */
export async function scrapeTls(t: TlsGateway): Promise<string> {
  const o = await tlsRequest(t, { path: '/metrics' });
  assert.ok(o.answer !== undefined, `scrape failed: ${o.failure}`);
  assert.equal(o.answer.status, 200, o.answer.body);
  assert.equal(o.answer.headers[TLS_HEADER[0].toLowerCase()], TLS_HEADER[1]);
  return o.answer.body;
}

/** The sample lines of `text` that start with `prefix`. */
export function samplesOf(text: string, prefix: string): string[] {
  return text.split('\n').filter((l) => l.startsWith(prefix));
}
