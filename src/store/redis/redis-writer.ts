/**
 * The StoreWriter of the Redis store (docs/high-availability.md, "How a write is made atomic with its
 * check"): a write is appended to the one log (`XADD <prefix>log *`), which fixes its place in the global
 * order, optionally acknowledged by Redis replicas (`WAIT`), and answered with what applying that entry to
 * the local mirror returned (LogTail). Every replica applies the same entries to the same states, so they
 * all reach the same answer and the same store. Without a connection a write fails at once with 503.
 */
import { randomBytes } from 'node:crypto';
import { StoreUnavailableError, type ConsistencyError } from '../../errors.js';
import type { GroupingLabels } from '../../model/grouping-key.js';
import type { MetricFamily } from '../../model/metric.js';
import type { Logger } from '../../observe/logger.js';
import type { MemoryStore, PushRequest } from '../store.js';
import type { StoreWriter } from '../store-writer.js';
import { ENTRY_VERSION, encodeEntry, type LogEntry } from './entry-codec.js';
import { DEFAULT_SNAPSHOT_ENTRIES, LogTail, type ApplyResult } from './log-tail.js';
import { APPEND_LUA, logKeys } from './log-snapshot.js';
import { openConnections, type ConnectionSet } from './redis-connection.js';
import { redactUrl } from './redact-url.js';
import type { SentinelAuth } from './sentinel-auth.js';
import type { GroupLifecycle } from '../../lifecycle/group-lifecycle.js';
import type { ExpireItem } from '../../lifecycle/expire-write.js';

/** How soon the store-settings check is asked again after Redis refused it on a live connection. */
const CONFIG_RETRY_MS = 250;

export interface RedisWriterOptions {
  /** redis:// or rediss:// (--store.redis.url); '' with sentinels. */
  url: string;
  /**
   * --store.redis.sentinels and --store.redis.sentinel-master: find the primary through Sentinel instead;
   * `auth` from --store.redis.url (naming the master) and --store.redis.sentinel-password.
   */
  sentinels?: { addresses: string[]; master: string; auth?: SentinelAuth } | undefined;
  /** Prefix of every key (--store.redis.key-prefix). */
  keyPrefix: string;
  /** Redis replicas that must have a write before it is acknowledged (--store.redis.wait-replicas). */
  waitReplicas: number;
  /** How long a write waits for WAIT, and for the local mirror to apply it, before answering 503. */
  writeTimeoutMs?: number;
  /**
   * The store flags every replica on the log must share (the check is part of applying an entry):
   * recorded in `<prefix>config` by the first replica; one with others is never ready (see checkConfig).
   */
  storeFlags?: { checkConsistency: boolean; utf8Names: boolean; groupTtlMs?: number; groupUpGrace?: number };
  /**
   * The group lifecycle the mirror feeds as it applies entries (docs/lifecycle.md, "With the Redis
   * store"); its --push.group-ttl and --push.group-up-grace are part of storeFlags.
   */
  lifecycle?: GroupLifecycle | undefined;
  /** Internal (tests, bench): log entries since the last snapshot before a new one; DEFAULT_SNAPSHOT_ENTRIES. */
  snapshotEntries?: number | undefined;
}

const DEFAULT_WRITE_TIMEOUT_MS = 10_000;

export class RedisWriter implements StoreWriter {
  /** Names this replica's entries in the log, so its mirror knows which results a local write waits for. */
  readonly replicaId = `${process.pid}-${randomBytes(6).toString('hex')}`;
  readonly tail: LogTail;
  private closed = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  /**
   * Settles once the latest write's XADD has been handed to the connection (or the write failed before):
   * each write sends its XADD only after the one called before it, so the log keeps the call order even
   * when an earlier, bigger entry takes longer to encode. Sending is pipelined: no round trip in between.
   */
  private lastSent: Promise<void> = Promise.resolve();
  private readonly timeoutMs: number;
  private readonly shownUrl: string;
  /** undefined: not checked on this connection yet; '': matches; else why this replica may not write. */
  private configProblem: string | undefined;

  private constructor(
    private readonly conns: ConnectionSet,
    private readonly opts: RedisWriterOptions,
    store: MemoryStore,
    private readonly logger: Logger,
  ) {
    this.timeoutMs = opts.writeTimeoutMs ?? DEFAULT_WRITE_TIMEOUT_MS;
    this.shownUrl =
      opts.sentinels === undefined
        ? redactUrl(opts.url)
        : `the primary ${opts.sentinels.master} (Sentinels ${opts.sentinels.addresses.join(',')})`;
    this.tail = new LogTail(
      conns.tail,
      conns.commands,
      conns.bufferReplies,
      { keys: logKeys(opts.keyPrefix), snapshotEntries: opts.snapshotEntries ?? DEFAULT_SNAPSHOT_ENTRIES },
      store,
      this.replicaId,
      logger,
      opts.lifecycle,
    );
  }

  /** Connects in the background (not ready until connected and caught up) and starts the mirror's reader. */
  static async open(opts: RedisWriterOptions, store: MemoryStore, logger: Logger): Promise<RedisWriter> {
    const target =
      opts.sentinels === undefined
        ? { url: opts.url }
        : { sentinels: opts.sentinels.addresses, master: opts.sentinels.master, auth: opts.sentinels.auth };
    const writer = new RedisWriter(await openConnections(target, logger), opts, store, logger);
    writer.conns.commands.on('ready', () => writer.checkConfig());
    if (writer.conns.commands.isReady) writer.checkConfig();
    writer.tail.start();
    logger.info('Redis store', { url: writer.shownUrl, log: writer.logKey, replica: writer.replicaId });
    return writer;
  }

  get logKey(): string {
    return `${this.opts.keyPrefix}log`;
  }

  /**
   * Own metrics of the Redis store: whether it can take writes, the entries its mirror applied, and the
   * time of the newest one (an entry ID's first part is Redis's clock in ms when it was appended), so the
   * lag between replicas, or behind the newest write, can be read off in Prometheus.
   */
  ownMetrics(): MetricFamily[] {
    const gauge = (name: string, help: string, type: 'GAUGE' | 'COUNTER', value: number): MetricFamily => ({
      name,
      help,
      type,
      metrics: [{ labels: [], value }],
    });
    const lastMs = Number(this.tail.lastId.split('-', 1)[0]);
    return [
      gauge(
        'pushgateway_store_up',
        'Whether the Redis store is connected and its local mirror caught up with the log (1), or not (0).',
        'GAUGE',
        this.ready ? 1 : 0,
      ),
      gauge(
        'pushgateway_store_log_entries_applied_total',
        'Entries of the Redis log the local mirror applied since the start.',
        'COUNTER',
        this.tail.applied,
      ),
      gauge(
        'pushgateway_store_log_last_applied_timestamp_seconds',
        'When the newest entry the local mirror applied was appended to the Redis log (0: none yet).',
        'GAUGE',
        lastMs / 1000,
      ),
      gauge(
        'pushgateway_store_replication_lag_entries',
        'Entries in the Redis log after the last one the local mirror applied, as of its last read ' +
          '(NaN: not known, on a log written before entries were numbered).',
        'GAUGE',
        this.tail.lagEntries,
      ),
      gauge(
        'pushgateway_store_snapshots_written_total',
        'Snapshots of the state this replica wrote to Redis (each trims the log to the one before).',
        'COUNTER',
        this.tail.snapshotsWritten,
      ),
      gauge(
        'pushgateway_store_snapshot_restores_total',
        'Times the local mirror was restored from the Redis snapshot (at start, or when the log was trimmed past it).',
        'COUNTER',
        this.tail.restores,
      ),
    ];
  }

  get ready(): boolean {
    return !this.closed && this.conns.commands.isReady && this.configProblem === '' && this.tail.caughtUp;
  }

  /**
   * `<prefix>config` holds the entry format and store flags of the first replica on this log (SET NX); a
   * replica with others would apply the same entries differently, so it stays not ready and refuses
   * writes (its mirror is not the others' state), and says why in the log. Checked on every connect.
   */
  private checkConfig(): void {
    this.configProblem = undefined;
    const flags = this.opts.storeFlags ?? { checkConsistency: true, utf8Names: false };
    const mine = JSON.stringify({ v: ENTRY_VERSION, ...flags });
    const key = `${this.opts.keyPrefix}config`;
    const commands = this.conns.commands;
    void (async () => {
      await commands.sendCommand(['SET', key, mine, 'NX']);
      const theirs = await commands.sendCommand<string | null>(['GET', key]);
      if (theirs === mine) {
        this.configProblem = '';
        return;
      }
      this.configProblem =
        `this replica's store settings ${mine} differ from those of the log's replicas in ${key}, ${theirs}` +
        ' (--push.disable-consistency-check, --push.enable-utf8-names and the version must match)';
      this.logger.error('not taking writes: the Redis log belongs to replicas with other settings', {
        key,
        ours: mine,
        theirs,
      });
    })().catch(() => {
      // A connection that went away is checked again on its next connect. One that stays up may still refuse
      // commands: a Redis reading its AOF or RDB after a restart answers -LOADING for seconds (it was the
      // replica never ready again after a Redis restart). Asked again shortly while it is up.
      const retry = setTimeout(() => {
        if (!this.closed && commands.isReady && this.configProblem === undefined) this.checkConfig();
      }, CONFIG_RETRY_MS);
      retry.unref();
    });
  }

  push(req: PushRequest): Promise<ConsistencyError | undefined> {
    return this.write({ op: 'push', req }) as Promise<ConsistencyError | undefined>;
  }

  deleteGroup(labels: GroupingLabels): Promise<boolean> {
    return this.write({ op: 'delete', labels }) as Promise<boolean>;
  }

  /** One log entry for all of them; the answer is how many applying it to this mirror deleted. */
  deleteGroups(groups: readonly GroupingLabels[]): Promise<number> {
    return this.write({ op: 'deletes', groups }) as Promise<number>;
  }

  wipe(): Promise<number> {
    return this.write({ op: 'wipe' }) as Promise<number>;
  }

  /** One log entry for the batch; the answer is what applying it to this mirror did (expire-write.ts). */
  expire(items: readonly ExpireItem[]): Promise<boolean[]> {
    return this.write({ op: 'expire', items }) as Promise<boolean[]>;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
    this.conns.tail.destroy();
    await this.tail.stop();
    await this.conns.commands.close().catch(() => this.conns.commands.destroy());
  }

  private write(entry: LogEntry): Promise<ApplyResult> {
    const p = this.appendAndWait(entry);
    this.inFlight.add(p);
    const done = (): void => {
      this.inFlight.delete(p);
    };
    p.then(done, done);
    return p;
  }

  private async appendAndWait(entry: LogEntry): Promise<ApplyResult> {
    if (this.closed) throw new StoreUnavailableError('the gateway is shutting down');
    const commands = this.conns.commands;
    if (!commands.isReady) throw new StoreUnavailableError(`not connected to ${this.shownUrl}`);
    if (this.configProblem !== '') {
      throw new StoreUnavailableError(this.configProblem ?? `still checking ${this.opts.keyPrefix}config`);
    }
    const before = this.lastSent;
    let sent = (): void => {};
    this.lastSent = new Promise((resolve) => {
      sent = resolve;
    });
    let reply: Promise<string>;
    try {
      const fields = await encodeEntry(entry, this.replicaId);
      // XADD through APPEND_LUA, which numbers the entry (`n`) in log order (the lag in entries).
      const keys = this.tail.keys;
      const args: Array<string | Buffer> = ['EVAL', APPEND_LUA, '2', keys.log, keys.seq];
      for (const name in fields) args.push(name, fields[name]!);
      await before;
      if (!commands.isReady) throw new StoreUnavailableError(`not connected to ${this.shownUrl}`);
      reply = commands.sendCommand<string>(args);
    } finally {
      sent();
    }
    let id: string;
    try {
      id = await reply;
    } catch (err) {
      // A lost connection may have cut the reply, not the append: the write may be in the log after all.
      throw new StoreUnavailableError(`appending to the log failed (${(err as Error).message})`, true);
    }
    const applied = this.tail.result(id);
    if (this.opts.waitReplicas > 0) await this.waitReplicas(id);
    return this.withTimeout(applied, id);
  }

  private async waitReplicas(id: string): Promise<void> {
    const want = this.opts.waitReplicas;
    let got: number;
    try {
      got = await this.conns.commands.sendCommand<number>(['WAIT', String(want), String(this.timeoutMs)]);
    } catch (err) {
      this.tail.forget(id);
      throw new StoreUnavailableError(`WAIT failed (${(err as Error).message})`, true);
    }
    if (got < want) {
      this.tail.forget(id);
      throw new StoreUnavailableError(
        `only ${got} of the ${want} Redis replicas asked for (--store.redis.wait-replicas) have the write`,
        true,
      );
    }
  }

  private withTimeout(applied: Promise<ApplyResult>, id: string): Promise<ApplyResult> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.tail.forget(id);
        this.logger.warn('a write appended to the Redis log was not applied here in time', { id });
        reject(new StoreUnavailableError(`the local mirror did not apply the write within ${this.timeoutMs} ms`, true));
      }, this.timeoutMs);
      applied.then(
        (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err as Error);
        },
      );
    });
  }
}
