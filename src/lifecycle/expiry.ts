/**
 * Expiry of groups past their TTL (issue 12, docs/lifecycle.md): the due times sit in a DueQueue (a min-heap,
 * O(log n) per push) and one timer is set to the earliest of them, so nothing runs for groups that are not
 * due and a group goes within milliseconds of its time (not at the next sweep of a fixed period). Due groups
 * are expired by an expiry write through the store writer (expire-write.ts: "delete G if its clock still
 * started at T"), which orders it with the pushes around it; with the Redis store it is one log entry that
 * every replica applies, and a push that got in first keeps its group. A group with a push in flight on this
 * replica is passed over and its answer decides. Many groups falling due together go in batches, one write
 * each, sized so that applying one takes a few milliseconds, with the event loop served in between.
 */
import type { GroupingLabels } from '../model/grouping-key.js';
import { DueQueue } from '../store/due-queue.js';
import type { ExpireItem } from './expire-write.js';
import type { Logger } from '../observe/logger.js';
import { performance } from 'node:perf_hooks';
import { formatDuration } from '../config.js';
import type { GroupLifecycle } from './group-lifecycle.js';

/** Node's timers take at most a signed 32-bit delay; a later due time is re-armed when this one fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Work per batch (taking the due groups and applying their write) before the event loop gets a turn. */
const BATCH_BUDGET_MS = 5;
/**
 * Groups per expiry write: the first batch's size and the bounds it adapts within. The top keeps one batch's
 * `group expired` lines (about 110 bytes each) within a pipe's 64 KiB buffer: stderr writes to a pipe are
 * synchronous in Node, so a batch logging more than the reader (journald, a terminal) takes at once would
 * hold the event loop until it has read (suspected in bench x's stalls of 170-400 ms while its scavenges
 * stayed under 15 ms, with batches of up to 1024; not proven).
 */
const FIRST_BATCH = 64;
const MIN_BATCH = 8;
const MAX_BATCH = 256;
/** After an expiry write failed (the Redis store unreachable), its groups are tried again this much later. */
const RETRY_MS = 1_000;

export interface ExpiryOptions {
  /** The store writer's expiry write; resolves with whether each item deleted its group. */
  expire: (items: readonly ExpireItem[]) => Promise<boolean[]>;
  logger: Logger;
  /** Called with each batch's count of groups deleted (pushgateway_groups_expired_total). */
  counted: (n: number) => void;
  /** false: no timer (tests drive runDue() with their own clock). */
  timers?: boolean;
  /**
   * Whether the store takes writes and its mirror has caught up (the writer's `ready`): a replica still
   * reading the Redis log would write expiries for groups whose later pushes it has not applied yet (they
   * would be no-ops, but many); until then expiry waits, trying again every RETRY_MS.
   */
  ready?: () => boolean;
}

export class Expiry {
  private readonly queue = new DueQueue<string>();
  private timer: NodeJS.Timeout | null = null;
  private timerDue = Number.POSITIVE_INFINITY;
  private running: Promise<void> | null = null;
  private stopped = false;
  /** While the writer is not ready: the next try. */
  private notBefore = 0;
  /** Groups deleted by expiry so far. */
  expired = 0;
  /** The `group expired` line, logged from one site (its caller found once: a burst logs 100k). */
  private readonly logExpired: (msg: string, fields?: Record<string, unknown>) => void;

  constructor(
    private readonly lifecycle: GroupLifecycle,
    private readonly opts: ExpiryOptions,
  ) {
    this.logExpired = opts.logger.site('info');
    lifecycle.onDueChange((id, due) => {
      this.queue.set(id, due);
      if (due !== undefined && due < this.timerDue) this.arm();
    });
  }

  /** Groups with an expiry time. */
  get scheduled(): number {
    return this.queue.size;
  }

  nextDue(): number | undefined {
    return this.queue.nextDue();
  }

  /** Stops the timer; a batch under way finishes. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimer();
    await this.running;
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.timerDue = Number.POSITIVE_INFINITY;
  }

  /** One timer, at the earliest due time (re-armed after each run and when an earlier time is set). */
  private arm(): void {
    if (this.opts.timers === false || this.stopped || this.running !== null) return;
    this.clearTimer();
    const next = this.queue.nextDue();
    if (next === undefined) return;
    const due = Math.max(next, this.notBefore);
    this.timerDue = due;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.timerDue = Number.POSITIVE_INFINITY;
        void this.runDue();
      },
      Math.min(MAX_TIMER_MS, Math.max(0, due - this.lifecycle.now())),
    );
    this.timer.unref();
  }

  /** Deletes every group due by now, in batches; resolves when none is left due. */
  runDue(): Promise<void> {
    this.running ??= this.drain().finally(() => {
      this.running = null;
      this.arm();
    });
    return this.running;
  }

  /**
   * Takes the due groups a batch at a time and writes their expiry; the batch grows while a batch's work
   * (the event loop's busy time from taking to the answer: a Redis round trip is idle time) stays under half
   * the budget and shrinks when it goes over, so one slice stays near BATCH_BUDGET_MS whatever a delete
   * costs here. Then the event loop gets a turn.
   */
  private async drain(): Promise<void> {
    if (this.opts.ready?.() === false) {
      this.notBefore = this.lifecycle.now() + RETRY_MS;
      return;
    }
    this.notBefore = 0;
    let size = FIRST_BATCH;
    for (;;) {
      // Busy time, not wall time: with the Redis store the write waits for a round trip, idle here.
      const started = performance.eventLoopUtilization();
      const taken = this.queue.takeDue(this.lifecycle.now(), size);
      const items: ExpireItem[] = [];
      const ttls: number[] = [];
      for (const id of taken) {
        const s = this.lifecycle.get(id);
        // A push in flight here answers for the group: pushSettled schedules its expiry again.
        if (s === undefined) continue;
        if (this.lifecycle.busy(id)) {
          this.lifecycle.passOver(id);
          continue;
        }
        items.push({ labels: s.labels, sinceMs: s.sinceMs });
        ttls.push(this.lifecycle.ttlOf(s));
      }
      if (items.length > 0) await this.write(items, ttls);
      const took = performance.eventLoopUtilization(started).active;
      if (taken.length < size) return;
      if (took > BATCH_BUDGET_MS) size = Math.max(MIN_BATCH, size >> 1);
      else if (took < BATCH_BUDGET_MS / 2) size = Math.min(MAX_BATCH, size * 2);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private async write(items: ExpireItem[], ttls: number[]): Promise<void> {
    let done: boolean[];
    try {
      done = await this.opts.expire(items);
    } catch (err) {
      this.opts.logger.warn('expiring groups failed; trying again', {
        groups: items.length,
        err: (err as Error).message,
      });
      // Unless a write meanwhile changed them (then their state set the expiry again), tried again later.
      const again = this.lifecycle.now() + RETRY_MS;
      for (const it of items) {
        const s = this.lifecycle.stateOf(it.labels);
        if (s !== undefined && s.sinceMs === it.sinceMs && this.queue.dueOf(s.id) === undefined)
          this.queue.set(s.id, again);
      }
      return;
    }
    let deleted = 0;
    for (let i = 0; i < items.length; i++) {
      if (!done[i]) continue;
      deleted++;
      this.logExpired('group expired', {
        grouping_key: groupingKeyText(items[i]!.labels),
        ttl: formatDuration(ttls[i]!),
      });
    }
    if (deleted > 0) {
      this.expired += deleted;
      this.opts.counted(deleted);
    }
  }
}

/** The grouping key as the reference's log lines show labels: `{instance="a", job="x"}`, names sorted. */
export function groupingKeyText(labels: GroupingLabels): string {
  const names = Object.keys(labels).sort();
  return `{${names.map((n) => `${n}=${JSON.stringify(labels[n])}`).join(', ')}}`;
}
