/**
 * The load generator: node:http (or node:https, for an https:// base, trusting a given CA) over a
 * keep-alive Agent, so every scenario measures the server and not connection set-up. runLoad() keeps
 * `concurrency` requests in flight until the time window closes or the request budget is spent;
 * request() is one timed request for the latency scenarios.
 */
import http from 'node:http';
import https from 'node:https';

export interface BenchRequest {
  method: string;
  path: string;
  body?: Buffer;
  headers?: Record<string, string>;
}

export interface Response {
  status: number;
  bytes: number;
  ms: number;
}

export interface LoadResult {
  requests: number;
  /** Responses whose status was not the expected one, or transport errors. */
  errors: number;
  firstError?: string | undefined;
  seconds: number;
  perSecond: number;
}

/** A keep-alive agent; with `ca` (PEM) an https one that trusts that CA, for an https:// base. */
export function keepAliveAgent(sockets: number, ca?: string): http.Agent {
  const opts = { keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets };
  return ca === undefined ? new http.Agent(opts) : new https.Agent({ ...opts, ca });
}

export interface RequestOptions {
  timeoutMs?: number;
  /** Sees every body chunk (used to count groups in a scrape without keeping 100 MB around). */
  onChunk?: (chunk: Buffer) => void;
}

/** One request; resolves with status, body size and wall time. Rejects on transport errors and timeouts. */
export function request(base: URL, agent: http.Agent, req: BenchRequest, opts: RequestOptions = {}): Promise<Response> {
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const onChunk = opts.onChunk;
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...req.headers };
    if (req.body !== undefined) headers['Content-Length'] = req.body.length;
    const r = (base.protocol === 'https:' ? https : http).request(
      {
        host: base.hostname,
        port: base.port,
        method: req.method,
        path: req.path,
        agent,
        headers,
      },
      (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          if (onChunk !== undefined) onChunk(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, ms: performance.now() - started }));
        res.on('error', reject);
      },
    );
    r.setTimeout(timeoutMs, () => r.destroy(new Error(`timeout after ${timeoutMs} ms: ${req.method} ${req.path}`)));
    r.on('error', reject);
    r.end(req.body);
  });
}

export interface LoadOptions {
  concurrency: number;
  durationMs: number;
  maxRequests: number;
  /** Builds request number i (0-based, in issue order). */
  make: (i: number) => BenchRequest;
  /** Statuses that count as success. */
  expect: readonly number[];
  /** The CA (PEM) to trust for an https:// base. */
  ca?: string;
}

/** Closed-loop load: `concurrency` workers, each sending its next request when the previous answers. */
export async function runLoad(base: URL, opts: LoadOptions): Promise<LoadResult> {
  const agent = keepAliveAgent(opts.concurrency, opts.ca);
  const started = performance.now();
  const deadline = started + opts.durationMs;
  let issued = 0;
  let done = 0;
  let errors = 0;
  let firstError: string | undefined;
  const worker = async (): Promise<void> => {
    while (issued < opts.maxRequests && performance.now() < deadline) {
      const i = issued++;
      try {
        const res = await request(base, agent, opts.make(i), { timeoutMs: Math.max(opts.durationMs * 4, 60_000) });
        if (!opts.expect.includes(res.status)) {
          errors++;
          firstError ??= `HTTP ${res.status} for request ${i}`;
        }
      } catch (err) {
        errors++;
        firstError ??= String(err);
      }
      done++;
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { requests: done, errors, firstError, seconds, perSecond: done / seconds };
}
