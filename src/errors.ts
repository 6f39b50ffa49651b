/**
 * One catalogue of the gateway's failures: every answer other than a success or a redirect, every exit
 * status other than 0, and the failures that are only logged. Each has a stable code (PGW_ERR_*), either
 * the HTTP status it is answered with or the exit status the process ends with (never one field for both),
 * and a message. CATALOGUE below is the table; docs/errors.md mirrors it one-to-one (test/unit/errors-doc
 * holds them equal). The messages of errors a client sees match the reference Pushgateway's texts, because
 * scripts in the wild grep for them.
 */

/** What a failure leads to. Exactly one of httpStatus / exitStatus, or neither for a failure only logged. */
export interface CatalogueEntry {
  /** The status the request is answered with. */
  readonly httpStatus?: number;
  /** The status the process exits with. */
  readonly exitStatus?: number;
  /** The message, or its template: `<...>` stands for a part that depends on the case. */
  readonly message: string;
}

export const CATALOGUE = {
  // Answered over HTTP: pushes and deletes.
  PGW_ERR_GROUPING_KEY: { httpStatus: 400, message: '<what is wrong with the grouping key in the URL>' },
  PGW_ERR_SELECTOR: { httpStatus: 400, message: 'bad selector <selector>: <what is wrong, and where>' },
  PGW_ERR_MATCH_REQUIRED: {
    httpStatus: 400,
    message: 'at least one match[] parameter is required (PUT /api/v1/admin/wipe deletes every group)',
  },
  PGW_ERR_LIFECYCLE_HEADER: { httpStatus: 400, message: 'invalid <header> header <value>: <reason>' },
  PGW_ERR_BODY: { httpStatus: 400, message: '<why the body could not be read or decompressed>' },
  PGW_ERR_BODY_TOO_LARGE: {
    httpStatus: 413,
    message: '[decompressed ]request body exceeds the limit of <N> bytes (--push.max-body-size)',
  },
  PGW_ERR_BODY_MEMORY: {
    httpStatus: 503,
    message:
      'push refused for now: request bodies in flight would take more than <N> bytes ' +
      '(--push.body-memory-limit); retry later',
  },
  PGW_ERR_TEXT_PARSE: { httpStatus: 400, message: 'text format parsing error in line <N>: <problem>' },
  PGW_ERR_PROTOBUF_PARSE: { httpStatus: 400, message: '<what is wrong with the protobuf stream>' },
  PGW_ERR_PUSH_LIMIT: { httpStatus: 400, message: '<limit> exceeded (<what the push holds>, limit: <N>)' },
  PGW_ERR_MEMORY_LIMIT: {
    httpStatus: 507,
    message: 'push refused: it would take the store past its memory limit of <size> <details>',
  },
  PGW_ERR_INCONSISTENT: {
    httpStatus: 400,
    message: 'pushed metrics are invalid or inconsistent with existing metrics: <problems>',
  },
  PGW_ERR_STORE_UNAVAILABLE: {
    httpStatus: 503,
    message: 'Redis store unavailable: <why>; <nothing was written|the write may still be applied>, retry later',
  },
  // Answered over HTTP: routing, lifecycle, scrapes.
  PGW_ERR_NOT_FOUND: { httpStatus: 404, message: '404 page not found' },
  PGW_ERR_METHOD_NOT_ALLOWED: { httpStatus: 405, message: 'Method Not Allowed' },
  PGW_ERR_QUIT_METHOD: { httpStatus: 405, message: 'Only POST or PUT requests allowed.' },
  PGW_ERR_LIFECYCLE_DISABLED: { httpStatus: 403, message: 'Lifecycle API is not enabled.' },
  PGW_ERR_NOT_READY: { httpStatus: 503, message: 'store not ready: <why>' },
  PGW_ERR_BAD_PATH: { httpStatus: 400, message: '400 Bad Request' },
  PGW_ERR_ASTERISK_TARGET: { httpStatus: 400, message: '' },
  PGW_ERR_GATHER: { httpStatus: 500, message: 'An error has occurred while serving metrics:\n\n<problems>' },
  PGW_ERR_INTERNAL: { httpStatus: 500, message: 'Internal Server Error' },
  // Answered over HTTP: the --web.config.file gate, in front of every route.
  PGW_ERR_UNAUTHORIZED: { httpStatus: 401, message: 'Unauthorized' },
  // The process exits.
  PGW_ERR_CONFIG: { exitStatus: 1, message: '<what is wrong with the flag or its value>[, try --help]' },
  PGW_ERR_UNSUPPORTED: { exitStatus: 1, message: '<feature> is not supported yet' },
  PGW_ERR_PERSISTENCE: { exitStatus: 1, message: '<why the persistence file cannot be used>' },
  PGW_ERR_LISTEN: { exitStatus: 1, message: '<why the address cannot be listened on>' },
  PGW_ERR_SYSTEMD_SOCKET: { exitStatus: 1, message: '--web.systemd-socket: <why no socket was inherited>' },
  PGW_ERR_WEB_CONFIG: { exitStatus: 1, message: '--web.config.file <path>: [<key>: ]<reason>' },
  PGW_ERR_PERSIST_WRITE: { exitStatus: 1, message: '<why the persistence file could not be written>' },
  PGW_ERR_UNEXPECTED: { exitStatus: 1, message: '<the exception and its stack>' },
  // Logged; the gateway carries on.
  PGW_ERR_SNAPSHOT: { message: '<why the persistence file could not be loaded>' },
  PGW_ERR_TLS_HANDSHAKE: { message: '<why a TLS connection was refused>' },
  PGW_ERR_TLS_SETTINGS: { message: '<why the TLS settings of a reloaded web config cannot be used>' },
} as const satisfies Record<string, CatalogueEntry>;

export type ErrorCode = keyof typeof CATALOGUE;
type CodeWith<K extends 'httpStatus' | 'exitStatus'> = {
  [C in ErrorCode]: (typeof CATALOGUE)[C] extends Record<K, number> ? C : never;
}[ErrorCode];
export type HttpErrorCode = CodeWith<'httpStatus'>;
export type ExitErrorCode = CodeWith<'exitStatus'>;

/** The root of every catalogued failure. */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/**
 * How an answer is written. `error` is net/http's http.Error (nosniff, the message and a newline), `text`
 * a handler's plain w.Write of the message, `raw` exactly the error's headers and the message (what
 * net/http's server writes itself for a request it cannot route).
 */
export type AnswerForm = 'error' | 'text' | 'raw';

/** A failure answered over HTTP with its catalogued status. */
export class HttpError extends GatewayError {
  declare readonly code: HttpErrorCode;
  /** The HTTP status (from the catalogue). */
  readonly status: number;
  /** Response headers the answer carries besides the body's own (e.g. Retry-After, Allow). */
  readonly headers: Readonly<Record<string, string>>;
  readonly form: AnswerForm;
  constructor(code: HttpErrorCode, message: string, headers: Record<string, string> = {}, form: AnswerForm = 'error') {
    super(code, message);
    this.status = CATALOGUE[code].httpStatus;
    this.headers = headers;
    this.form = form;
  }
}

/** A failure that ends the process with its catalogued exit status. */
export class ExitError extends GatewayError {
  declare readonly code: ExitErrorCode;
  /** The process exit status (from the catalogue). */
  readonly exitStatus: number;
  constructor(code: ExitErrorCode, message: string, options?: ErrorOptions) {
    super(code, message, options);
    this.exitStatus = CATALOGUE[code].exitStatus;
  }
}

// ---------------------------------------------------------------------------------------------------
// Pushes and deletes

/** A push URL that does not describe a valid grouping key (bad base64, odd components, label names). */
export class GroupingKeyError extends HttpError {
  constructor(message: string) {
    super('PGW_ERR_GROUPING_KEY', message);
  }
}

/** A `match[]` series selector that does not parse, or selects by nothing but empty values. */
export class SelectorError extends HttpError {
  constructor(message: string) {
    super('PGW_ERR_SELECTOR', message);
  }
}

/** DELETE /api/v1/admin/groups without any match[]: deleting everything is the wipe's job. */
export class MatchRequiredError extends HttpError {
  constructor() {
    super('PGW_ERR_MATCH_REQUIRED', CATALOGUE.PGW_ERR_MATCH_REQUIRED.message);
  }
}

/** An X-Pushgateway-TTL or X-Pushgateway-Interval push header that is not a non-negative duration. */
export class LifecycleHeaderError extends HttpError {
  constructor(header: string, value: string, reason: string) {
    super('PGW_ERR_LIFECYCLE_HEADER', `invalid ${header} header ${JSON.stringify(value)}: ${reason}`);
  }
}

/** The body could not be read or decoded (truncated stream, bad gzip or snappy data). */
export class BodyError extends HttpError {
  constructor(message: string) {
    super('PGW_ERR_BODY', message);
  }
}

/** The body, as sent or once decompressed, is larger than --push.max-body-size. */
export class BodyTooLargeError extends HttpError {
  constructor(limit: number, decompressed: boolean) {
    super(
      'PGW_ERR_BODY_TOO_LARGE',
      `${decompressed ? 'decompressed ' : ''}request body exceeds the limit of ${limit} bytes (--push.max-body-size)`,
    );
  }
}

/**
 * Request bodies being received and decoded right now would take more memory than
 * --push.body-memory-limit allows: a transient condition, so 503 with Retry-After, as for any overload.
 */
export class BodyMemoryError extends HttpError {
  constructor(message: string, retryAfterSeconds = 1) {
    super('PGW_ERR_BODY_MEMORY', message, { 'Retry-After': String(retryAfterSeconds) });
  }
}

/**
 * The Redis store (--store.redis.url) cannot take the write now: the gateway is not connected to Redis,
 * the append failed, fewer Redis replicas than --store.redis.wait-replicas acknowledged it, or the local
 * mirror did not apply it in time. 503 with Retry-After: the client's retry succeeds once Redis is back.
 * `appended` tells whether the write reached the log (it may then still be applied, by every replica).
 */
export class StoreUnavailableError extends HttpError {
  readonly appended: boolean;
  constructor(why: string, appended = false) {
    super(
      'PGW_ERR_STORE_UNAVAILABLE',
      `Redis store unavailable: ${why}; ${appended ? 'the write may still be applied' : 'nothing was written'}, ` +
        'retry later',
      { 'Retry-After': '1' },
    );
    this.appended = appended;
  }
}

/** The body is not valid Prometheus text format; the message carries the 1-based line number. */
export class TextParseError extends HttpError {
  readonly line: number;
  readonly detail: string;
  constructor(line: number, detail: string) {
    super('PGW_ERR_TEXT_PARSE', `text format parsing error in line ${line}: ${detail}`);
    this.line = line;
    this.detail = detail;
  }
}

/** The body is not a valid length-delimited stream of io.prometheus.client.MetricFamily messages. */
export class ProtobufParseError extends HttpError {
  constructor(message: string) {
    super('PGW_ERR_PROTOBUF_PARSE', message);
  }
}

/**
 * The push breaks one of the optional per-push limits (--push.sample-limit, --push.label-limit,
 * --push.label-name-length-limit, --push.label-value-length-limit), named after and worded like the
 * scrape limits of Prometheus (sample_limit, label_limit, label_name_length_limit, label_value_length_limit).
 */
export class PushLimitError extends HttpError {
  readonly limit: string;
  constructor(limit: string, message: string) {
    super('PGW_ERR_PUSH_LIMIT', message);
    this.limit = limit;
  }
}

/**
 * The push would take the V8 heap past the store's memory budget (--store.memory-limit). 507 Insufficient
 * Storage: the gateway cannot store it, and retrying does not help until groups are deleted or the limit
 * is raised (unlike 503, which says "try again soon"). Nothing is stored; the process keeps serving.
 */
export class MemoryLimitError extends HttpError {
  constructor(message: string) {
    super('PGW_ERR_MEMORY_LIMIT', message);
  }
}

/** The push is well-formed but would make the store inconsistent, or carries timestamps. */
export class ConsistencyError extends HttpError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(
      'PGW_ERR_INCONSISTENT',
      `pushed metrics are invalid or inconsistent with existing metrics: ${formatProblems(problems)}`,
    );
    this.problems = problems;
  }
}

// ---------------------------------------------------------------------------------------------------
// Routing, lifecycle, scrapes: the reference's fixed texts

/** No route for the path (net/http's NotFound). */
export class NotFoundError extends HttpError {
  constructor() {
    super('PGW_ERR_NOT_FOUND', CATALOGUE.PGW_ERR_NOT_FOUND.message);
  }
}

/** The path exists for other methods only; `allow` lists them (the router's Allow header). */
export class MethodNotAllowedError extends HttpError {
  constructor(allow: string) {
    super('PGW_ERR_METHOD_NOT_ALLOWED', CATALOGUE.PGW_ERR_METHOD_NOT_ALLOWED.message, { Allow: allow });
  }
}

/** GET /-/quit: the reference answers it with its own text, whether or not the lifecycle API is on. */
export class QuitMethodError extends HttpError {
  constructor() {
    super('PGW_ERR_QUIT_METHOD', CATALOGUE.PGW_ERR_QUIT_METHOD.message, {}, 'text');
  }
}

/** PUT/POST /-/quit without --web.enable-lifecycle. */
export class LifecycleDisabledError extends HttpError {
  constructor() {
    super('PGW_ERR_LIFECYCLE_DISABLED', CATALOGUE.PGW_ERR_LIFECYCLE_DISABLED.message, {}, 'text');
  }
}

/**
 * /-/ready while the store's writer cannot take writes or its local store has not caught up (a replicated
 * store connecting or catching up; the embedded store is always ready once listening). 503, not the
 * reference's 500 for its not-ready state: a load balancer reads 503 as "send elsewhere for now".
 */
export class NotReadyError extends HttpError {
  constructor(why = 'it is connecting or catching up') {
    super('PGW_ERR_NOT_READY', `store not ready: ${why}`);
  }
}

/** A request path net/http cannot decode (a bad %-escape): its own plain 400 on a closed connection. */
export class BadPathError extends HttpError {
  constructor() {
    super(
      'PGW_ERR_BAD_PATH',
      CATALOGUE.PGW_ERR_BAD_PATH.message,
      { 'Content-Type': 'text/plain; charset=utf-8', Connection: 'close' },
      'raw',
    );
  }
}

/** The asterisk request target (`* HTTP/1.1`) with a method other than OPTIONS: net/http's empty 400. */
export class AsteriskTargetError extends HttpError {
  constructor() {
    super(
      'PGW_ERR_ASTERISK_TARGET',
      CATALOGUE.PGW_ERR_ASTERISK_TARGET.message,
      { Connection: 'close', 'Content-Length': '0' },
      'raw',
    );
  }
}

/** A scrape while the store is inconsistent (possible with --push.disable-consistency-check). */
export class GatherError extends HttpError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super('PGW_ERR_GATHER', `An error has occurred while serving metrics:\n\n${formatProblems(problems)}`);
    this.problems = problems;
  }
}

/** A handler threw something uncatalogued: a bug. The cause is logged, the client sees net/http's text. */
export class InternalError extends HttpError {
  constructor() {
    super('PGW_ERR_INTERNAL', CATALOGUE.PGW_ERR_INTERNAL.message);
  }
}

// ---------------------------------------------------------------------------------------------------
// The --web.config.file gate

/**
 * Basic auth is configured and the request has no credentials, credentials Go's BasicAuth would not
 * read, an unknown user or a wrong password: exporter-toolkit's http.Error(401) with `WWW-Authenticate`.
 */
export class UnauthorizedError extends HttpError {
  constructor() {
    super('PGW_ERR_UNAUTHORIZED', CATALOGUE.PGW_ERR_UNAUTHORIZED.message, { 'WWW-Authenticate': 'Basic' });
  }
}

// ---------------------------------------------------------------------------------------------------
// The process exits

/** A command-line flag or value the gateway cannot accept. */
export class ConfigError extends ExitError {
  constructor(message: string) {
    super('PGW_ERR_CONFIG', message);
  }
}

/** A flag asks for a feature this build does not provide yet. */
export class UnsupportedFeatureError extends ExitError {
  constructor(message: string) {
    super('PGW_ERR_UNSUPPORTED', message);
  }
}

/** The persistence file cannot be used at all (its directory is missing or not writable). */
export class PersistenceSetupError extends ExitError {
  constructor(message: string) {
    super('PGW_ERR_PERSISTENCE', message);
  }
}

/** A --web.listen-address that cannot be listened on (no port, a bad port, taken, not permitted). */
export class ListenError extends ExitError {
  constructor(message: string, options?: ErrorOptions) {
    super('PGW_ERR_LISTEN', message, options);
  }
}

/** --web.systemd-socket without sockets passed by systemd to this process. */
export class SystemdSocketError extends ExitError {
  constructor(message: string) {
    super('PGW_ERR_SYSTEMD_SOCKET', message);
  }
}

/**
 * The --web.config.file cannot be used: it is unreadable, not the toolkit's YAML, or a key holds a value
 * the toolkit refuses (or a certificate, key or CA it names cannot be read). `key` is the dotted path of
 * the key at fault (`tls_server_config.cert_file`), absent for a fault of the whole file.
 */
export class WebConfigError extends ExitError {
  readonly key: string | undefined;
  constructor(file: string, key: string | undefined, reason: string, options?: ErrorOptions) {
    super('PGW_ERR_WEB_CONFIG', `--web.config.file ${file}: ${key === undefined ? '' : `${key}: `}${reason}`, options);
    this.key = key;
  }
}

/** Writing the persistence file failed: logged and retried while running, exit status 1 at shutdown. */
export class PersistWriteError extends ExitError {
  constructor(message: string, options?: ErrorOptions) {
    super('PGW_ERR_PERSIST_WRITE', message, options);
  }
}

/** An exception nothing above describes (a bug), met at start or on the way out. */
export class UnexpectedError extends ExitError {
  constructor(cause: unknown) {
    super('PGW_ERR_UNEXPECTED', cause instanceof Error ? cause.message : String(cause), { cause });
  }
}

// ---------------------------------------------------------------------------------------------------
// Logged only

/** Why a persistence file could not be read; `kind` tells the log line (and tests) what went wrong. */
export class SnapshotError extends GatewayError {
  readonly kind: 'foreign' | 'future-version' | 'truncated' | 'checksum' | 'invalid';
  constructor(kind: SnapshotError['kind'], message: string) {
    super('PGW_ERR_SNAPSHOT', message);
    this.kind = kind;
  }
}

/** A TLS connection refused: the handshake failed, or its client certificate fails the configured policy. */
export class TlsHandshakeError extends GatewayError {
  constructor(reason: string) {
    super('PGW_ERR_TLS_HANDSHAKE', reason);
  }
}

/** The certificate, key or CA of a reloaded web config cannot be used: the listener keeps the last good ones. */
export class TlsSettingsError extends GatewayError {
  constructor(reason: string) {
    super('PGW_ERR_TLS_SETTINGS', reason);
  }
}

/** Go's multierror rendering, which the reference uses for several consistency problems. */
export function formatProblems(problems: string[]): string {
  if (problems.length === 1) return problems[0]!;
  return `${problems.length} error(s) occurred:\n${problems.map((p) => `* ${p}`).join('\n')}`;
}
