/**
 * Starts the gateway's request listener inside the test process on a loopback port (port 0), for tests
 * that hand it dependencies the command line cannot (a WebConfig object instead of a file).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defaultConfig } from '../../src/cli.js';
import { createLogger } from '../../src/observe/logger.js';
import { OWN_STRICT_HELP, OWN_TYPES, SelfMetrics } from '../../src/observe/self-metrics.js';
import { MemoryStore } from '../../src/store/store.js';
import { LocalWriter, type StoreWriter } from '../../src/store/store-writer.js';
import { createRequestListener } from '../../src/http/server.js';
import type { WebConfig } from '../../src/web-config/web-config.js';
import { fixedWebConfig } from '../../src/web-config/web-config-source.js';

export interface InProcessGateway {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export interface InProcessOptions {
  webConfig?: WebConfig;
  /** The writer over the gateway's store (default: a LocalWriter, as the gateway uses). */
  writer?: (store: MemoryStore) => StoreWriter;
}

export async function startInProcess(opts: InProcessOptions = {}): Promise<InProcessGateway> {
  const config = defaultConfig();
  const store = new MemoryStore({
    checkConsistency: !config.disableConsistencyCheck,
    utf8Names: config.enableUtf8Names,
    ownTypes: OWN_TYPES,
    ownStrictHelp: OWN_STRICT_HELP,
  });
  const listener = createRequestListener({
    config,
    store,
    writer: opts.writer?.(store) ?? new LocalWriter(store),
    logger: createLogger({ level: 'error', format: 'logfmt' }),
    self: new SelfMetrics(),
    startedAt: new Date(),
    requestShutdown: () => {},
    ...(opts.webConfig !== undefined ? { webConfig: fixedWebConfig(opts.webConfig) } : {}),
  });
  const server = createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
