/**
 * Prints the Node.js flags the gateway needs for a command line, for bin/pushgateway to start Node with:
 * V8's heap limit (--max-old-space-size) matched to the memory budget (--store.memory-limit, or its
 * default from the machine's or the cgroup's memory), because V8 fixes the heap limit when the isolate is
 * created and v8.setFlagsFromString cannot raise it later. Prints nothing for a command line that does
 * not start the gateway (--help, --version, errors: the gateway reports those itself).
 */
import { parseCommandLine } from './cli.js';
import { heapLimitMiB } from './store/memory-budget.js';

try {
  const result = parseCommandLine(process.argv.slice(2));
  if (result.kind === 'run') {
    const mib = heapLimitMiB(result.config.memoryLimitBytes);
    if (mib !== undefined) process.stdout.write(`--max-old-space-size=${mib}\n`);
  }
} catch {
  // A bad command line: the gateway itself prints the error.
}
