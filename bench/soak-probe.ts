/**
 * The soak's latency probe, run on a worker thread so that the load generator's own event loop does not
 * add to what it measures: GET /-/healthy on its own connection every `intervalMs` until told to stop,
 * then the latencies (ms) are posted back. A health check's latency under load is the client-side view
 * of the gateway's event-loop delay.
 */
import { Agent, request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

interface ProbeInput {
  url: string;
  intervalMs: number;
}

export interface ProbeOutput {
  latenciesMs: number[];
  failures: number;
}

function healthy(url: string, agent: Agent): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(`${url}/-/healthy`, { agent, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () =>
        res.statusCode === 200 ? resolve(performance.now() - started) : reject(new Error(`status ${res.statusCode}`)),
      );
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

if (parentPort !== null) {
  const port = parentPort;
  const { url, intervalMs } = workerData as ProbeInput;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const out: ProbeOutput = { latenciesMs: [], failures: 0 };
  let stop = false;
  port.on('message', () => {
    stop = true;
  });
  void (async () => {
    while (!stop) {
      try {
        out.latenciesMs.push(await healthy(url, agent));
      } catch {
        out.failures++;
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
    agent.destroy();
    port.postMessage(out);
  })();
}
