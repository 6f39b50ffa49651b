/**
 * One catalogue of the gateway's failures. Each error has a stable code (PGW_ERR_*), an HTTP status and
 * a message that names the problem. The messages of errors a client sees match the reference
 * Pushgateway's texts, because scripts in the wild grep for them.
 */

export class GatewayError extends Error {
  readonly code: string;
  readonly status: number;
  /** Response headers the error's answer carries besides the plain-text body (e.g. Retry-After). */
  readonly headers: Readonly<Record<string, string>>;
  constructor(code: string, status: number, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.headers = headers;
  }
}

/** A push URL that does not describe a valid grouping key (bad base64, odd components, label names). */
export class GroupingKeyError extends GatewayError {
  constructor(message: string) {
    super('PGW_ERR_GROUPING_KEY', 400, message);
  }
}

/** The body is not valid Prometheus text format; the message carries the 1-based line number. */
export class TextParseError extends GatewayError {
  readonly line: number;
  readonly detail: string;
  constructor(line: number, detail: string) {
    super('PGW_ERR_TEXT_PARSE', 400, `text format parsing error in line ${line}: ${detail}`);
    this.line = line;
    this.detail = detail;
  }
}

/** The body is not a valid length-delimited stream of io.prometheus.client.MetricFamily messages. */
export class ProtobufParseError extends GatewayError {
  constructor(message: string) {
    super('PGW_ERR_PROTOBUF_PARSE', 400, message);
  }
}

/** The body could not be read or decoded (size limit, truncated stream). */
export class BodyError extends GatewayError {
  constructor(message: string, status = 400) {
    super('PGW_ERR_BODY', status, message);
  }
}

/** The push is well-formed but would make the store inconsistent, or carries timestamps. */
export class ConsistencyError extends GatewayError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super('PGW_ERR_INCONSISTENT', 400,
      `pushed metrics are invalid or inconsistent with existing metrics: ${formatProblems(problems)}`);
    this.problems = problems;
  }
}

/**
 * The push would take the V8 heap past the store's memory budget (--store.memory-limit). 507 Insufficient
 * Storage: the gateway cannot store it, and retrying does not help until groups are deleted or the limit
 * is raised (unlike 503, which says "try again soon"). Nothing is stored; the process keeps serving.
 */
export class MemoryLimitError extends GatewayError {
  constructor(message: string) {
    super('PGW_ERR_MEMORY_LIMIT', 507, message);
  }
}

/**
 * Request bodies being received and decoded right now would take more memory than
 * --push.body-memory-limit allows: a transient condition, so 503 with Retry-After, as for any overload.
 */
export class BodyMemoryError extends GatewayError {
  constructor(message: string, retryAfterSeconds = 1) {
    super('PGW_ERR_BODY_MEMORY', 503, message, { 'Retry-After': String(retryAfterSeconds) });
  }
}

/**
 * The push breaks one of the optional per-push limits (--push.sample-limit, --push.label-limit,
 * --push.label-name-length-limit, --push.label-value-length-limit), named after and worded like the
 * scrape limits of Prometheus (sample_limit, label_limit, label_name_length_limit, label_value_length_limit).
 */
export class PushLimitError extends GatewayError {
  readonly limit: string;
  constructor(limit: string, message: string) {
    super('PGW_ERR_PUSH_LIMIT', 400, message);
    this.limit = limit;
  }
}

/** A command-line flag or value the gateway cannot accept. */
export class ConfigError extends GatewayError {
  constructor(message: string) {
    super('PGW_ERR_CONFIG', 2, message);
  }
}

/** Go's multierror rendering, which the reference uses for several consistency problems. */
export function formatProblems(problems: string[]): string {
  if (problems.length === 1) return problems[0]!;
  return `${problems.length} error(s) occurred:\n` + problems.map((p) => `* ${p}`).join('\n');
}
