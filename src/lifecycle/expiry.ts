/**
 * Expiry of groups past their TTL (issue 12, docs/lifecycle.md): the due times sit in a DueQueue (a min-heap,
 * O(log n) per push) and one timer is set to the earliest of them, so nothing runs for groups that are not
 * due and a group goes within milliseconds of its time (not at the next sweep of a fixed period). A due group
 * is deleted through the same path as DELETE, which orders it with the pushes around it; a group with a push
 * in flight is passed over and its answer decides. Many groups falling due together are deleted in batches
 * of at most a few milliseconds of work (one delete at a time), with the event loop served in between.
 */
import type { GroupingLabels } from '../model/grouping-key.js';
import { DueQueue } from '../store/due-queue.js';
import type { Logger } from '../observe/logger.js';
import { formatDuration } from '../config.js';
import type { GroupLifecycle } from './group-lifecycle.js';

/** Node's timers take at most a signed 32-bit delay; a later due time is re-armed when this one fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Work per batch before the event loop gets a turn. */
const BATCH_BUDGET_MS = 5;

export interface ExpiryOptions {
  /** The delete path DELETE takes (the store writer's); resolves true when there was a group. */
  deleteGroup: (labels: GroupingLabels) => Promise<boolean>;
  logger: Logger;
  /** Called with each batch's count of groups deleted (pushgateway_groups_expired_total). */
  counted: (n: number) => void;
  /** false: no timer (tests drive runDue() with their own clock). */
  timers?: boolean;
}

export class Expiry {
  private readonly queue = new DueQueue<string>();
  private timer: NodeJS.Timeout | null = null;
  private timerDue = Number.POSITIVE_INFINITY;
  private running: Promise<void> | null = null;
  private stopped = false;
  /** Groups deleted by expiry so far. */
  expired = 0;

  constructor(
    private readonly lifecycle: GroupLifecycle,
    private readonly opts: ExpiryOptions,
  ) {
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
    const due = this.queue.nextDue();
    if (due === undefined) return;
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
   * One group at a time, each delete awaited before the next is taken (a small delete completes within a
   * microtask or two), until the batch's budget is spent; then the event loop gets a turn. Awaiting each
   * keeps the budget true: deletes issued together would all run in one burst after it.
   */
  private async drain(): Promise<void> {
    for (;;) {
      const started = performance.now();
      let deleted = 0;
      let more = true;
      while (performance.now() - started < BATCH_BUDGET_MS) {
        const id = this.queue.takeDue(this.lifecycle.now(), 1)[0];
        if (id === undefined) {
          more = false;
          break;
        }
        const s = this.lifecycle.get(id);
        // A push in flight answers for the group: pushEnded sets its expiry again.
        if (s === undefined || this.lifecycle.busy(id)) continue;
        const ttl = this.lifecycle.ttlOf(s);
        const existed = await this.opts.deleteGroup(s.labels);
        this.lifecycle.removed(s.labels);
        if (!existed) continue;
        deleted++;
        this.opts.logger.info('group expired', { grouping_key: groupingKeyText(s.labels), ttl: formatDuration(ttl) });
      }
      if (deleted > 0) {
        this.expired += deleted;
        this.opts.counted(deleted);
      }
      if (!more) return;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}

/** The grouping key as the reference's log lines show labels: `{instance="a", job="x"}`, names sorted. */
export function groupingKeyText(labels: GroupingLabels): string {
  const names = Object.keys(labels).sort();
  return `{${names.map((n) => `${n}=${JSON.stringify(labels[n])}`).join(', ')}}`;
}
