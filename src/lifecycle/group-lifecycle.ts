/**
 * Each group's lifecycle (issue 12, docs/lifecycle.md), kept beside the store and not in it: the TTL and
 * interval its last successful push declared, its last success and failure, and from those its expiry time
 * and up state. Only groups with a TTL (declared or --push.group-ttl) or an interval have a state, so a
 * gateway used without the lifecycle features keeps none.
 *
 * It follows the writes the store applied, not the HTTP answers: the store writer (store-writer.ts, and with
 * Redis the log's reader) calls applied() after each push with the TTL and interval the push carries, and
 * removed()/wiped()/restore() after deletes, wipes and snapshot restores. With the Redis store every
 * replica's mirror applies the same log in the same order, so every replica derives the same states from
 * the times written in the entries (no replica's clock enters a state). Writes to one group are applied in
 * the order they were called but a local writer's answers may come back in another order, so every update
 * asks the store whether the group still exists and keeps state only for groups that do. A push that is in
 * flight on this replica (called, not yet answered) holds its group's expiry back here (busy()).
 *
 * States are replaced, never changed in place, so a copy of the map is a consistent capture (snapshots).
 */
import type { GroupingLabels } from '../model/grouping-key.js';
import { groupIdFor } from '../model/grouping-key.js';
import { PUSH_FAILURE_TIME, PUSH_TIME } from '../store/group.js';
import type { LifecycleRecord } from '../store/snapshot.js';
import type { PushRequest } from '../store/store.js';
import { NO_LIFECYCLE as NONE, type PushLifecycle } from './push-headers.js';

/** What the lifecycle needs to know about the store: whether a group exists, and its timestamp gauges. */
export interface GroupPresence {
  getGroup(labels: GroupingLabels): { readonly labels: GroupingLabels; gaugeValue(name: string): number } | undefined;
  /** getGroup() by the group's id (groupIdFor), for a caller that has it at hand. */
  groupById(id: string): { readonly labels: GroupingLabels; gaugeValue(name: string): number } | undefined;
  groups(): Iterable<{ readonly id: string; readonly labels: GroupingLabels; gaugeValue(name: string): number }>;
}

export interface GroupState {
  readonly id: string;
  readonly labels: GroupingLabels;
  /** Declared by X-Pushgateway-TTL (0 = never); absent: --push.group-ttl applies. */
  readonly ttlMs?: number;
  /** Declared by X-Pushgateway-Interval; absent: no pushgateway_group_up series. */
  readonly intervalMs?: number;
  /** ms since the epoch (the push times written in the writes); 0 = never. */
  readonly lastSuccessMs: number;
  readonly lastFailureMs: number;
  /** When the expiry clock started: the last successful push, or the failed push that created the group. */
  readonly sinceMs: number;
}

export interface LifecycleOptions {
  /** --push.group-ttl in ms; 0 = never. */
  defaultTtlMs: number;
  /** --push.group-up-grace: a group is up while its last success is younger than grace × interval. */
  upGrace: number;
  now?: () => number;
}

export class GroupLifecycle {
  private readonly states = new Map<string, GroupState>();
  private readonly inFlight = new Map<string, number>();
  private readonly passedOver = new Set<string>();
  private dueListeners: Array<(id: string, due: number | undefined) => void> = [];
  readonly defaultTtlMs: number;
  readonly upGrace: number;
  readonly now: () => number;
  /** Changes with every change of a state: part of the scrape cache key. */
  version = 0;

  constructor(
    private readonly store: GroupPresence,
    opts: LifecycleOptions,
  ) {
    this.defaultTtlMs = opts.defaultTtlMs;
    this.upGrace = opts.upGrace;
    this.now = opts.now ?? Date.now;
  }

  /** Called with a group's new expiry time (undefined: none) whenever it changes. */
  onDueChange(fn: (id: string, due: number | undefined) => void): void {
    this.dueListeners.push(fn);
  }

  get size(): number {
    return this.states.size;
  }

  get(id: string): GroupState | undefined {
    return this.states.get(id);
  }

  stateOf(labels: GroupingLabels): GroupState | undefined {
    return this.states.size === 0 ? undefined : this.states.get(groupIdFor(labels));
  }

  values(): IterableIterator<GroupState> {
    return this.states.values();
  }

  ttlOf(s: GroupState | undefined): number {
    return s?.ttlMs ?? this.defaultTtlMs;
  }

  /** ms since the epoch, or undefined when the group never expires. */
  expiresAt(s: GroupState | undefined): number | undefined {
    const ttl = this.ttlOf(s);
    return s === undefined || ttl <= 0 ? undefined : s.sinceMs + ttl;
  }

  /** 1/0 as a boolean; undefined for a group that declared no interval. */
  up(s: GroupState | undefined, now = this.now()): boolean | undefined {
    if (s?.intervalMs === undefined) return undefined;
    if (s.lastSuccessMs === 0 || s.lastFailureMs > s.lastSuccessMs) return false;
    return now - s.lastSuccessMs < this.upGrace * s.intervalMs;
  }

  /** Late: declared an interval and has not pushed successfully within grace × interval. */
  overdue(s: GroupState | undefined, now = this.now()): boolean {
    if (s?.intervalMs === undefined) return false;
    const last = s.lastSuccessMs === 0 ? s.sinceMs : s.lastSuccessMs;
    return now - last >= this.upGrace * s.intervalMs;
  }

  /**
   * A push is about to be handed to the store writer: the group's id when its outcome matters to a
   * lifecycle (the push declared one, --push.group-ttl is set, or the group has a state), else undefined and
   * nothing is kept. Until pushSettled the group's expiry waits on this replica.
   */
  pushStarting(labels: GroupingLabels, declared: PushLifecycle, groupId?: string): string | undefined {
    if (!this.relevant(declared)) return undefined;
    const id = groupId ?? groupIdFor(labels);
    this.inFlight.set(id, (this.inFlight.get(id) ?? 0) + 1);
    return id;
  }

  /**
   * The writer answered the push (or threw). A group whose expiry passed it over meanwhile (passOver) is
   * scheduled again, unless the applied push already did; others are left alone (scheduling every push's
   * group twice would leave a stale entry per push in the due queue).
   */
  pushSettled(id: string): void {
    const n = this.inFlight.get(id) ?? 0;
    if (n <= 1) this.inFlight.delete(id);
    else this.inFlight.set(id, n - 1);
    if (n > 1 || !this.passedOver.delete(id)) return;
    const s = this.states.get(id);
    if (s !== undefined) for (const fn of this.dueListeners) fn(id, this.expiresAt(s));
  }

  busy(id: string): boolean {
    return this.inFlight.has(id);
  }

  /** The expiry took the group as due but passed it over, busy: pushSettled schedules it again. */
  passOver(id: string): void {
    this.passedOver.add(id);
  }

  private relevant(declared: PushLifecycle | undefined): boolean {
    return (
      this.states.size > 0 ||
      this.defaultTtlMs > 0 ||
      declared?.ttlMs !== undefined ||
      declared?.intervalMs !== undefined
    );
  }

  /**
   * The store applied a push (`ok`) or recorded its failure. A successful push sets the TTL and interval it
   * declared (absent headers: the flag's TTL, no interval) and restarts the expiry clock at its time; a
   * failed one only records the failure, except that it gives a group it created (one never pushed
   * successfully) what it declared, so that such a group expires too.
   */
  applied(req: PushRequest, ok: boolean): void {
    const declared = req.lifecycle ?? NONE;
    if (!this.relevant(declared)) return;
    const timeMs = req.timeMs;
    const id = req.groupId ?? groupIdFor(req.labels);
    const group = this.store.groupById(id);
    if (group === undefined) {
      this.forget(id);
      return;
    }
    const old = this.states.get(id);
    const wanted = declared.ttlMs !== undefined || declared.intervalMs !== undefined || this.defaultTtlMs > 0;
    if (ok) {
      if (!wanted) {
        if (old !== undefined) this.forget(id);
        return;
      }
      const lastFailureMs = old?.lastFailureMs ?? group.gaugeValue(PUSH_FAILURE_TIME) * 1000;
      this.set(state(id, group.labels, declared, timeMs, lastFailureMs, timeMs));
    } else if (old !== undefined) {
      this.set(state(old.id, old.labels, old, old.lastSuccessMs, timeMs, old.sinceMs));
    } else if (wanted && group.gaugeValue(PUSH_TIME) === 0) {
      this.set(state(id, group.labels, declared, 0, timeMs, timeMs));
    }
  }

  /** After a delete or an expiry of the group was applied: its state goes unless a later push recreated it. */
  removed(labels: GroupingLabels): void {
    if (this.states.size === 0) return;
    if (this.store.getGroup(labels) === undefined) this.forget(groupIdFor(labels));
  }

  /** removed() for a group known to be gone (a delete that answered true), by id. */
  removedId(id: string): void {
    this.forget(id);
  }

  /** After a wipe was applied: the states of every group that is gone. */
  wiped(): void {
    for (const s of [...this.states.values()]) if (this.store.getGroup(s.labels) === undefined) this.forget(s.id);
  }

  /** The persistence record of a group, or undefined when it has no lifecycle state. */
  recordOf(labels: GroupingLabels): LifecycleRecord | undefined {
    const s = this.stateOf(labels);
    if (s === undefined) return undefined;
    const r: LifecycleRecord = { lastSuccessMs: s.lastSuccessMs, lastFailureMs: s.lastFailureMs, sinceMs: s.sinceMs };
    if (s.ttlMs !== undefined) r.ttlMs = s.ttlMs;
    if (s.intervalMs !== undefined) r.intervalMs = s.intervalMs;
    return r;
  }

  /**
   * After the store was restored (the persistence file at start, or a Redis snapshot): the states before
   * are dropped, then come the states persisted beside the groups, and for a group without
   * one (a file written before, or a group that had no lifecycle) the --push.group-ttl clock started at its
   * last push (at start when its push_time_seconds says never).
   */
  restore(records: ReadonlyMap<string, LifecycleRecord>): void {
    for (const id of [...this.states.keys()]) this.forget(id);
    const now = this.now();
    for (const g of this.store.groups()) {
      const r = records.get(g.id);
      if (r !== undefined) {
        this.set({ id: g.id, labels: g.labels, ...r });
      } else if (this.defaultTtlMs > 0) {
        const last = g.gaugeValue(PUSH_TIME) * 1000;
        const failed = g.gaugeValue(PUSH_FAILURE_TIME) * 1000;
        this.set({
          id: g.id,
          labels: g.labels,
          lastSuccessMs: last,
          lastFailureMs: failed,
          sinceMs: last > 0 ? last : failed > 0 ? failed : now,
        });
      }
    }
  }

  private set(s: GroupState): void {
    this.states.set(s.id, s);
    this.version++;
    const due = this.expiresAt(s);
    for (const fn of this.dueListeners) fn(s.id, due);
  }

  private forget(id: string): void {
    if (!this.states.delete(id)) return;
    this.version++;
    for (const fn of this.dueListeners) fn(id, undefined);
  }
}

/**
 * A state built field by field (a push's hot path: one object of one shape, no spread of the declared
 * values), with a TTL and an interval only where declared, as GroupState's optional fields mean.
 */
function state(
  id: string,
  labels: GroupingLabels,
  declared: PushLifecycle,
  lastSuccessMs: number,
  lastFailureMs: number,
  sinceMs: number,
): GroupState {
  const s: { -readonly [K in keyof GroupState]: GroupState[K] } = { id, labels, lastSuccessMs, lastFailureMs, sinceMs };
  if (declared.ttlMs !== undefined) s.ttlMs = declared.ttlMs;
  if (declared.intervalMs !== undefined) s.intervalMs = declared.intervalMs;
  return s;
}
