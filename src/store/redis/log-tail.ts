/**
 * The mirror's reader of the Redis log (docs/high-availability.md, "How a mirror catches up"): on its own
 * connection it reads `<prefix>log` from the last entry it applied, first without blocking until nothing
 * is left (caught up: the replica may report ready), then with a blocking XREAD, so a write on another
 * replica reaches this mirror in about one round trip. Each entry is decoded and applied to the local
 * MemoryStore in log order, big ones in slices (pushSliced, deleteSliced, wipeInOrder, deleteMany), and the
 * result of applying an entry this replica appended is handed to the write waiting for it. After a lost connection
 * it waits with a backoff, then catches up from where it stopped before it is caught up again.
 *
 * Snapshots (log-snapshot.ts): after every read the position script tells whether the log was trimmed past
 * this mirror (or, at start, whether there is a snapshot to begin from): then the mirror is restored from
 * the snapshot and reads on after it. It also tells the epoch: a Redis that lost its data has another, and
 * the mirror resets. Once max(snapshotEntries, the state's groups) entries followed the newest snapshot, a
 * caught-up mirror captures its state between two entries (exportState, exact at `lastId`), takes the
 * snapshot lock, serialises in slices while it keeps applying (the captured families are never changed once
 * stored) and commits the snapshot, which trims the log to the previous one.
 */
import { StoreUnavailableError, type ConsistencyError } from '../../errors.js';
import type { Logger } from '../../observe/logger.js';
import type { MemoryStore } from '../store.js';
import { decodeEntry, type LogEntry } from './entry-codec.js';
import type { GroupLifecycle } from '../../lifecycle/group-lifecycle.js';
import { applyExpire } from '../../lifecycle/expire-write.js';
import { applyDeleteGroups } from '../delete-groups.js';
import type { LifecycleRecord, SnapshotGroup } from '../snapshot.js';
import { groupIdFor } from '../../model/grouping-key.js';
import type { BufferReplies, RedisConnection } from './redis-connection.js';
import {
  compareIds,
  decodeSnapshotGroups,
  readPosition,
  readSnapshot,
  takeSnapshotLock,
  writeSnapshot,
  type LogKeys,
  type LogPosition,
} from './log-snapshot.js';

/**
 * What applying an entry returned: a push's rejection (or undefined), a delete's found, the count of a
 * delete by selector or a wipe, an expiry's items that took effect.
 */
export type ApplyResult = ConsistencyError | undefined | boolean | number | boolean[];

/** Entries read per XREAD: bounds what is held read but not yet applied. */
const READ_COUNT = 100;
/** How long one blocking read waits before it loops (so a stop or a half-dead connection is noticed). */
const BLOCK_MS = 2_000;
const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 2_000;
/** Results of own entries applied before their XADD answered, kept until claimed; beyond this, dropped. */
const MAX_UNCLAIMED = 10_000;
/** Log entries since the last snapshot that make a caught-up mirror write one (or the state's groups, if more). */
export const DEFAULT_SNAPSHOT_ENTRIES = 10_000;
/** After the lock was found taken or a snapshot failed, the next try waits this long. */
const SNAPSHOT_RETRY_MS = 5_000;

type RawEntry = [Buffer, Buffer[]];
type RawStreams = Array<[Buffer, RawEntry[]]> | null;

interface Waiter {
  resolve(result: ApplyResult): void;
  reject(err: Error): void;
}

export interface TailOptions {
  keys: LogKeys;
  /** The snapshot threshold in entries (DEFAULT_SNAPSHOT_ENTRIES; tests use a small one). */
  snapshotEntries: number;
}

export class LogTail {
  /** The ID of the last entry applied ('0-0': none yet). */
  lastId = '0-0';
  /** Entries applied since start. */
  applied = 0;
  /** Snapshots this mirror wrote, and restores it made from one (own metrics, tests). */
  snapshotsWritten = 0;
  restores = 0;
  /** The epoch of the Redis data the mirror holds (undefined: not read yet). */
  epoch: string | undefined;
  /**
   * The number (`n`) of the last entry applied: entries are numbered in log order as they are appended
   * (log-snapshot.ts APPEND_LUA); 0 before the first; null when not known (a log written before entries
   * were numbered, or a snapshot without `snapshot-seq`), until the next numbered entry is applied.
   */
  appliedSeq: number | null = 0;
  /** Entries ever appended, as of the last read (the position script's `seq`; null: none or not numbered). */
  logSeq: number | null = null;
  private snapshotting = false;
  private nextSnapshotTry = 0;
  private caught = false;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private readonly waiters = new Map<string, Waiter>();
  private readonly unclaimed = new Map<string, ApplyResult>();
  private readonly onCaughtUp: Array<() => void> = [];

  constructor(
    private readonly conn: RedisConnection,
    /** The short-commands connection: the snapshot lock and commit go there, not behind a blocking read. */
    private readonly commands: RedisConnection,
    private readonly buffers: BufferReplies,
    private readonly opts: TailOptions,
    private readonly store: MemoryStore,
    private readonly replicaId: string,
    private readonly logger: Logger,
    /** Fed after each entry, as the local writer feeds it (store-writer.ts); restored with the snapshot. */
    private readonly lifecycle?: GroupLifecycle,
  ) {}

  /**
   * Entries in the log after the last one this mirror applied, as of its last read (NaN: not known). A
   * mirror reads at least every BLOCK_MS while connected; one busy applying a big entry, or a page of a
   * backlog, shows what it has read but not applied plus what was appended up to that read.
   */
  get lagEntries(): number {
    if (this.logSeq === null) return this.appliedSeq === null ? NaN : 0;
    if (this.appliedSeq === null) return NaN;
    return Math.max(0, this.logSeq - this.appliedSeq);
  }

  /** The log's keys. */
  get keys(): LogKeys {
    return this.opts.keys;
  }

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
    // Already behind the mirror's position but never applied here: a snapshot restore stepped over it.
    if (compareIds(id, this.lastId) <= 0) {
      const why = 'the mirror was restored from a snapshot that includes it';
      return Promise.reject(new StoreUnavailableError(why, true));
    }
    return new Promise((resolve, reject) => this.waiters.set(id, { resolve, reject }));
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
        const from = this.lastId;
        // Pipelined: Redis runs the position script right after the read, on this connection.
        const reading = this.read(this.caught);
        const position = readPosition(this.conn, this.opts.keys);
        const [streams, pos] = await Promise.all([reading, position]);
        failures = 0;
        if (await this.startOverIfNeeded(pos, from)) continue;
        this.logSeq = pos.seq;
        const entries = streams?.[0]?.[1] ?? [];
        for (const [id, fields] of entries) await this.apply(id.toString('latin1'), fields);
        if (!this.caught && entries.length < READ_COUNT) this.markCaughtUp();
        if (this.caught) this.maybeSnapshot(pos.sinceSnapshot);
      } catch (err) {
        if (this.stopped) break;
        this.caught = false;
        this.logger.warn('reading the Redis log failed; retrying', { err: (err as Error).message, at: this.lastId });
        await sleep(Math.min(RETRY_MIN_MS * 2 ** failures++, RETRY_MAX_MS));
      }
    }
  }

  /**
   * Before applying what was read after `from`: a Redis of another epoch (it lost its data) empties the
   * mirror; a log trimmed past `from` (or, for an empty mirror, any snapshot) restores the snapshot. True
   * when the batch read must be dropped and the loop read again from the new position.
   */
  private async startOverIfNeeded(pos: LogPosition, from: string): Promise<boolean> {
    if (this.epoch !== undefined && pos.epoch !== this.epoch) {
      this.logger.error('Redis lost the log this mirror was built from (its epoch changed); starting over', {
        was: this.epoch,
        now: pos.epoch,
        at: this.lastId,
        groups: this.store.groupCount,
      });
      this.epoch = pos.epoch;
      this.failWaiters(null, 'Redis lost its data');
      this.store.restore([]);
      this.lifecycle?.restore(new Map());
      this.lastId = '0-0';
      this.appliedSeq = 0;
      return true;
    }
    this.epoch = pos.epoch;
    const trimmedPast = pos.trimmedTo !== null && compareIds(pos.trimmedTo, from) > 0;
    const fresh = from === '0-0' && pos.snapshotAt !== null;
    if (!trimmedPast && !fresh) return false;
    // Not caught up (so not ready) until restored and read on: the restore takes a while at 100k groups,
    // in slices, while the old mirror goes on answering scrapes.
    this.caught = false;
    const started = performance.now();
    const snap = await readSnapshot(this.conn, this.opts.keys, this.buffers);
    if (snap === null) {
      if (trimmedPast) throw new Error('the log was trimmed past this mirror but there is no snapshot');
      return false;
    }
    this.logger.info('restoring the Redis snapshot', { at: snap.at, bytes: snap.data.length });
    const groups = await decodeSnapshotGroups(snap.data);
    await this.store.restoreSliced(groups);
    this.lifecycle?.restore(lifecycleRecords(groups));
    this.failWaiters(snap.at, 'the mirror was restored from a snapshot that includes it');
    this.lastId = snap.at;
    this.appliedSeq = snap.seq;
    this.restores++;
    this.logger.info(
      trimmedPast
        ? 'the Redis log was trimmed past this mirror; restored it from the snapshot'
        : 'restored the snapshot',
      { was: from, at: snap.at, groups: groups.length, ms: Math.round(performance.now() - started) },
    );
    return true;
  }

  /**
   * Own writes whose entries (up to `upTo`, or all) will not be applied one by one: answered 503. Results
   * already kept for entries applied before stay claimable, except when the whole history is gone.
   */
  private failWaiters(upTo: string | null, why: string): void {
    for (const [id, w] of this.waiters) {
      if (upTo !== null && compareIds(id, upTo) > 0) continue;
      this.waiters.delete(id);
      w.reject(new StoreUnavailableError(why, true));
    }
    if (upTo === null) this.unclaimed.clear();
  }

  /**
   * Called between two entries, caught up: when more than max(threshold, groups) entries were appended
   * after the newest snapshot, capture the state (exact at lastId: nothing is half-applied now, and the tail
   * is the mirror's only writer) and write the snapshot in the background, if the lock is ours.
   */
  private maybeSnapshot(sinceSnapshot: number): void {
    if (this.snapshotting || this.epoch === undefined || Date.now() < this.nextSnapshotTry) return;
    // Not the log's length: right after a commit the log still holds the interval before this snapshot
    // (trimmed to the previous one), and counting it made every other snapshot follow the one before
    // almost at once, two snapshots per threshold's worth of entries instead of one.
    if (sinceSnapshot < Math.max(this.opts.snapshotEntries, this.store.groupCount)) return;
    if (this.store.committing) return;
    this.snapshotting = true;
    const groups: SnapshotGroup[] = this.store.exportState();
    // The lifecycle states at the same instant: the snapshot carries them with their groups.
    if (this.lifecycle !== undefined && this.lifecycle.size > 0) {
      for (const g of groups) {
        const r = this.lifecycle.recordOf(g.labels);
        if (r !== undefined) g.lifecycle = r;
      }
    }
    const at = this.lastId;
    const seq = this.appliedSeq;
    const epoch = this.epoch;
    const keys = this.opts.keys;
    void (async () => {
      if (!(await takeSnapshotLock(this.commands, keys, this.replicaId))) {
        this.nextSnapshotTry = Date.now() + SNAPSHOT_RETRY_MS;
        return;
      }
      const started = performance.now();
      const { result, bytes } = await writeSnapshot(this.commands, keys, groups, at, this.replicaId, epoch, seq);
      if (result < 0) {
        this.nextSnapshotTry = Date.now() + SNAPSHOT_RETRY_MS;
        this.logger.info('a snapshot was not committed', { at, why: result });
        return;
      }
      this.snapshotsWritten++;
      this.logger.info('wrote a snapshot to Redis and trimmed the log', {
        at,
        groups: groups.length,
        bytes,
        trimmed: result,
        ms: Math.round(performance.now() - started),
      });
    })()
      .catch((err: unknown) => {
        this.nextSnapshotTry = Date.now() + SNAPSHOT_RETRY_MS;
        this.logger.warn('writing a snapshot to Redis failed', { at, err: (err as Error).message });
      })
      .finally(() => {
        this.snapshotting = false;
      });
  }

  /** XREAD after the last applied entry; blocking only once caught up (catching up reads without a pause). */
  private read(block: boolean): Promise<RawStreams> {
    const args = ['XREAD', 'COUNT', String(READ_COUNT)];
    if (block) args.push('BLOCK', String(BLOCK_MS));
    args.push('STREAMS', this.opts.keys.log, this.lastId);
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
    const n = fields.n;
    this.appliedSeq = n === undefined ? null : Number(n.toString('latin1'));
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

  /** Entries are applied one after the other, so the lifecycle sees them in log order on every replica. */
  private async applyEntry(entry: LogEntry): Promise<ApplyResult> {
    const lifecycle = this.lifecycle;
    switch (entry.op) {
      case 'push': {
        const failure = await this.store.pushSliced(entry.req);
        lifecycle?.applied(entry.req, failure === undefined);
        return failure;
      }
      case 'delete': {
        const found = await this.store.deleteSliced(entry.labels);
        lifecycle?.removed(entry.labels);
        return found;
      }
      case 'deletes':
        return applyDeleteGroups(this.store, lifecycle, entry.groups);
      case 'wipe': {
        const n = await this.store.wipeInOrder();
        lifecycle?.wiped();
        return n;
      }
      case 'expire':
        return lifecycle === undefined ? entry.items.map(() => false) : applyExpire(this.store, lifecycle, entry.items);
    }
  }
}

/** The lifecycle records a snapshot carries, by group id. */
function lifecycleRecords(groups: readonly SnapshotGroup[]): Map<string, LifecycleRecord> {
  const out = new Map<string, LifecycleRecord>();
  for (const g of groups) if (g.lifecycle !== undefined) out.set(groupIdFor(g.labels), g.lifecycle);
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
