/**
 * Entry point of the single executable (`npm run build:binary`, docs/packaging.md). `--help`, `--version`
 * and command-line errors are answered here; a gateway run starts binary/gateway-thread.ts in a Worker with
 * the V8 limits bin/pushgateway gives Node on its command line: an old generation of 1.5 x
 * --store.memory-limit and a 4 MiB semi-space. A Node 20 executable cannot take them otherwise: its command
 * line all goes to the script, the sea-config `execArgv` field arrived in later Node versions,
 * v8.setFlagsFromString does not move a running isolate's heap limit, and re-executing itself with
 * NODE_OPTIONS would make two processes, with signals from systemd's kill (sent to both) arriving twice. In a
 * thread, the process id, the inherited systemd sockets, stdio and the exit status stay the process's own.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { getAsset, isSea } from 'node:sea';
import { Worker } from 'node:worker_threads';
import { type CommandLineResult, main, parseCommandLine } from '../cli.js';
import { heapLimitMiB } from '../store/memory-budget.js';

/** V8's young generation is three semi-spaces (two and the large-object space): --max-semi-space-size=4. */
const YOUNG_GENERATION_MIB = 12;
const THREAD_ASSET = 'gateway-thread.cjs';

/** The gateway thread's bundled source: a SEA asset, or the file beside this bundle when run by plain node. */
// A static import: import() has no loader inside a single executable built with a code cache.
function threadSource(): string {
  if (isSea()) return getAsset(THREAD_ASSET, 'utf8');
  return readFileSync(path.join(path.dirname(process.argv[1] ?? '.'), THREAD_ASSET), 'utf8');
}

async function start(argv: string[]): Promise<void> {
  let result: CommandLineResult | undefined;
  try {
    result = parseCommandLine(argv);
  } catch {
    result = undefined; // main() prints the error
  }
  if (result?.kind !== 'run') {
    await main(argv);
    return;
  }
  const oldMiB = heapLimitMiB(result.config.memoryLimitBytes);
  const worker = new Worker(threadSource(), {
    eval: true,
    workerData: argv,
    resourceLimits: {
      maxYoungGenerationSizeMb: YOUNG_GENERATION_MIB,
      ...(oldMiB === undefined ? {} : { maxOldGenerationSizeMb: oldMiB }),
    },
  });
  // once, as the gateway's own handlers: a second signal finds none and ends the process, as with the bin.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => worker.postMessage(signal));
  worker.on('error', (err) => {
    process.stderr.write(`pushgateway: error: ${err.stack ?? String(err)}\n`);
    process.exitCode = 1;
  });
  worker.on('exit', (code) => process.exit(process.exitCode ?? code));
}

start(process.argv.slice(2)).catch((err: unknown) => {
  process.stderr.write(`pushgateway: error: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 1;
});
