/**
 * --persistence.file: loading the store at start and writing it back, atomically and at most once per
 * --persistence.interval after a change (the reference's schedule), plus a final write at shutdown.
 * A write goes to a temporary file beside the target (fsync), is renamed over it, and the directory is
 * fsynced, so a crash at any moment leaves either the previous complete file or the new complete file.
 * Unlike the reference, a file that cannot be loaded is renamed aside instead of being overwritten later.
 */
import { constants, type Stats } from 'node:fs';
import { open, readFile, readdir, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Logger } from '../observe/logger.js';
import type { RestorableStore } from './store-reader.js';
import type { GroupingLabels } from '../model/grouping-key.js';
import { groupIdFor } from '../model/grouping-key.js';
import { SnapshotHasher, decodeSnapshot, encodeFirstLines, encodeGroup, type LifecycleRecord } from './snapshot.js';
import { PersistWriteError, PersistenceSetupError, SnapshotError } from '../errors.js';
import { VERSION } from '../version.js';

/** Groups serialised between two yields to the event loop while writing. */
const GROUPS_PER_CHUNK = 500;

export interface LoadOutcome {
  groups: number;
  /** Set when the file was unusable and was renamed to this path. */
  movedTo?: string;
  error?: string;
}

/** Group lifecycles (src/lifecycle/), kept beside the store, written and loaded with their groups. */
export interface LifecycleRecords {
  recordOf(labels: GroupingLabels): LifecycleRecord | undefined;
  /** At load, after the store was restored: the records by group id. */
  restore(records: ReadonlyMap<string, LifecycleRecord>): void;
}

export class Persistence {
  private readonly file: string;
  private readonly dir: string;
  private readonly tmpPrefix: string;
  private lastPersistAt = Date.now();
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<boolean> = Promise.resolve(true);
  private pending = false;
  private dirty = false;
  private closed = false;
  /** Completed writes; tests and logs use it. */
  writes = 0;
  /** Set by the gateway before load() when lifecycles are kept. */
  lifecycle: LifecycleRecords | undefined;

  constructor(
    file: string,
    private readonly intervalMs: number,
    private readonly store: RestorableStore,
    private readonly logger: Logger,
  ) {
    this.file = path.resolve(file);
    this.dir = path.dirname(this.file);
    this.tmpPrefix = `${path.basename(this.file)}.tmp-`;
  }

  /**
   * Before loading: the directory must exist and take new files (probed by creating one), so a
   * misconfiguration fails at start instead of at the first write minutes later; temporary files left by
   * a crash during a write are removed.
   */
  async prepare(): Promise<void> {
    let st: Stats;
    try {
      st = await stat(this.dir);
    } catch (err) {
      throw new PersistenceSetupError(`persistence directory ${this.dir} is not usable: ${(err as Error).message}`);
    }
    if (!st.isDirectory()) throw new PersistenceSetupError(`persistence directory ${this.dir} is not a directory`);
    const fst = await stat(this.file).catch(() => undefined);
    if (fst !== undefined && !fst.isFile()) {
      throw new PersistenceSetupError(`persistence file ${this.file} is not a regular file`);
    }
    const probe = path.join(this.dir, `${this.tmpPrefix}probe-${process.pid}`);
    try {
      const fh = await open(probe, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
      await fh.close();
      await unlink(probe);
    } catch (err) {
      throw new PersistenceSetupError(`cannot write the persistence file in ${this.dir}: ${(err as Error).message}`);
    }
    for (const name of await readdir(this.dir)) {
      if (!name.startsWith(this.tmpPrefix)) continue;
      await unlink(path.join(this.dir, name)).catch(() => undefined);
      this.logger.info('removed a temporary persistence file left by an interrupted write', { file: name });
    }
  }

  /** Loads the file into the (empty) store. Never throws for a bad file: it is moved aside and logged. */
  async load(): Promise<LoadOutcome> {
    let data: Buffer;
    try {
      data = await readFile(this.file);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      if (e.code === 'ENOENT') return { groups: 0 };
      return this.moveAside(new SnapshotError('invalid', `cannot read the file: ${e.message}`));
    }
    let decoded: ReturnType<typeof decodeSnapshot>;
    try {
      decoded = decodeSnapshot(data);
    } catch (err) {
      if (!(err instanceof SnapshotError)) throw err;
      return this.moveAside(err);
    }
    this.store.restore(decoded.groups);
    if (this.lifecycle !== undefined) {
      const records = new Map<string, LifecycleRecord>();
      for (const g of decoded.groups) if (g.lifecycle !== undefined) records.set(groupIdFor(g.labels), g.lifecycle);
      this.lifecycle.restore(records);
    }
    this.logger.info('loaded persisted metrics', {
      file: this.file,
      groups: decoded.groups.length,
      written: decoded.header.written,
    });
    return { groups: decoded.groups.length };
  }

  private async moveAside(failure: SnapshotError): Promise<LoadOutcome> {
    const reason = failure.message;
    const stamp = new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d+Z$/, 'Z');
    let target = `${this.file}.bad-${stamp}`;
    for (
      let n = 1;
      await stat(target).then(
        () => true,
        () => false,
      );
      n++
    )
      target = `${this.file}.bad-${stamp}-${n}`;
    try {
      await rename(this.file, target);
    } catch (err) {
      throw new PersistenceSetupError(
        `could not load persisted metrics from ${this.file} (${reason}), ` +
          `and could not move it aside: ${(err as Error).message}`,
      );
    }
    this.logger.error('could not load persisted metrics; the file was moved aside and the gateway starts empty', {
      code: failure.code,
      file: this.file,
      err: reason,
      moved_to: target,
    });
    return { groups: 0, movedTo: target, error: reason };
  }

  /** Starts watching the store: each change schedules a write (coalesced, at most one per interval). */
  start(): void {
    this.lastPersistAt = Date.now();
    this.store.onChange(() => this.changed());
  }

  private changed(): void {
    this.dirty = true;
    if (this.closed || this.timer !== null || this.pending) return;
    this.schedule();
  }

  /** One write at lastPersist + interval (now if that has passed); changes meanwhile ride along. */
  private schedule(): void {
    const delay = Math.max(0, this.lastPersistAt + this.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      this.pending = true;
      void this.persistNow().then(() => {
        this.pending = false;
        if (this.dirty && !this.closed && this.timer === null) this.schedule();
      });
    }, delay);
    this.timer.unref();
  }

  /**
   * Writes the current store after any write in progress (writes are chained, never concurrent).
   * Resolves true on success; a failure is logged and the store stays dirty, so the next change or the
   * next interval tries again.
   */
  persistNow(): Promise<boolean> {
    const next = this.chain.then(async () => {
      this.dirty = false;
      this.lastPersistAt = Date.now();
      try {
        await this.write();
        this.writes++;
        this.logger.info('metrics persisted', { file: this.file });
        return true;
      } catch (err) {
        this.dirty = true;
        const failure = new PersistWriteError((err as Error).message, { cause: err });
        this.logger.error('error persisting metrics', { code: failure.code, file: this.file, err: failure.message });
        return false;
      }
    });
    this.chain = next;
    return next;
  }

  /** Shutdown: no more scheduled writes, then one final write. Resolves false if that write failed. */
  async close(): Promise<boolean> {
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    return this.persistNow();
  }

  /** The atomic write: temp file, fsync, rename over the target, fsync of the directory. */
  private async write(): Promise<void> {
    // Not while a big push is half-way through its commit: the file holds one state of the store.
    await this.store.settled();
    const groups = this.store.exportState();
    // Taken with the groups, so that the file holds one point in time of both.
    const lifecycles = this.lifecycle === undefined ? undefined : groups.map((g) => this.lifecycle!.recordOf(g.labels));
    const tmp = path.join(this.dir, `${this.tmpPrefix}${process.pid}-${randomBytes(6).toString('hex')}`);
    let fh: FileHandle | undefined = await open(tmp, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
    try {
      const hasher = new SnapshotHasher();
      const put = async (s: string): Promise<void> => {
        hasher.update(s);
        await fh!.write(s);
      };
      await put(
        encodeFirstLines({
          written: new Date().toISOString(),
          groups: groups.length,
          writer: `pushgateway-ts ${VERSION}`,
        }),
      );
      for (let i = 0; i < groups.length; i += GROUPS_PER_CHUNK) {
        let chunk = '';
        const end = Math.min(groups.length, i + GROUPS_PER_CHUNK);
        for (let k = i; k < end; k++) chunk += `${encodeGroup(groups[k]!, lifecycles?.[k])}\n`;
        await put(chunk);
      }
      await fh.write(hasher.endLine());
      await fh.sync();
      await fh.close();
      fh = undefined;
      await rename(tmp, this.file);
    } catch (err) {
      await fh?.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    const dh = await open(this.dir, constants.O_RDONLY);
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  }
}
