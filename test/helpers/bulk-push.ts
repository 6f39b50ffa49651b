/**
 * Fills a gateway with many groups fast for the UI's big-store tests: text-format PUTs over keep-alive
 * connections, `concurrency` at a time, each group with `families` gauge families of one series.
 */
import assert from 'node:assert/strict';
import http from 'node:http';

/** The body of group `i`: `families` gauges with HELP, one series each. */
export function bulkBody(i: number, families: number): string {
  let s = '';
  for (let f = 0; f < families; f++) {
    s += `# HELP bulk_metric_${f} Bulk metric number ${f}.\n# TYPE bulk_metric_${f} gauge\n`;
    s += `bulk_metric_${f}{shard="${f % 3}"} ${i + f / 10}\n`;
  }
  return s;
}

/** PUTs groups job=bulk-NNNNN/instance=i-N (0 ≤ N < groups) to the gateway at `base` (its URL with prefix). */
export async function bulkPush(base: string, groups: number, families: number, concurrency = 16): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const u = new URL(base);
  let next = 0;
  const one = (i: number): Promise<number> =>
    new Promise((resolve, reject) => {
      const body = bulkBody(i, families);
      const req = http.request(
        {
          agent,
          host: u.hostname,
          port: u.port,
          method: 'PUT',
          path: `${u.pathname.replace(/\/$/, '')}/metrics/job/bulk-${String(i).padStart(5, '0')}/instance/i-${i}`,
          headers: { 'Content-Length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  const worker = async (): Promise<void> => {
    while (next < groups) {
      const i = next++;
      assert.equal(await one(i), 200, `PUT of group ${i}`);
    }
  };
  try {
    await Promise.all(Array.from({ length: concurrency }, worker));
  } finally {
    agent.destroy();
  }
}
