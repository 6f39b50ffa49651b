/**
 * The HTTP front: a node:http server per listen address, a handler for each route of the route table
 * (routes.ts), request counting for pushgateway_http_requests_total, and error → status mapping.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Server as NetServer } from 'node:net';
import type { Config } from '../config.js';
import type { StoreReader } from '../store/store-reader.js';
import type { StoreWriter } from '../store/store-writer.js';
import type { Logger } from '../observe/logger.js';
import type { SelfMetrics } from '../observe/self-metrics.js';
import type { Params, Router } from './router.js';
import { routeTable, type RouteName } from './routes.js';
import { handleDelete, handlePush, type PushContext } from './push.js';
import type { PushGuards } from './push-guards.js';
import { ScrapeHandler } from './scrape.js';
import { renderStatusPage } from './ui/status-page.js';
import { parsePageQuery } from './ui/page-query.js';
import { absoluteBase } from './ui/absolute-base.js';
import { STATIC_MAX_AGE, staticAsset } from './ui/static-assets.js';
import { sendEmpty, sendHttpError, sendNotFound, sendRedirect, sendText, sendPieces } from './respond.js';
import { metricsJsonPieces, sendJson, sendJsonPieces, setCors, statusJson } from './api.js';
import { BRANCH, BUILD_DATE, REVISION, VERSION } from '../version.js';
import { PerClientLogLimit } from '../observe/per-client-log-limit.js';
import { excerpt } from '../observe/log-excerpt.js';
import { peerAddress, rememberPeer } from './peer-address.js';
import { listenBacklog } from './listen-backlog.js';
import { WebGate } from './web-gate.js';
import { createTlsServer, type TlsListenerDeps } from './tls-listener.js';
import type { WebConfigSource } from '../web-config/web-config-source.js';
import { GroupLifecycle } from '../lifecycle/group-lifecycle.js';
import { GroupUp } from '../lifecycle/group-up.js';
import { handleDeleteGroups, handleGroups, type GroupsApiDeps } from './groups-api.js';
import { trackRequest } from '../observe/request-activity.js';
import {
  AsteriskTargetError,
  BadPathError,
  HttpError,
  InternalError,
  LifecycleDisabledError,
  ListenError,
  MethodNotAllowedError,
  NotReadyError,
  QuitMethodError,
} from '../errors.js';

/** Rejected-push log lines allowed per client per window, and the window. */
export const REJECTION_LOG_LINES = 20;
export const REJECTION_LOG_WINDOW_MS = 10_000;

/** A route's code: returns the status it answered, or nothing when `res.statusCode` says it. */
// biome-ignore lint/suspicious/noConfusingVoidType: void lets handlers that return nothing (Promise<void>) be routes.
type Handler = (req: IncomingMessage, res: ServerResponse, params: Params) => Promise<number | void> | number | void;

interface RouteEntry {
  /** Label for pushgateway_http_requests_total; undefined = not counted (scrapes, quit). */
  counted?: string;
  run: Handler;
}

export interface HttpDeps {
  config: Config;
  /** The local store every read goes to (scrapes, API, UI, push guards). */
  store: StoreReader;
  /** Where every push, delete and wipe goes; its `ready` is what /-/ready answers. */
  writer: StoreWriter;
  logger: Logger;
  self: SelfMetrics;
  /** Memory and body budgets and per-push limits; none when absent. */
  guards?: PushGuards;
  startedAt: Date;
  /** Called by /-/quit when the lifecycle API is enabled. */
  requestShutdown: () => void;
  /** True once a graceful stop began: responses then close their connection. */
  isStopping?: () => boolean;
  /** --web.config.file's headers and basic auth in front of every route; without it nothing is gated. */
  webConfig?: WebConfigSource;
  /** Group TTLs and intervals (src/lifecycle/); the gateway passes the one its expiry watches. */
  lifecycle?: GroupLifecycle;
}

export function buildRouter(deps: HttpDeps): Router<RouteEntry> {
  const { config, store, writer, self, logger } = deps;
  const lifecycle =
    deps.lifecycle ?? new GroupLifecycle(store, { defaultTtlMs: config.groupTtlMs, upGrace: config.groupUpGrace });
  const groupsApi: GroupsApiDeps = { store, lifecycle, logger, deleteGroups: (groups) => writer.deleteGroups(groups) };
  const pushCtx: PushContext = {
    lifecycle,
    store,
    writer,
    logger,
    self,
    utf8Names: config.enableUtf8Names,
    checkConsistency: !config.disableConsistencyCheck,
    maxBodyBytes: config.maxBodyBytes,
    rejectionLogLimit: new PerClientLogLimit(
      { linesPerWindow: REJECTION_LOG_LINES, windowMs: REJECTION_LOG_WINDOW_MS },
      (client, suppressed, level) =>
        logger[level]('suppressed rejected-push log lines', {
          client,
          suppressed,
          window: `${REJECTION_LOG_WINDOW_MS / 1000}s`,
        }),
    ),
    ...(deps.guards !== undefined ? { guards: deps.guards } : {}),
  };
  const scrape = new ScrapeHandler(store, self, logger, config.enableUtf8Names, new GroupUp(lifecycle));
  const ok: Handler = (_req, res) => {
    sendText(res, 200, 'OK');
    return 200;
  };
  // Ready as before (also while stopping) unless the writer says otherwise.
  const ready: Handler = (_req, res) => {
    if (!writer.ready) {
      sendHttpError(res, new NotReadyError());
      return 503;
    }
    sendText(res, 200, 'OK');
    return 200;
  };
  const notFound: Handler = (_req, res) => {
    sendNotFound(res);
    return 404;
  };
  const buildInfo = {
    branch: BRANCH || 'unknown',
    buildDate: BUILD_DATE || 'unknown',
    buildUser: 'unknown',
    goVersion: process.version,
    revision: REVISION || 'unknown',
    version: VERSION,
  };
  const quit: Handler = (_req, res) => {
    if (!config.enableLifecycle) {
      sendHttpError(res, new LifecycleDisabledError());
      return;
    }
    sendText(res, 200, 'Requesting termination... Goodbye!');
    logger.warn('received termination request via web service, exiting gracefully...');
    deps.requestShutdown();
  };
  /** `counted`: the label of pushgateway_http_requests_total; scrapes, pprof and quit are not counted. */
  const entries: Record<RouteName, RouteEntry> = {
    scrape: { run: (req, res) => scrape.handle(req, res) },
    push: { counted: 'push', run: (req, res, p) => handlePush(pushCtx, req, res, p, false) },
    'push@base64': { counted: 'push', run: (req, res, p) => handlePush(pushCtx, req, res, p, true) },
    delete: { counted: 'delete', run: (req, res, p) => handleDelete(pushCtx, req, res, p, false) },
    'delete@base64': { counted: 'delete', run: (req, res, p) => handleDelete(pushCtx, req, res, p, true) },
    healthy: { counted: 'healthy', run: ok },
    ready: { counted: 'ready', run: ready },
    status: {
      counted: 'status',
      run: async (req, res) => {
        sendPieces(
          res,
          200,
          { 'Content-Type': 'text/html; charset=utf-8' },
          await renderStatusPage(store, deps.startedAt, config.flags, undefined, lifecycle, {
            externalPathPrefix: config.externalPathPrefix,
            enableAdminApi: config.enableAdminApi,
            buildInfo,
            absoluteBase: absoluteBase(req, config),
            query: parsePageQuery(req.url),
          }),
        );
        return 200;
      },
    },
    static: {
      counted: 'static',
      run: (req, res, p) => {
        // The catch-all holds the rest of the path with its leading '/'.
        const a = staticAsset((p.filepath ?? '').replace(/^\//, ''));
        if (a === undefined) return notFound(req, res, p);
        const headers = {
          'Content-Type': a.contentType,
          'Cache-Control': `public, max-age=${STATIC_MAX_AGE}`,
          ETag: a.etag,
        };
        if (req.headers['if-none-match'] === a.etag) {
          res.writeHead(304, headers);
          res.end();
          return 304;
        }
        sendPieces(res, 200, headers, [a.body]);
        return 200;
      },
    },
    pprof: { run: notFound },
    quit: { run: quit },
    'quit-get': {
      run: (_req, res) => {
        sendHttpError(res, new QuitMethodError());
      },
    },
    'api/v1/status': {
      counted: 'api/v1/status',
      run: (_req, res) => {
        setCors(res);
        sendJson(res, statusJson({ flags: config.flags, buildInfo, startedAt: deps.startedAt }));
        return 200;
      },
    },
    'api/v1/metrics': {
      counted: 'api/v1/metrics',
      run: async (_req, res) => {
        setCors(res);
        sendJsonPieces(res, await metricsJsonPieces(store));
        return 200;
      },
    },
    'api/v1/groups': { counted: 'api/v1/groups', run: (req, res) => handleGroups(groupsApi, req, res) },
    'admin/groups': { counted: 'admin/groups', run: (req, res) => handleDeleteGroups(groupsApi, req, res) },
    'api/v1/options': {
      counted: 'api/v1/options',
      run: (_req, res) => {
        setCors(res);
        sendEmpty(res, 200);
        return 200;
      },
    },
    wipe: {
      counted: 'wipe',
      run: async (req, res) => {
        req.resume();
        // One O(groups) clear instead of the reference's one queued delete per group (its issue #384).
        let n: number;
        try {
          n = await writer.wipe();
        } catch (err) {
          // A replicated writer may refuse it (PGW_ERR_STORE_UNAVAILABLE): answered with its status, not 500.
          if (!(err instanceof HttpError)) throw err;
          logger.warn('wipe not stored', { code: err.code, err: err.message });
          sendHttpError(res, err);
          return err.status;
        }
        logger.info('wiped all groups via the admin API', { groups: n });
        sendEmpty(res, 202);
        return 202;
      },
    },
  };
  return routeTable(config).map((name) => entries[name]);
}

const ABSOLUTE_FORM = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/;

/**
 * The handler of every listener. Over TLS it also gets HTTP/2 requests through node:http2's compatibility
 * API (Http2ServerRequest/Response), which has every member the routes use.
 */
export function createRequestListener(deps: HttpDeps): RequestListener {
  const router = buildRouter(deps);
  const gate = deps.webConfig !== undefined ? new WebGate(deps.webConfig) : undefined;
  /** An unexpected error while serving: logged with the request, answered 500 unless the head is out. */
  const failed = (req: IncomingMessage, res: ServerResponse, method: string, err: unknown): boolean => {
    const internal = new InternalError();
    deps.logger.error('request failed', {
      code: internal.code,
      method,
      url: excerpt(req.url ?? ''),
      source: peerAddress(req.socket),
      err: excerpt(String(err)),
    });
    if (res.headersSent) return false;
    sendHttpError(res, internal);
    return true;
  };
  const serve = (req: IncomingMessage, res: ServerResponse, method: string): void => {
    if (req.url === '*') {
      sendHttpError(res, new AsteriskTargetError());
      return;
    }
    let target = req.url ?? '/';
    // An absolute-form target (`PUT http://host/metrics/job/x`, as sent to proxies) is routed by its path,
    // as net/http does.
    const absolute = ABSOLUTE_FORM.exec(target);
    if (absolute !== null) target = target.slice(absolute[0].length); // an empty path is redirected to `/`
    const result = router.route(method, target);
    switch (result.kind) {
      case 'match': {
        const { handler, params } = result;
        Promise.resolve()
          .then(() => handler.run(req, res, params))
          .then((code) => {
            if (handler.counted !== undefined) deps.self.countRequest(code ?? res.statusCode, handler.counted, method);
          })
          .catch((err: unknown) => {
            if (!failed(req, res, method, err)) res.destroy();
          });
        return;
      }
      case 'redirect':
        sendRedirect(res, method, result.status, result.location);
        return;
      case 'options':
        sendEmpty(res, 200, { Allow: result.allow });
        return;
      case 'method-not-allowed':
        sendHttpError(res, new MethodNotAllowedError(result.allow));
        return;
      case 'bad-request':
        sendHttpError(res, new BadPathError());
        return;
      case 'not-found':
        sendNotFound(res);
    }
  };
  return (req, res) => {
    trackRequest(res);
    // HTTP/2 has no Connection header (a stopping session sends GOAWAY instead; see tls-listener.ts).
    if (deps.isStopping?.() === true && req.httpVersionMajor === 1) res.setHeader('Connection', 'close');
    const method = req.method ?? 'GET';
    // net/http answers OPTIONS * itself (200, empty), before any handler: the web config gate included.
    // Every other asterisk-form request goes through the gate to net/http's 400.
    if (req.url === '*' && method === 'OPTIONS') {
      sendEmpty(res, 200);
      return;
    }
    if (gate === undefined) {
      serve(req, res, method);
      return;
    }
    const admitted = gate.admit(req, res);
    if (admitted === true) serve(req, res, method);
    else if (admitted !== false) {
      admitted.then(
        (ok) => {
          if (ok) serve(req, res, method);
        },
        (err: unknown) => {
          // The bcrypt worker died: logged, answered 500; the next check starts a new one.
          failed(req, res, method, err);
        },
      );
    }
  };
}

/** Splits a Go listen address (`:9091`, `127.0.0.1:9091`, `[::1]:9091`) into host and port. */
export function parseListenAddress(addr: string): { host: string | undefined; port: number } {
  const i = addr.lastIndexOf(':');
  if (i < 0) throw new ListenError(`listen address ${JSON.stringify(addr)}: missing port`);
  let host = addr.slice(0, i);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const port = Number(addr.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ListenError(`listen address ${JSON.stringify(addr)}: invalid port`);
  }
  return { host: host === '' ? undefined : host, port };
}

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

/** node:http's limits, shared by the plain and the TLS listener. */
export interface HttpOptions {
  keepAliveTimeout: number;
  headersTimeout: number;
  requestTimeout: number;
  maxHeaderSize: number;
}

export const HTTP_OPTIONS: HttpOptions = {
  keepAliveTimeout: 65_000,
  headersTimeout: 60_000,
  requestTimeout: 300_000,
  // net/http reads up to DefaultMaxHeaderBytes (1 MiB) plus 4 KiB of request line and headers; Node's
  // default of 16 KiB would refuse long grouping keys (base64 values) with 431.
  maxHeaderSize: (1 << 20) + 4096,
};

/** A listening server and the three steps of a graceful stop (gateway.ts). */
export interface Listening {
  server: NetServer;
  /** Stops accepting; the callback runs once every connection is gone. */
  close(callback: () => void): void;
  /** Closes connections with no request in flight (HTTP/2: GOAWAY, open streams finish). */
  closeIdleConnections(): void;
  /** Cuts every connection off. */
  closeAllConnections(): void;
}

/** TLS for every listener: from --web.config.file's tls_server_config (tls-listener.ts). */
export type ListenTls = TlsListenerDeps | undefined;

/** Read once: every listener of the process gets the same backlog (see listen-backlog.ts). */
let backlog: number | undefined;

function plainServer(listener: RequestListener): Listening {
  const server = createServer(HTTP_OPTIONS, listener);
  // Asked at once: a client that resets later is still logged with its address (see peer-address.ts).
  server.on('connection', rememberPeer);
  return {
    server,
    close: (callback) => {
      server.close(() => callback());
    },
    closeIdleConnections: () => server.closeIdleConnections(),
    closeAllConnections: () => server.closeAllConnections(),
  };
}

/**
 * Node issues listen() on an inherited systemd socket as well (it cannot adopt one as is), so those
 * get this backlog too instead of the unit's Backlog=; Go leaves them as systemd opened them.
 */
function serve(
  listener: RequestListener,
  target: { port: number; host: string | undefined } | { fd: number },
  tls: ListenTls,
): Promise<Listening> {
  let listening: Listening;
  try {
    listening = tls === undefined ? plainServer(listener) : createTlsServer(listener, HTTP_OPTIONS, tls);
  } catch (err) {
    return Promise.reject(err);
  }
  const { server } = listening;
  return new Promise((resolve, reject) => {
    // Node's own words (`listen EADDRINUSE: address already in use …`), under the catalogue's code.
    const fail = (err: Error): void => reject(new ListenError(err.message, { cause: err }));
    server.once('error', fail);
    backlog ??= listenBacklog();
    const ready = (): void => {
      server.off('error', fail);
      resolve(listening);
    };
    // Node ignores `backlog` in the options of an fd listen; it takes it as the second argument there.
    if ('fd' in target) server.listen(target, backlog, ready);
    else server.listen({ ...target, backlog }, ready);
  });
}

export function listen(listener: RequestListener, address: string, tls?: ListenTls): Promise<Listening> {
  return serve(listener, parseListenAddress(address), tls);
}

/** Serves on an already listening socket inherited as a file descriptor (systemd socket activation). */
export function listenOnFd(listener: RequestListener, fd: number, tls?: ListenTls): Promise<Listening> {
  return serve(listener, { fd }, tls);
}
