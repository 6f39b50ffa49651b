/**
 * The gateway's thread inside the single executable (binary/main.ts starts it). It runs the same `main` as
 * `node dist/src/cli.js`, in a Worker whose V8 heap limits main.ts sets from the command line, because a
 * Node 20 single executable reads no V8 flags from its command line and its isolate's heap limit is fixed
 * before any script runs. Signals reach only the main thread: it posts their names here, and they are
 * emitted on `process`, where the gateway's SIGINT/SIGTERM handlers listen.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { main } from '../cli.js';

const FORWARDED = new Set<string>(['SIGINT', 'SIGTERM']);

parentPort?.on('message', (signal: unknown) => {
  if (typeof signal === 'string' && FORWARDED.has(signal)) process.emit(signal as NodeJS.Signals);
});
// The port must not keep the thread alive: a gateway that failed to start ends like the process would.
parentPort?.unref();

const argv = Array.isArray(workerData) ? workerData.map(String) : [];
main(argv).catch((err: unknown) => {
  process.stderr.write(`pushgateway: error: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 1;
});
