/**
 * The soak's HTTP client: node:http over one keep-alive agent, with exact request headers (fetch would add
 * `Accept-Encoding: gzip` to every request, and a plain scrape must stay plain) and a bound on every call.
 */
import { Agent, request } from 'node:http';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const agent = new Agent({ keepAlive: true, maxSockets: 64 });

/** One request; rejects on a network error or when no full reply came within `timeoutMs`. */
export function send(
  url: string,
  method: string,
  headers: Record<string, string> = {},
  body?: Buffer,
  timeoutMs = 15_000,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no reply within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Closes the idle keep-alive sockets so the process can exit. */
export function closeClient(): void {
  agent.destroy();
}
