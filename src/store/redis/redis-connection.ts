/**
 * Connections to Redis for the Redis store: node-redis clients set up the way the store needs them. RESP2
 * (plain arrays, which the log reader walks itself), replies as Buffers where asked (families are binary),
 * commands refused at once while disconnected instead of queued (a push answers 503 now, not when Redis
 * comes back), and reconnection with a capped exponential backoff forever. The package is imported only
 * when a Redis store is configured, so the embedded default never loads it.
 *
 * With Sentinel (--store.redis.sentinels), each connection is a SentinelConnection: it asks the Sentinels
 * for the primary's address (SENTINEL GET-MASTER-ADDR-BY-NAME, each in turn), connects there, checks with
 * ROLE that it is the primary, and on a lost connection or a READONLY/UNBLOCKED reply (the node was
 * demoted) asks again. node-redis's own createSentinel is not used: it holds commands while it rediscovers
 * (a push should fail at once with 503) and retries them, which could append an entry twice unasked.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../../observe/logger.js';
import { redactUrl } from './redact-url.js';
import type { SentinelAuth } from './sentinel-auth.js';

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

/** Where the store's Redis is: one URL, or a primary found through Sentinels. */
export type RedisTarget = { url: string } | { sentinels: string[]; master: string; auth?: SentinelAuth | undefined };

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
export async function openConnections(target: RedisTarget, logger: Logger): Promise<ConnectionSet> {
  const { createClient, RESP_TYPES } = await import('redis');
  const bufferReplies = { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } };
  if ('sentinels' in target) {
    const make = (role: string): RedisConnection => {
      const auth = target.auth ?? { tls: false };
      const c = new SentinelConnection(target.sentinels, target.master, auth, role, createClient, logger);
      c.start();
      return c;
    };
    return { commands: make('commands'), tail: make('log-reader'), bufferReplies };
  }
  const url = target.url;
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
  return { commands: make('commands'), tail: make('log-reader'), bufferReplies };
}

type CreateClient = typeof import('redis')['createClient'];

/** A connection to whichever node the Sentinels name as the primary, found again after every loss. */
class SentinelConnection extends EventEmitter implements RedisConnection {
  private client: RedisConnection | null = null;
  private verified = false;
  private stopped = false;
  private failures = 0;
  private down = false;
  private finding: Promise<void> | null = null;

  constructor(
    private readonly sentinels: string[],
    private readonly master: string,
    private readonly auth: SentinelAuth,
    private readonly role: string,
    private readonly createClient: CreateClient,
    private readonly logger: Logger,
  ) {
    super();
    // An 'error' with no listener would throw; errors are logged here.
    this.on('error', () => undefined);
  }

  get isReady(): boolean {
    return this.verified && this.client?.isReady === true;
  }

  start(): void {
    this.finding ??= this.find().finally(() => {
      this.finding = null;
    });
  }

  connect(): Promise<unknown> {
    this.start();
    return Promise.resolve();
  }

  async sendCommand<T>(args: ReadonlyArray<string | Buffer>, options?: { typeMapping?: object }): Promise<T> {
    const client = this.client;
    if (client === null || !this.isReady) throw new Error(`not connected to the primary of ${this.master}`);
    try {
      return await client.sendCommand<T>(args, options);
    } catch (err) {
      const msg = (err as Error).message;
      // Demoted under us (a failover): write refused, or a blocking read cut by REPLICAOF.
      if (/^(READONLY|UNBLOCKED)/.test(msg)) this.lost(client, msg);
      throw err;
    }
  }

  destroy(): void {
    this.stopped = true;
    this.client?.destroy();
    this.client = null;
  }

  async close(): Promise<void> {
    this.stopped = true;
    await this.client?.close();
    this.client = null;
  }

  private lost(client: RedisConnection, why: string): void {
    if (this.client !== client) return;
    this.verified = false;
    this.client = null;
    client.destroy();
    if (!this.down) {
      this.down = true;
      this.logger.warn('lost the Redis primary; asking the Sentinels again', {
        master: this.master,
        role: this.role,
        err: why,
      });
    }
    if (!this.stopped) this.start();
  }

  /** Asks each Sentinel in turn for the primary, connects, checks ROLE; retries with a backoff until it has one. */
  private async find(): Promise<void> {
    while (!this.stopped) {
      const addr = await this.ask();
      if (addr !== null && (await this.attach(addr))) return;
      await new Promise((r) => setTimeout(r, Math.min(RECONNECT_MIN_MS * 2 ** this.failures++, RECONNECT_MAX_MS)));
    }
  }

  private async ask(): Promise<{ host: string; port: number } | null> {
    for (const s of this.sentinels) {
      const [host = '', port = ''] = splitHostPort(s);
      const c = this.createClient({
        socket: {
          host,
          port: Number(port),
          connectTimeout: CONNECT_TIMEOUT_MS,
          reconnectStrategy: false,
          ...(this.auth.tls ? { tls: true as const } : {}),
        },
        ...(this.auth.sentinelPassword === undefined ? {} : { password: this.auth.sentinelPassword }),
        RESP: 2,
      });
      c.on('error', () => undefined);
      try {
        await c.connect();
        const reply = (await c.sendCommand(['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.master])) as string[] | null;
        if (reply !== null && reply.length === 2) return { host: reply[0]!, port: Number(reply[1]) };
      } catch {
        // this Sentinel is down: ask the next
      } finally {
        c.destroy();
      }
    }
    if (!this.down) {
      this.down = true;
      this.logger.warn('no Sentinel named the Redis primary yet; retrying', {
        sentinels: this.sentinels.join(','),
        master: this.master,
        role: this.role,
      });
    }
    return null;
  }

  private async attach(addr: { host: string; port: number }): Promise<boolean> {
    const client = this.createClient({
      RESP: 2,
      disableOfflineQueue: true,
      name: `pushgateway-${this.role}`,
      ...(this.auth.username === undefined ? {} : { username: this.auth.username }),
      ...(this.auth.password === undefined ? {} : { password: this.auth.password }),
      ...(this.auth.database === undefined ? {} : { database: this.auth.database }),
      socket: {
        host: addr.host,
        port: addr.port,
        connectTimeout: CONNECT_TIMEOUT_MS,
        keepAlive: true,
        reconnectStrategy: false,
        ...(this.auth.tls ? { tls: true as const } : {}),
      },
    }) as unknown as RedisConnection;
    client.on('error', () => undefined);
    try {
      await client.connect();
      const role = await client.sendCommand<unknown[]>(['ROLE']);
      if (String(role[0]) !== 'master') throw new Error(`${addr.host}:${addr.port} is a ${String(role[0])}`);
    } catch (err) {
      client.destroy();
      this.logger.warn('the node the Sentinels named is not a reachable primary yet', {
        at: `${addr.host}:${addr.port}`,
        role: this.role,
        err: (err as Error).message,
      });
      return false;
    }
    if (this.stopped) {
      client.destroy();
      return false;
    }
    client.on('end', () => this.lost(client, 'connection closed'));
    client.on('error', (err: unknown) => this.lost(client, (err as Error).message));
    this.client = client;
    this.verified = true;
    this.failures = 0;
    if (this.down)
      this.logger.info('connected to the Redis primary', { at: `${addr.host}:${addr.port}`, role: this.role });
    this.down = false;
    this.emit('ready');
    return true;
  }
}

/** "host:port" or "[v6]:port" into its two parts. */
function splitHostPort(s: string): [string, string] {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  return m === null ? [s, ''] : [m[1]!, m[2]!];
}
