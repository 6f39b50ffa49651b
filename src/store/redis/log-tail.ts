/**
 * The mirror's reader of the Redis log (docs/high-availability.md, "How a mirror catches up"): on its own
 * connection it reads `<prefix>log` from the last entry it applied, first without blocking until nothing
 * is left (caught up: the replica may report ready), then with a blocking XREAD, so a write on another
 * replica reaches this mirror in about one round trip. Each entry is decoded and applied to the local
 * MemoryStore in log order, big ones in slices (pushSliced, deleteSliced, wipeInOrder), and the result of
 * applying an entry this replica appended is handed to the write waiting for it. After a lost connection
 * it waits with a backoff, then catches up from where it stopped before it is caught up again.
 *
 * Not built yet (step 3): a snapshot to start from and a trimmed log; a replica reads the whole log.
 */
import type { ConsistencyError } from '../../errors.js';
import type { Logger } from '../../observe/logger.js';
import type { MemoryStore } from '../store.js';
import { decodeEntry, type LogEntry } from './entry-codec.js';
import type { BufferReplies, RedisConnection } from './redis-connection.js';

/** What applying an entry returned: a push's rejection (or undefined), a delete's found, a wipe's count. */
export type ApplyResult = ConsistencyError | undefined | boolean | number;

/** Entries read per XREAD: bounds what is held read but not yet applied. */
const READ_COUNT = 100;
/** How long one blocking read waits before it loops (so a stop or a half-dead connection is noticed). */
const BLOCK_MS = 2_000;
const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 2_000;
/** Results of own entries applied before their XADD answered, kept until claimed; beyond this, dropped. */
const MAX_UNCLAIMED = 10_000;

type RawEntry = [Buffer, Buffer[]];
type RawStreams = Array<[Buffer, RawEntry[]]> | null;

interface Waiter {
  resolve(result: ApplyResult): void;
}

export class LogTail {
  /** The ID of the last entry applied ('0-0': none yet). */
  lastId = '0-0';
  /** Entries applied since start. */
  applied = 0;
  private caught = false;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private readonly waiters = new Map<string, Waiter>();
  private readonly unclaimed = new Map<string, ApplyResult>();
  private readonly onCaughtUp: Array<() => void> = [];

  constructor(
    private readonly conn: RedisConnection,
    private readonly buffers: BufferReplies,
    private readonly logKey: string,
    private readonly store: MemoryStore,
    private readonly replicaId: string,
    private readonly logger: Logger,
  ) {}

  /** Has the mirror applied everything the log held when it last read without blocking? */
  get caughtUp(): boolean {
    return this.caught && this.conn.isReady;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Resolves once caught up (at start, the moment the replica may report ready). */
  whenCaughtUp(): Promise<void> {
    if (this.caughtUp) return Promise.resolve();
    return new Promise((resolve) => this.onCaughtUp.push(resolve));
  }

  /** The result of applying the entry `id`, which this replica appended; resolves once it is applied. */
  result(id: string): Promise<ApplyResult> {
    if (this.unclaimed.has(id)) {
      const r = this.unclaimed.get(id);
      this.unclaimed.delete(id);
      return Promise.resolve(r);
    }
    return new Promise((resolve) => this.waiters.set(id, { resolve }));
  }

  /** Gives up waiting for `id` (the write timed out); a result that comes later is dropped. */
  forget(id: string): void {
    this.waiters.delete(id);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      if (!this.conn.isReady) {
        this.caught = false;
        await sleep(Math.min(RETRY_MIN_MS * 2 ** failures++, RETRY_MAX_MS));
        continue;
      }
      try {
        const streams = await this.read(this.caught);
        failures = 0;
        const entries = streams?.[0]?.[1] ?? [];
        for (const [id, fields] of entries) await this.apply(id.toString('latin1'), fields);
        if (!this.caught && entries.length < READ_COUNT) this.markCaughtUp();
      } catch (err) {
        if (this.stopped) break;
        this.caught = false;
        this.logger.warn('reading the Redis log failed; retrying', { err: (err as Error).message, at: this.lastId });
        await sleep(Math.min(RETRY_MIN_MS * 2 ** failures++, RETRY_MAX_MS));
      }
    }
  }

  /** XREAD after the last applied entry; blocking only once caught up (catching up reads without a pause). */
  private read(block: boolean): Promise<RawStreams> {
    const args = ['XREAD', 'COUNT', String(READ_COUNT)];
    if (block) args.push('BLOCK', String(BLOCK_MS));
    args.push('STREAMS', this.logKey, this.lastId);
    return this.conn.sendCommand<RawStreams>(args, this.buffers);
  }

  private markCaughtUp(): void {
    this.caught = true;
    this.logger.info('caught up with the Redis log', { at: this.lastId, applied: this.applied });
    for (const fn of this.onCaughtUp.splice(0)) fn();
  }

  private async apply(id: string, flat: Buffer[]): Promise<void> {
    const fields: Record<string, Buffer> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) fields[flat[i]!.toString('latin1')] = flat[i + 1]!;
    let result: ApplyResult;
    let from = '';
    try {
      const decoded = await decodeEntry(fields);
      from = decoded.from;
      result = await this.applyEntry(decoded.entry);
    } catch (err) {
      // An entry this code cannot read (another version's) is skipped, loudly: every replica of this
      // version skips it alike, so they stay equal; the config check at start keeps versions apart.
      this.logger.error('skipping a Redis log entry that cannot be applied', { id, err: (err as Error).message });
      result = undefined;
    }
    this.lastId = id;
    this.applied++;
    const waiter = this.waiters.get(id);
    if (waiter !== undefined) {
      this.waiters.delete(id);
      waiter.resolve(result);
    } else if (from === this.replicaId) {
      // Our own append, read before its XADD answered: kept for result(id).
      if (this.unclaimed.size >= MAX_UNCLAIMED) this.unclaimed.delete(this.unclaimed.keys().next().value!);
      this.unclaimed.set(id, result);
    }
  }

  private applyEntry(entry: LogEntry): Promise<ApplyResult> {
    switch (entry.op) {
      case 'push':
        return this.store.pushSliced(entry.req);
      case 'delete':
        return this.store.deleteSliced(entry.labels);
      case 'wipe':
        return this.store.wipeInOrder();
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
