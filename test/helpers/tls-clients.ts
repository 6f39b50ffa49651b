/**
 * TLS test material and clients for the HTTPS listener's tests: client certificates signed by the test CA
 * of certificates.ts (and one self-signed), made with `openssl` at test time and valid for two days, and
 * small clients that report what a request over TLS came to — the status and body, or the error that
 * ended it — with the negotiated ALPN protocol, TLS version and cipher.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { connect as http2Connect } from 'node:http2';
import path from 'node:path';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import type { TestCertificates } from './certificates.js';

export interface ClientCertificate {
  cert: string;
  key: string;
}

export interface ClientCertificates {
  /** Signed by the test CA; SANs DNS:client.example, email:client@example.com, URI:spiffe://test/client. */
  signed: ClientCertificate;
  /** Signed by the test CA; SAN DNS:other.example only. */
  other: ClientCertificate;
  /** Self-signed: no CA the gateway knows vouches for it. */
  selfSigned: ClientCertificate;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

function signedClient(certs: TestCertificates, name: string, san: string): ClientCertificate {
  const dir = certs.dir;
  openssl(dir, ['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
  const ext = path.join(dir, `${name}.ext`);
  execFileSync('sh', [
    '-c',
    `printf '%s\\n' "$1" "$2" > "$3"`,
    'sh',
    `subjectAltName=${san}`,
    'extendedKeyUsage=clientAuth',
    ext,
  ]);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    certs.caCert,
    '-CAkey',
    certs.caKey,
    '-CAcreateserial',
    '-extfile',
    ext,
    '-out',
    `${name}.crt`,
    '-days',
    '2',
  ]);
  return read(dir, name);
}

function read(dir: string, name: string): ClientCertificate {
  return {
    cert: readFileSync(path.join(dir, `${name}.crt`), 'utf8'),
    key: readFileSync(path.join(dir, `${name}.key`), 'utf8'),
  };
}

export function makeClientCertificates(certs: TestCertificates): ClientCertificates {
  const signed = signedClient(certs, 'client', 'DNS:client.example,email:client@example.com,URI:spiffe://test/client');
  const other = signedClient(certs, 'other-client', 'DNS:other.example');
  openssl(certs.dir, [
    'req',
    '-x509',
    ...EC,
    '-keyout',
    'stray.key',
    '-out',
    'stray.crt',
    '-days',
    '2',
    '-subj',
    '/CN=stray',
    '-addext',
    'subjectAltName=DNS:client.example',
  ]);
  return { signed, other, selfSigned: read(certs.dir, 'stray') };
}

/** What one request over TLS came to. */
export interface TlsOutcome {
  /** The status, or undefined when the connection failed or was closed before an answer. */
  status?: number;
  body?: string;
  headers?: Record<string, string | string[] | undefined>;
  /** Why there was no answer (the client's error code or message). */
  error?: string;
  alpn?: string | false | null;
  protocol?: string | null;
  cipher?: string;
}

export interface TlsRequest {
  port: number;
  method?: string;
  path?: string;
  body?: string;
  headers?: Record<string, string>;
  /** The CA the client trusts for the server (the test CA). */
  ca: string;
  client?: ClientCertificate;
  tls?: Pick<ConnectionOptions, 'minVersion' | 'maxVersion' | 'ciphers' | 'ALPNProtocols'>;
}

/** One HTTP/1.1 request over a fresh TLS connection (node:https, no agent). */
export function httpsOnce(r: TlsRequest): Promise<TlsOutcome> {
  return new Promise((resolve) => {
    let socket: TLSSocket | undefined;
    const seen = (): TlsOutcome => {
      if (socket === undefined) return {};
      // Null (whatever the types say) once a failed connection is torn down.
      const cipher = socket.getCipher() as ReturnType<TLSSocket['getCipher']> | null;
      return {
        alpn: socket.alpnProtocol,
        protocol: socket.getProtocol(),
        ...(cipher !== null && cipher !== undefined ? { cipher: cipher.name } : {}),
      };
    };
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port: r.port,
        method: r.method ?? 'GET',
        path: r.path ?? '/-/healthy',
        headers: r.headers ?? {},
        ca: r.ca,
        servername: 'localhost',
        agent: false,
        timeout: 10_000,
        ...(r.client !== undefined ? { cert: r.client.cert, key: r.client.key } : {}),
        ...r.tls,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            body: Buffer.concat(chunks).toString('utf8'),
            headers: res.headers,
            ...seen(),
          }),
        );
        res.on('error', (err) => resolve({ error: (err as NodeJS.ErrnoException).code ?? err.message, ...seen() }));
      },
    );
    req.on('socket', (s) => {
      socket = s as TLSSocket;
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ error: (err as NodeJS.ErrnoException).code ?? err.message, ...seen() }));
    req.end(r.body);
  });
}

/** One request over HTTP/2 (node:http2, ALPN h2 only): the answer, or why there was none. */
export function http2Once(r: TlsRequest): Promise<TlsOutcome> {
  return new Promise((resolve) => {
    const session = http2Connect(`https://127.0.0.1:${r.port}`, {
      ca: r.ca,
      servername: 'localhost',
      ...(r.client !== undefined ? { cert: r.client.cert, key: r.client.key } : {}),
      ...r.tls,
    });
    const done = (o: TlsOutcome): void => {
      const socket = session.socket as TLSSocket | undefined;
      const alpn = session.alpnProtocol;
      session.destroy();
      resolve({ ...o, alpn: alpn ?? null, ...(socket?.getProtocol ? { protocol: socket.getProtocol() } : {}) });
    };
    session.on('error', (err) => done({ error: (err as NodeJS.ErrnoException).code ?? err.message }));
    const stream = session.request({
      ':method': r.method ?? 'GET',
      ':path': r.path ?? '/-/healthy',
      ...(r.headers ?? {}),
    });
    const chunks: Buffer[] = [];
    let status: number | undefined;
    let headers: Record<string, string | string[] | undefined> = {};
    stream.on('response', (h) => {
      status = Number(h[':status']);
      headers = h;
    });
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () =>
      done(
        status === undefined
          ? { error: 'no response' }
          : { status, headers, body: Buffer.concat(chunks).toString('utf8') },
      ),
    );
    stream.on('error', (err) => done({ error: (err as NodeJS.ErrnoException).code ?? err.message }));
    stream.end(r.body);
  });
}

/** A `healthy` probe for servers.ts: GET /-/healthy over HTTPS trusting `ca` answers 200. */
export function httpsHealthy(ca: string, client?: ClientCertificate): (url: string) => Promise<boolean> {
  return async (url) => {
    const port = Number(new URL(url).port);
    const o = await httpsOnce({ port, ca, ...(client !== undefined ? { client } : {}) });
    return o.status === 200;
  };
}
