/**
 * An HTTPS listener for --web.config.file's tls_server_config: one node:http2 secure server that speaks
 * HTTP/2 to clients choosing `h2` by ALPN and HTTP/1.1 to the others (allowHTTP1), running the same request
 * listener as the plain server. The TLS settings come from the config in force at each new connection,
 * so a reload applies to the next handshake and connections already open keep theirs (as in Go).
 * Client-certificate policies node:tls lacks are checked once the handshake is done, before any request is
 * read. The handle it returns stops the listener gracefully, HTTP/2 sessions included.
 */
import {
  createSecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
} from 'node:http2';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from '../observe/logger.js';
import type { WebConfigSource } from '../web-config/web-config-source.js';
import type { WebConfig } from '../web-config/web-config.js';
import { TlsContextError, TlsHandshakeError } from '../errors.js';
import { clientCertificateProblem } from './client-cert-policy.js';
import { peerAddress, rememberPeer } from './peer-address.js';
import { tlsSettings, type TlsSettings } from './tls-settings.js';
import type { HttpOptions, Listening, RequestListener } from './server.js';

export interface TlsListenerDeps {
  source: WebConfigSource;
  logger: Logger;
}

/**
 * The settings of the config in force, rebuilt when the config object changes. A config whose material
 * cannot be used (a certificate file gone since the reload read it) is logged once and the last good
 * settings stay; so does a config that turned TLS off, which a running HTTPS listener cannot follow.
 */
function currentSettings(deps: TlsListenerDeps, first: TlsSettings): () => TlsSettings {
  let seen: WebConfig = deps.source.current();
  let good = first;
  return () => {
    const config = deps.source.current();
    if (config === seen) return good;
    seen = config;
    const tls = config.tlsServerConfig;
    if (tls === undefined) {
      deps.logger.warn(TLS_OFF_BY_RELOAD, {});
      return good;
    }
    try {
      good = tlsSettings({ ...config, tlsServerConfig: tls });
    } catch (err) {
      const e = new TlsContextError((err as Error).message);
      deps.logger.error('cannot use the new TLS settings; new connections keep the last good ones', {
        code: e.code,
        err: e.message,
      });
    }
    return good;
  };
}

export const TLS_OFF_BY_RELOAD =
  'the reloaded web config turns TLS off; listeners keep serving HTTPS with the last TLS settings until a restart';

/** The node:tls switches tlsConnectionListener reads off the server for each new connection. */
interface TlsServerSwitches {
  requestCert: boolean;
  rejectUnauthorized: boolean;
  ALPNProtocols: Buffer;
}

export function createTlsServer(listener: RequestListener, http: HttpOptions, deps: TlsListenerDeps): Listening {
  const config = deps.source.current();
  if (config.tlsServerConfig === undefined) throw new Error('createTlsServer without tls_server_config');
  const first = tlsSettings({ ...config, tlsServerConfig: config.tlsServerConfig });
  const settings = currentSettings(deps, first);
  const server = createSecureServer(
    {
      ...first.context,
      allowHTTP1: true,
      // Go's http2 server takes header blocks up to MaxHeaderBytes too.
      settings: { maxHeaderListSize: http.maxHeaderSize },
    },
    // The compatibility API (Http2ServerRequest/Response) has every member the handlers use of
    // IncomingMessage/ServerResponse; the integration tests run every route kind over HTTP/2.
    listener as unknown as (req: Http2ServerRequest, res: Http2ServerResponse) => void,
  );
  // HTTP/1.1 connections are run by node:http's code, which reads these off the server.
  Object.assign(server, {
    keepAliveTimeout: http.keepAliveTimeout,
    headersTimeout: http.headersTimeout,
    requestTimeout: http.requestTimeout,
    maxHeaderSize: http.maxHeaderSize,
    requireHostHeader: true,
  });
  let applied = first;
  const apply = (s: TlsSettings): void => {
    if (s !== applied) server.setSecureContext(s.context);
    applied = s;
    const switches = server as unknown as TlsServerSwitches;
    switches.requestCert = s.requestCert;
    switches.rejectUnauthorized = s.rejectUnauthorized;
    switches.ALPNProtocols = s.alpn;
  };
  apply(first);
  const sockets = new Set<Socket>();
  const sessions = new Set<ServerHttp2Session>();
  const policyOf = new WeakMap<Socket, TlsSettings>();
  // Before node:tls wraps the socket (prepended), so the wrapping takes the settings in force now.
  server.prependListener('connection', (raw: Socket) => {
    rememberPeer(raw);
    const s = settings();
    apply(s);
    policyOf.set(raw, s);
    sockets.add(raw);
    raw.once('close', () => sockets.delete(raw));
  });
  // Before the HTTP/1 or HTTP/2 code sees the connection (prepended): a refused one never serves.
  server.prependListener('secureConnection', (socket: TLSSocket) => {
    rememberPeer(socket);
    // The raw socket node:tls wrapped (its `_parent`): the settings its handshake ran with.
    const raw = (socket as unknown as { _parent?: Socket })._parent;
    const s = (raw !== undefined ? policyOf.get(raw) : undefined) ?? applied;
    const problem = clientCertificateProblem(socket, s.tls);
    if (problem === undefined) return;
    logHandshakeError(deps.logger, socket, problem);
    socket.destroy();
  });
  server.on('tlsClientError', (err: Error, socket: TLSSocket) => logHandshakeError(deps.logger, socket, err.message));
  server.on('session', (session: ServerHttp2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  return {
    server,
    close: (callback) => {
      server.close(() => callback());
    },
    closeIdleConnections: () => {
      // HTTP/1.1 connections: node:http's own sweep (present at run time, missing from @types/node).
      (server as unknown as { closeIdleConnections(): void }).closeIdleConnections();
      // GOAWAY: the session takes no new streams, finishes those open, then closes.
      for (const session of sessions) session.close();
    },
    closeAllConnections: () => {
      for (const socket of sockets) socket.destroy();
    },
  };
}

/** Go's net/http logs these as `http: TLS handshake error from …`; scanners make them common, so debug. */
function logHandshakeError(logger: Logger, socket: TLSSocket, reason: string): void {
  const e = new TlsHandshakeError(reason);
  logger.debug('TLS handshake error', { code: e.code, source: peerAddress(socket), err: e.message });
}
