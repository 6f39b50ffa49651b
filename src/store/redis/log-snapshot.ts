/**
 * Snapshots of the mirror in Redis and trimming of the log (docs/high-availability.md, "What bounds
 * memory"): the keys, the Lua scripts that read and commit them atomically, and the (de)serialisation in
 * the persistence file format (store/snapshot.ts). A snapshot is the whole state after the log entry
 * `snapshot-at`; committing one trims the log to the previous snapshot's position (`trimmed-to`), so a
 * replica a little behind the snapshotting one still finds its next entry, and one further behind (its
 * position below `trimmed-to`) knows it must start over from the snapshot. `epoch` is a random id written
 * by the first replica on an empty Redis: a Redis that lost its data comes back without it (or with
 * another), and a mirror from the old epoch resets instead of mixing two histories.
 *
 * The snapshot is stored gzipped (level 1, compressed on libuv's threads while it is serialised): the
 * persistence format repeats every HELP and label name per group, and compresses about tenfold, which is
 * most of Redis's memory per series. A reader takes it gzipped or plain (first two bytes 1f 8b).
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { createGzip, gunzip } from 'node:zlib';
import { SnapshotHasher, decodeSnapshotSteps, encodeFirstLines, encodeGroup, type SnapshotGroup } from '../snapshot.js';
import { Slicer, runSliced } from '../../slicer.js';
import { VERSION } from '../../version.js';
import type { BufferReplies, RedisConnection } from './redis-connection.js';

export interface LogKeys {
  log: string;
  snapshot: string;
  snapshotAt: string;
  trimmedTo: string;
  lock: string;
  epoch: string;
  /** How many entries were ever appended (INCR with each XADD, APPEND_LUA): each entry's `n`. */
  seq: string;
  /** `seq` as of the snapshot's position (`n` of the entry at `snapshot-at`). */
  snapshotSeq: string;
}

export function logKeys(prefix: string): LogKeys {
  return {
    log: `${prefix}log`,
    snapshot: `${prefix}snapshot`,
    snapshotAt: `${prefix}snapshot-at`,
    trimmedTo: `${prefix}trimmed-to`,
    lock: `${prefix}snapshot-lock`,
    epoch: `${prefix}epoch`,
    seq: `${prefix}seq`,
    snapshotSeq: `${prefix}snapshot-seq`,
  };
}

/** Orders two stream entry IDs (`<ms>-<seq>`): negative when a is older. */
export function compareIds(a: string, b: string): number {
  const [am = '0', as = '0'] = a.split('-');
  const [bm = '0', bs = '0'] = b.split('-');
  return Number(am) - Number(bm) || Number(as) - Number(bs);
}

/** A new epoch id, written (SET NX, in POSITION) by whichever replica first finds none. */
export function newEpoch(): string {
  return randomBytes(8).toString('hex');
}

// Lua: compares stream IDs as the TS above does (ms fit a double exactly).
const OLDER_LUA =
  'local function older(a, b) local am, as = string.match(a, "(%d+)-(%d+)") ' +
  'local bm, bs = string.match(b, "(%d+)-(%d+)") am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), ' +
  'tonumber(bs) if am ~= bm then return am < bm end return as < bs end ';

/**
 * Appends one entry: numbers it (`n`, from INCR of `seq`) and XADDs it in one script, so `n` follows the
 * log's order and `seq - n` is how many entries came after it (the replication lag in entries). KEYS: log,
 * seq. ARGV: the entry's fields and values, in pairs. Returns the entry's ID.
 */
export const APPEND_LUA =
  'local n = redis.call("INCR", KEYS[2]) return redis.call("XADD", KEYS[1], "*", "n", n, unpack(ARGV))';

/**
 * Run after every XREAD on the reader's connection (pipelined, so it costs no round trip of its own):
 * trimmed-to, snapshot-at, the epoch (created if missing), the log's length, `seq` (entries ever
 * appended) and `snapshot-seq`, as one consistent view. KEYS: trimmed-to, snapshot-at, epoch, log, seq,
 * snapshot-seq. ARGV: a new epoch id.
 */
const POSITION_LUA =
  'local e = redis.call("GET", KEYS[3]) if not e then redis.call("SET", KEYS[3], ARGV[1]) e = ARGV[1] end ' +
  'return {redis.call("GET", KEYS[1]), redis.call("GET", KEYS[2]), e, redis.call("XLEN", KEYS[4]), ' +
  'redis.call("GET", KEYS[5]), redis.call("GET", KEYS[6])}';

/** snapshot-at, snapshot and snapshot-seq together. KEYS: snapshot-at, snapshot, snapshot-seq. */
const READ_LUA = 'return {redis.call("GET", KEYS[1]), redis.call("GET", KEYS[2]), redis.call("GET", KEYS[3])}';

/**
 * Commits a snapshot if this replica still holds the lock, the epoch is the one it was taken in, and it is
 * newer than the stored one; then trims the log to the previous snapshot's position and releases the lock.
 * One script, so readers never see a snapshot without its position or a trim without its snapshot (a MULTI
 * would do as well, but the commands connection is shared with pipelined XADDs, which would join it).
 * KEYS: snapshot, snapshot-at, lock, log, epoch, trimmed-to, snapshot-seq. ARGV: data, at, replica id, epoch,
 * the `n` of the entry at `at` ('' when not known: an older log's entries have none).
 * Returns the entries trimmed, or -1 (lock lost), -2 (other epoch), -3 (a newer snapshot is there).
 */
const COMMIT_LUA =
  OLDER_LUA +
  'if redis.call("GET", KEYS[3]) ~= ARGV[3] then return -1 end ' +
  'if redis.call("GET", KEYS[5]) ~= ARGV[4] then redis.call("DEL", KEYS[3]) return -2 end ' +
  'local prev = redis.call("GET", KEYS[2]) ' +
  'if prev and not older(prev, ARGV[2]) then redis.call("DEL", KEYS[3]) return -3 end ' +
  'redis.call("SET", KEYS[1], ARGV[1]) redis.call("SET", KEYS[2], ARGV[2]) ' +
  'if ARGV[5] == "" then redis.call("DEL", KEYS[7]) else redis.call("SET", KEYS[7], ARGV[5]) end local n = 0 ' +
  'if prev then n = redis.call("XTRIM", KEYS[4], "MINID", prev) redis.call("SET", KEYS[6], prev) end ' +
  'redis.call("DEL", KEYS[3]) return n';

export interface LogPosition {
  /** Entries below this ID were trimmed away (null: nothing trimmed yet). */
  trimmedTo: string | null;
  /** The newest snapshot includes every entry up to this ID (null: no snapshot). */
  snapshotAt: string | null;
  epoch: string;
  length: number;
  /** Entries ever appended (null: none yet, or a log written before entries were numbered). */
  seq: number | null;
  /**
   * Entries appended after the newest snapshot's position: what the snapshot threshold is compared with.
   * `seq - snapshot-seq` when both are known; else the log's length (no snapshot yet, or an older log).
   */
  sinceSnapshot: number;
}

/** Sends the position script now (pipelined behind whatever was sent before on `conn`). */
export async function readPosition(conn: RedisConnection, keys: LogKeys): Promise<LogPosition> {
  const [trimmedTo, snapshotAt, epoch, length, seq, snapSeq] = await conn.sendCommand<
    [string | null, string | null, string, number, string | null, string | null]
  >([
    'EVAL',
    POSITION_LUA,
    '6',
    keys.trimmedTo,
    keys.snapshotAt,
    keys.epoch,
    keys.log,
    keys.seq,
    keys.snapshotSeq,
    newEpoch(),
  ]);
  const appended = seq === null ? null : Number(seq);
  const since = appended !== null && snapshotAt !== null && snapSeq !== null ? appended - Number(snapSeq) : length;
  return { trimmedTo, snapshotAt, epoch, length, seq: appended, sinceSnapshot: since };
}

/**
 * The stored snapshot (null: none) and its position, gunzipped (on libuv's threads), not yet decoded: a
 * 100k-group one is hundreds of MB, decoded by decodeSnapshotGroups in slices.
 */
export async function readSnapshot(
  conn: RedisConnection,
  keys: LogKeys,
  buffers: BufferReplies,
): Promise<{ at: string; data: Buffer; seq: number | null } | null> {
  const [at, data, seq] = await conn.sendCommand<[Buffer | null, Buffer | null, Buffer | null]>(
    ['EVAL', READ_LUA, '3', keys.snapshotAt, keys.snapshot, keys.snapshotSeq],
    buffers,
  );
  if (at === null || data === null) return null;
  const plain = data[0] === 0x1f && data[1] === 0x8b ? await gunzipAsync(data) : data;
  return { at: at.toString('latin1'), data: plain, seq: seq === null ? null : Number(seq.toString('latin1')) };
}

/**
 * A snapshot's groups, decoded with the event loop served in between (at 100k groups the decode takes
 * seconds); a bad snapshot throws SnapshotError.
 */
export async function decodeSnapshotGroups(data: Buffer): Promise<SnapshotGroup[]> {
  return (await runSliced(decodeSnapshotSteps(data), new Slicer())).groups;
}

const gunzipAsync = promisify(gunzip);

/** Groups serialised between two yields to the event loop. */
const GROUPS_PER_SLICE = 500;
/** How long the lock is held at most (a replica that dies while writing frees it this way). */
export const SNAPSHOT_LOCK_MS = 60_000;

/** Takes the lock (SET NX PX); false: another replica is writing one. */
export async function takeSnapshotLock(conn: RedisConnection, keys: LogKeys, replicaId: string): Promise<boolean> {
  const got = await conn.sendCommand<string | null>([
    'SET',
    keys.lock,
    replicaId,
    'NX',
    'PX',
    String(SNAPSHOT_LOCK_MS),
  ]);
  return got === 'OK';
}

/**
 * Serialises a captured state (MemoryStore.exportState(), each group with its lifecycle record: references
 * to families that are never changed once stored, so it stays the state at `at` while the mirror applies
 * later entries) in slices, then commits it. Returns the commit script's answer (entries trimmed, or a
 * negative refusal) and the size.
 */
export async function writeSnapshot(
  conn: RedisConnection,
  keys: LogKeys,
  groups: SnapshotGroup[],
  at: string,
  replicaId: string,
  epoch: string,
  seq: number | null,
): Promise<{ result: number; bytes: number }> {
  const hasher = new SnapshotHasher();
  const gz = createGzip({ level: 1 });
  const out: Buffer[] = [];
  gz.on('data', (b: Buffer) => out.push(b));
  const ended = once(gz, 'end');
  const put = async (s: string): Promise<void> => {
    hasher.update(s);
    if (!gz.write(s)) await once(gz, 'drain');
  };
  await put(
    encodeFirstLines({ written: new Date().toISOString(), groups: groups.length, writer: `pushgateway-ts ${VERSION}` }),
  );
  for (let i = 0; i < groups.length; i += GROUPS_PER_SLICE) {
    let chunk = '';
    for (const g of groups.slice(i, i + GROUPS_PER_SLICE)) chunk += `${encodeGroup(g, g.lifecycle)}\n`;
    await put(chunk);
    await new Promise((resolve) => setImmediate(resolve));
  }
  gz.end(hasher.endLine());
  await ended;
  const data = Buffer.concat(out);
  const result = await conn.sendCommand<number>([
    'EVAL',
    COMMIT_LUA,
    '7',
    keys.snapshot,
    keys.snapshotAt,
    keys.lock,
    keys.log,
    keys.epoch,
    keys.trimmedTo,
    keys.snapshotSeq,
    data,
    at,
    replicaId,
    epoch,
    seq === null ? '' : String(seq),
  ]);
  return { result, bytes: data.length };
}
