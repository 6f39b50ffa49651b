/**
 * One HTTP request over a fresh TLS (or plain) connection, with the client's certificate, CA and TLS
 * versions chosen by the test, and what became of it as one comparable string: `http <status>` when an
 * answer came, else how the connection failed (`alert <name>` for a TLS alert the server sent, `reset`,
 * `closed`). A new connection per request, so each request has its own handshake.
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import { connect as http2Connect, type IncomingHttpHeaders as Http2Headers } from 'node:http2';
import https from 'node:https';
import type { SecureVersion, TLSSocket } from 'node:tls';

export interface TlsClient {
  /** CA file contents (PEM) to verify the server with. */
  ca?: string;
  /** Client certificate and key (PEM). */
  cert?: string;
  key?: string;
  minVersion?: SecureVersion;
  maxVersion?: SecureVersion;
  /** Speak HTTP/2 (ALPN `h2` only) instead of HTTP/1.1. */
  http2?: boolean;
}

export interface RequestSpec {
  method?: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
  /** user and password for basic auth */
  auth?: [string, string];
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The negotiated TLS version (`TLSv1.3`), or `-` over plain HTTP. */
  tlsVersion: string;
  /** The ALPN protocol the server selected (`h2`), HTTP/2 requests only. */
  alpn?: string;
}

export type Outcome = { answer: Answer; failure?: undefined } | { answer?: undefined; failure: string };

/** `Basic <base64 user:password>`. */
export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

/**
 * What a TLS failure looks like to a client: OpenSSL's alert codes (ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE,
 * ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED, …) become `alert bad certificate` etc.; a connection
 * reset or closed without an alert says so; anything else keeps its code.
 */
export function describeFailure(err: NodeJS.ErrnoException): string {
  const code = err.code ?? '';
  const alert = /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_(.+)$/.exec(code);
  if (alert !== null) return `alert ${alert[1]!.toLowerCase().replaceAll('_', ' ')}`;
  if (code === 'EPROTO') {
    // OpenSSL's text: "…:SSL routines:<function>:<reason>:<file>:<line>:SSL alert number N"
    const reason = /:SSL routines:[^:]*:([^:]+):/.exec(err.message)?.[1] ?? err.message;
    const named = /^(?:sslv3|tlsv1|tlsv13) alert (.+)$/.exec(reason);
    return named !== null ? `alert ${named[1]}` : `EPROTO ${reason}`;
  }
  if (code === 'ECONNRESET' && /socket hang up/.test(err.message)) return 'closed';
  if (code === 'ECONNRESET') return 'reset';
  if (code === 'EPIPE') return 'closed';
  return code !== '' ? code : err.message;
}

/** Sends one request on a new connection to `base` (http:// or https://) and reports the outcome. */
export function request(base: string, spec: RequestSpec, client: TlsClient = {}, timeoutMs = 10_000): Promise<Outcome> {
  const url = new URL(spec.path, base);
  const headers: Record<string, string> = { ...spec.headers };
  if (spec.auth !== undefined) headers.Authorization = basicAuth(...spec.auth);
  const body = spec.body === undefined ? undefined : Buffer.from(spec.body);
  if (body !== undefined) headers['Content-Length'] = String(body.length);
  const options: https.RequestOptions = {
    method: spec.method ?? 'GET',
    headers,
    agent: false,
    timeout: timeoutMs,
    ...(url.protocol === 'https:'
      ? {
          servername: 'localhost',
          ...(client.ca === undefined ? {} : { ca: client.ca }),
          ...(client.cert === undefined ? {} : { cert: client.cert }),
          ...(client.key === undefined ? {} : { key: client.key }),
          ...(client.minVersion === undefined ? {} : { minVersion: client.minVersion }),
          ...(client.maxVersion === undefined ? {} : { maxVersion: client.maxVersion }),
        }
      : {}),
  };
  if (client.http2 === true) return request2(url, spec.method ?? 'GET', headers, body, options, timeoutMs);
  const send = url.protocol === 'https:' ? https.request : http.request;
  return new Promise((resolve) => {
    let handshakeDone = false;
    // A TLS 1.3 server checks the client's certificate after the client has finished its handshake, so a
    // refusal arrives as an alert on the first read; a TLS 1.2 one refuses within the handshake.
    const fail = (err: NodeJS.ErrnoException) => {
      const when = handshakeDone ? ' after handshake' : ' in handshake';
      resolve({ failure: `${describeFailure(err)}${url.protocol === 'https:' ? when : ''}` });
    };
    const req = send(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () =>
        resolve({
          answer: {
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
            tlsVersion: (res.socket as TLSSocket).getProtocol?.() ?? '-',
          },
        }),
      );
      res.on('error', fail);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'TIMEOUT' })));
    req.on('socket', (socket) => {
      socket.once('secureConnect', () => {
        handshakeDone = true;
      });
    });
    req.on('error', fail);
    req.end(body);
  });
}

/** `http <status>` or the failure: the outcome as one string, for tables of outcomes. */
export function outcomeLine(o: Outcome): string {
  return o.answer !== undefined ? `http ${o.answer.status}` : o.failure;
}

/** The same over HTTP/2: one session per request, ALPN `h2` only, so its handshake is the request's. */
function request2(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
  tls: https.RequestOptions,
  timeoutMs: number,
): Promise<Outcome> {
  return new Promise((resolve) => {
    const { method: _m, headers: _h, agent: _a, timeout: _t, ...tlsOnly } = tls;
    const session = http2Connect(url.origin, { ...(tlsOnly as object), ALPNProtocols: ['h2'] });
    let handshakeDone = false;
    let settled = false;
    const finish = (o: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.destroy();
      resolve(o);
    };
    const fail = (err: NodeJS.ErrnoException) =>
      finish({ failure: `${describeFailure(err)}${handshakeDone ? ' after handshake' : ' in handshake'}` });
    const timer = setTimeout(() => fail(Object.assign(new Error('timed out'), { code: 'TIMEOUT' })), timeoutMs);
    session.socket?.once('secureConnect', () => {
      handshakeDone = true;
    });
    session.on('error', fail);
    session.on('close', () => fail(Object.assign(new Error('session closed'), { code: 'EPIPE' })));
    const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
    delete lower['content-length'];
    const stream = session.request({ ':method': method, ':path': `${url.pathname}${url.search}`, ...lower });
    const chunks: Buffer[] = [];
    let response: Http2Headers | undefined;
    stream.on('response', (h) => {
      response = h;
    });
    stream.on('data', (d: Buffer) => chunks.push(d));
    stream.on('end', () => {
      // The stream ends without a response when the connection is closed under it.
      if (response === undefined) return fail(Object.assign(new Error('no response'), { code: 'EPIPE' }));
      const socket = session.socket as TLSSocket | undefined;
      const { ':status': status, ...rest } = response;
      finish({
        answer: {
          status: Number(status),
          headers: rest as IncomingHttpHeaders,
          body: Buffer.concat(chunks).toString(),
          tlsVersion: socket?.getProtocol?.() ?? '-',
          alpn: session.alpnProtocol ?? '-',
        },
      });
    });
    stream.on('error', fail);
    stream.end(body);
  });
}
