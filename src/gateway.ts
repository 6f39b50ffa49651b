/**
 * Wires the gateway together: logger, own metrics, store, persistence, HTTP listeners and signal
 * handling. startGateway() loads the persistence file before any listener opens (so /-/ready means
 * "loaded", as in the reference) and resolves once every listener is open. stop() is the one graceful
 * path for SIGINT, SIGTERM and /-/quit: the web config stops being followed, listeners close, in-flight
 * requests finish, then the store is persisted a last time.
 */
import v8 from 'node:v8';
import type { Config } from './config.js';
import { createLogger, type Logger } from './observe/logger.js';
import { OWN_STRICT_HELP, OWN_TYPES, SelfMetrics } from './observe/self-metrics.js';
import { MemoryStore } from './store/store.js';
import { LocalWriter, type StoreWriter } from './store/store-writer.js';
import { Persistence } from './store/persistence.js';
import { createRequestListener, listen, listenOnFd, type Listening, type ListenTls } from './http/server.js';
import type { WebConfigSource } from './web-config/web-config-source.js';
import { systemdListenFds } from './http/systemd.js';
import { VERSION, REVISION, BRANCH } from './version.js';
import { MemoryBudget, defaultMemoryLimit, effectiveBudget, heapLimitMiB } from './store/memory-budget.js';
import { BodyBudget } from './format/body-budget.js';
import { PushGuards } from './http/push-guards.js';
import { formatByteSize } from './config.js';
import { CATALOGUE, GatewayError } from './errors.js';
import { GroupLifecycle } from './lifecycle/group-lifecycle.js';
import { Expiry } from './lifecycle/expiry.js';
import { sentinelAuth } from './store/redis/sentinel-auth.js';

export interface RunningGateway {
  store: MemoryStore;
  /** Every write of the HTTP layer goes through it (store-writer.ts). */
  writer: StoreWriter;
  logger: Logger;
  servers: Listening[];
  persistence: Persistence | null;
  /** Group TTLs and intervals, and the expiry that deletes groups past their TTL (docs/lifecycle.md). */
  lifecycle: GroupLifecycle;
  expiry: Expiry;
  /** Graceful stop; resolves with the exit status it warrants (PGW_ERR_PERSIST_WRITE's if the last write failed). */
  stop(): Promise<number>;
}

/** Requests still running this long after the stop began are cut off, so a stuck client cannot hold the exit. */
const SHUTDOWN_GRACE_MS = 30_000;

export async function startGateway(
  config: Config,
  opts: { handleSignals?: boolean; webConfig?: WebConfigSource; logStream?: NodeJS.WritableStream } = {},
): Promise<RunningGateway> {
  const logger = createLogger({
    level: config.logLevel,
    format: config.logFormat,
    ...(opts.logStream !== undefined ? { stream: opts.logStream } : {}),
  });
  logger.info('starting pushgateway', { version: `(version=${VERSION}, branch=${BRANCH}, revision=${REVISION})` });
  logger.info('build context', { node: process.version, platform: `${process.platform}/${process.arch}` });
  // The reference's start-up debug lines (same messages and keys), for checking how prefixes resolved.
  logger.debug('external URL', { url: config.externalUrl });
  logger.debug('path prefix used externally', { path: config.externalPathPrefix });
  logger.debug('path prefix for internal routing', { path: config.routePrefix });
  const self = new SelfMetrics();
  const guards = new PushGuards(
    memoryBudget(config, logger),
    new BodyBudget(config.bodyMemoryLimitBytes),
    config.pushLimits,
    self,
  );
  const store = new MemoryStore({
    checkConsistency: !config.disableConsistencyCheck,
    utf8Names: config.enableUtf8Names,
    ownTypes: OWN_TYPES,
    ownStrictHelp: OWN_STRICT_HELP,
  });
  // With Redis (docs/high-availability.md) the store is the local mirror of the shared log; the package
  // is loaded only then. It connects in the background: /-/ready is 503 until connected and caught up.
  // Before the writer: whatever applies writes to the store feeds it (store-writer.ts).
  const lifecycle = new GroupLifecycle(store, { defaultTtlMs: config.groupTtlMs, upGrace: config.groupUpGrace });
  let writer: StoreWriter = new LocalWriter(store, lifecycle);
  if (config.redis.url !== '' || config.redis.sentinels.length > 0) {
    const sentinels = config.redis.sentinels;
    const redis = await (await import('./store/redis/redis-writer.js')).RedisWriter.open(
      {
        url: config.redis.url,
        sentinels:
          sentinels.length === 0
            ? undefined
            : {
                addresses: sentinels,
                master: config.redis.sentinelMaster,
                auth: sentinelAuth(config.redis.url, config.redis.sentinelMaster, config.redis.sentinelPassword),
              },
        keyPrefix: config.redis.keyPrefix,
        waitReplicas: config.redis.waitReplicas,
        storeFlags: {
          checkConsistency: !config.disableConsistencyCheck,
          utf8Names: config.enableUtf8Names,
          groupTtlMs: config.groupTtlMs,
          groupUpGrace: config.groupUpGrace,
        },
        lifecycle,
        // Internal, for tests and the bench only (not a flag): a small snapshot threshold.
        snapshotEntries: snapshotEntriesFromEnv(),
      },
      store,
      logger,
    );
    self.addCollector(() => redis.ownMetrics());
    writer = redis;
  }
  // Expired groups go the way of every write: through the store writer (with Redis, one log entry).
  const expiry = new Expiry(lifecycle, {
    expire: (items) => writer.expire(items),
    ready: () => writer.ready,
    logger,
    counted: (n) => self.countExpired(n),
  });
  if (config.groupTtlMs > 0) self.enableExpiryCounter();
  let persistence: Persistence | null = null;
  if (config.persistenceFile !== '') {
    persistence = new Persistence(config.persistenceFile, config.persistenceIntervalMs, store, logger);
    persistence.lifecycle = lifecycle;
    await persistence.prepare();
    await persistence.load();
    persistence.start();
  }
  // Groups past their TTL at start go before the first request is served.
  await expiry.runDue();

  let stopping: Promise<number> | null = null;
  const servers: Listening[] = [];
  const stop = (): Promise<number> => {
    stopping ??= (async () => {
      opts.webConfig?.close?.();
      const cutoff = setTimeout(() => {
        for (const s of servers) s.closeAllConnections();
      }, SHUTDOWN_GRACE_MS);
      cutoff.unref();
      // A keep-alive connection whose request finishes after the stop began turns idle later: sweep.
      const sweep = setInterval(() => {
        for (const s of servers) s.closeIdleConnections();
      }, 50);
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeIdleConnections();
            }),
        ),
      );
      clearTimeout(cutoff);
      clearInterval(sweep);
      logger.info('HTTP server stopped');
      await expiry.stop();
      // The writes already taken are finished before the last persistence write.
      await writer.close();
      if (persistence !== null && !(await persistence.close())) return CATALOGUE.PGW_ERR_PERSIST_WRITE.exitStatus;
      return 0;
    })();
    return stopping;
  };
  const listener = createRequestListener({
    config,
    store,
    writer,
    logger,
    self,
    guards,
    lifecycle,
    startedAt: new Date(),
    ...(opts.webConfig !== undefined ? { webConfig: opts.webConfig } : {}),
    isStopping: () => stopping !== null,
    requestShutdown: () => {
      void stop().then((code) => process.exit(code));
    },
  });

  const closeAll = (): Promise<unknown> => Promise.all(servers.map((s) => new Promise<void>((r) => s.close(r))));
  // With tls_server_config every listener, systemd sockets included, serves HTTPS (HTTP/2 by ALPN).
  const tls: ListenTls =
    opts.webConfig?.current().tlsServerConfig !== undefined ? { source: opts.webConfig, logger } : undefined;
  if (tls !== undefined) logger.info('TLS is enabled', { http2: tls.source.current().http2 });
  // One listener per systemd socket, or per --web.listen-address; a failure closes those already open.
  const targets = config.systemdSocket
    ? systemdListenFds().map((fd) => ({
        open: () => listenOnFd(listener, fd, tls),
        at: { fd },
        ok: 'listening on a systemd socket',
        failed: 'error listening on a systemd socket',
      }))
    : config.listenAddresses.map((address) => ({
        open: () => listen(listener, address, tls),
        at: { address },
        ok: 'listening on',
        failed: 'error listening',
      }));
  for (const t of targets) {
    try {
      servers.push(await t.open());
    } catch (err) {
      logger.error(t.failed, {
        ...t.at,
        err: (err as Error).message,
        ...(err instanceof GatewayError ? { code: err.code } : {}),
      });
      await closeAll();
      opts.webConfig?.close?.();
      await writer.close();
      throw err;
    }
    logger.info(t.ok, t.at);
  }
  if (opts.handleSignals !== false) {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        logger.info(`received ${signal}; exiting gracefully...`);
        void stop().then((code) => process.exit(code));
      });
    }
  }
  return { store, writer, logger, servers, persistence, lifecycle, expiry, stop };
}

/**
 * The store's memory budget: --store.memory-limit, lowered to fit V8's heap limit when the process was
 * started without the heap limit the bin sets (plain `node dist/src/cli.js`), so the process never runs
 * into V8's limit; with 0, the budget is what the heap limit allows.
 */
function memoryBudget(config: Config, logger: Logger): MemoryBudget {
  const configured = config.memoryLimitBytes;
  const budget = effectiveBudget(configured);
  const heapLimit = v8.getHeapStatistics().heap_size_limit;
  const fields = {
    limit: formatByteSize(budget),
    heap_limit: formatByteSize(heapLimit),
    body_memory_limit: formatByteSize(config.bodyMemoryLimitBytes),
  };
  // The derived default quietly fits the heap we got; an explicit limit that does not fit is worth a warning.
  if (configured > 0 && budget < configured && configured !== defaultMemoryLimit()) {
    logger.warn('V8 heap limit too small for --store.memory-limit; using a smaller memory budget', {
      ...fields,
      configured: formatByteSize(configured),
      hint: `start through the bin, or with node --max-old-space-size=${heapLimitMiB(configured)}`,
    });
  } else {
    logger.info('memory budget', fields);
  }
  return new MemoryBudget(
    budget,
    configured > 0 && budget === configured
      ? `--store.memory-limit=${config.flags['store.memory-limit']}`
      : `--store.memory-limit, lowered to fit V8's heap limit of ${formatByteSize(heapLimit)}`,
  );
}

/** PUSHGATEWAY_TEST_REDIS_SNAPSHOT_ENTRIES (tests and bench): the Redis store's snapshot threshold. */
function snapshotEntriesFromEnv(): number | undefined {
  const v = process.env.PUSHGATEWAY_TEST_REDIS_SNAPSHOT_ENTRIES;
  return v !== undefined && /^[1-9]\d*$/.test(v) ? Number(v) : undefined;
}
