/**
 * Wires the gateway together: logger, own metrics, store, HTTP listeners and signal handling.
 * startGateway() resolves once every listener is open; stop() closes them gracefully.
 */
import type { Server } from 'node:http';
import type { Config } from './config.js';
import { createLogger, type Logger } from './observe/logger.js';
import { OWN_STRICT_HELP, OWN_TYPES, SelfMetrics } from './observe/self-metrics.js';
import { MemoryStore } from './store/store.js';
import { createRequestListener, listen } from './http/server.js';
import { VERSION, REVISION, BRANCH } from './version.js';

export interface RunningGateway {
  store: MemoryStore;
  logger: Logger;
  servers: Server[];
  stop(): Promise<void>;
}

export async function startGateway(config: Config, opts: { handleSignals?: boolean } = {}): Promise<RunningGateway> {
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  logger.info('starting pushgateway', { version: `(version=${VERSION}, branch=${BRANCH}, revision=${REVISION})` });
  logger.info('build context', { node: process.version, platform: `${process.platform}/${process.arch}` });
  const self = new SelfMetrics();
  const store = new MemoryStore({
    checkConsistency: !config.disableConsistencyCheck,
    utf8Names: config.enableUtf8Names,
    ownTypes: OWN_TYPES,
    ownStrictHelp: OWN_STRICT_HELP,
  });
  let stopping: Promise<void> | null = null;
  const servers: Server[] = [];
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => {
        s.close(() => resolve());
        s.closeIdleConnections();
      })));
      logger.info('HTTP server stopped');
    })();
    return stopping;
  };
  const listener = createRequestListener({
    config, store, logger, self, startedAt: new Date(),
    requestShutdown: () => { void stop().then(() => process.exit(0)); },
  });
  for (const address of config.listenAddresses) {
    try {
      servers.push(await listen(listener, address));
    } catch (err) {
      logger.error('error listening', { address, err: (err as Error).message });
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
      throw err;
    }
    logger.info('listening on', { address });
  }
  if (opts.handleSignals !== false) {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        logger.info(`received ${signal}; exiting gracefully...`);
        void stop().then(() => process.exit(0));
      });
    }
  }
  return { store, logger, servers, stop };
}
