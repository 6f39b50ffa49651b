/**
 * Connections to Redis for the Redis store: node-redis clients set up the way the store needs them. RESP2
 * (plain arrays, which the log reader walks itself), replies as Buffers where asked (families are binary),
 * commands refused at once while disconnected instead of queued (a push answers 503 now, not when Redis
 * comes back), and reconnection with a capped exponential backoff forever. The package is imported only
 * when a Redis store is configured, so the embedded default never loads it.
 */
import type { Logger } from '../../observe/logger.js';
import { redactUrl } from './redact-url.js';

/** The few client methods the store uses; node-redis's own type is generic over modules we do not load. */
export interface RedisConnection {
  readonly isReady: boolean;
  sendCommand<T>(args: ReadonlyArray<string | Buffer>, options?: { typeMapping?: object }): Promise<T>;
  connect(): Promise<unknown>;
  destroy(): void;
  close(): Promise<void>;
  on(event: 'error' | 'ready' | 'end' | 'reconnecting', listener: (arg?: unknown) => void): unknown;
}

/** The command option that makes bulk strings come back as Buffers (node-redis's RESP_TYPES.BLOB_STRING). */
export interface BufferReplies {
  typeMapping: object;
}

/** First wait before a reconnect, doubled up to the cap. */
const RECONNECT_MIN_MS = 50;
const RECONNECT_MAX_MS = 2_000;
const CONNECT_TIMEOUT_MS = 2_000;

export interface ConnectionSet {
  /** Appends (XADD, WAIT) and other short commands. */
  commands: RedisConnection;
  /** The log reader's blocking XREAD, which holds its connection while it waits. */
  tail: RedisConnection;
  bufferReplies: BufferReplies;
}

/**
 * Opens the two connections in the background: the promise resolves at once, and the clients connect (and
 * reconnect) by themselves; `isReady` tells when they are. Errors are logged once per outage and role.
 */
export async function openConnections(url: string, logger: Logger): Promise<ConnectionSet> {
  const { createClient, RESP_TYPES } = await import('redis');
  const shown = redactUrl(url);
  const make = (role: string): RedisConnection => {
    const client = createClient({
      url,
      RESP: 2,
      disableOfflineQueue: true,
      name: `pushgateway-${role}`,
      socket: {
        connectTimeout: CONNECT_TIMEOUT_MS,
        keepAlive: true,
        reconnectStrategy: (retries: number) => Math.min(RECONNECT_MIN_MS * 2 ** retries, RECONNECT_MAX_MS),
      },
    });
    let down = false;
    client.on('error', (err: Error) => {
      if (down) return;
      down = true;
      logger.warn('lost the connection to Redis; reconnecting', { url: shown, role, err: err.message });
    });
    client.on('ready', () => {
      if (down) logger.info('connected to Redis again', { url: shown, role });
      down = false;
    });
    // connect() retries by itself through reconnectStrategy; its first failure is only reported here.
    client.connect().catch((err: unknown) => {
      logger.warn('cannot connect to Redis yet', { url: shown, role, err: (err as Error).message });
    });
    return client as unknown as RedisConnection;
  };
  return {
    commands: make('commands'),
    tail: make('log-reader'),
    bufferReplies: { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } },
  };
}
