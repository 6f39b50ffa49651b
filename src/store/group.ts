/**
 * A group: the metrics last pushed under one grouping key, plus its push_time_seconds and
 * push_failure_time_seconds gauges, stored as ordinary families like the reference does.
 */
import type { LabelPair } from '../model/metric.js';
import type { GroupingLabels } from '../model/grouping-key.js';
import type { GroupFamily } from './family-index.js';
import { renderLabelInner } from '../format/text-write.js';
import type { Steps } from '../slicer.js';

export const PUSH_TIME = 'push_time_seconds';
export const PUSH_FAILURE_TIME = 'push_failure_time_seconds';
export const PUSH_TIME_HELP = 'Last Unix time when changing this group in the Pushgateway succeeded.';
export const PUSH_FAILURE_TIME_HELP = 'Last Unix time when changing this group in the Pushgateway failed.';

export class Group {
  readonly id: string;
  readonly labels: GroupingLabels;
  /** Grouping labels plus instance="" when absent, sorted: the labels of the timestamp gauges. */
  readonly timestampLabels: LabelPair[];
  /** The rendered label text of timestampLabels. */
  readonly timestampInner: string;
  /** The grouping label pairs (shared by every series of the group), and instance="" when it is missing. */
  readonly groupingPairs: LabelPair[];
  readonly emptyInstance: LabelPair | undefined;
  readonly families = new FamilyMap();

  constructor(id: string, labels: GroupingLabels) {
    this.id = id;
    this.labels = labels;
    this.groupingPairs = Object.keys(labels).map((name) => ({ name, value: labels[name]! }));
    this.emptyInstance = 'instance' in labels ? undefined : { name: 'instance', value: '' };
    const pairs =
      this.emptyInstance === undefined ? [...this.groupingPairs] : [...this.groupingPairs, this.emptyInstance];
    pairs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.timestampLabels = pairs;
    this.timestampInner = renderLabelInner(pairs);
  }

  /** Value of a timestamp gauge in seconds, 0 when absent. */
  gaugeValue(name: string): number {
    return gaugeValue(this.families, name);
  }

  /** The reference's `last_push_successful`: false iff the failure time is after the push time. */
  get lastPushSuccessful(): boolean {
    return lastPushSuccessful(this.families);
  }

  /**
   * The group as it is now, for readers that yield to the event loop while they work through many
   * groups (JSON API, status page): stored families are replaced by pushes, never changed, so copying
   * the map is enough.
   */
  snapshot(): GroupView {
    return this.view(new Map(this.families));
  }

  /**
   * snapshot() as steps, for a group of many families (a million families of one series is a 10 MB
   * push): the map is copied a few thousand entries at a time, and the writes that land meanwhile are
   * undone on the copy from the old values the map recorded (`watch`), so the copy is the group as it
   * was when the steps began. Call watch() in the same tick as the other groups' to snapshot them all at
   * one point in time.
   */
  *snapshotSteps(log: SnapshotLog): Steps<GroupView> {
    const copy = new Map<string, GroupFamily>();
    let n = 0;
    try {
      for (const [name, gf] of this.families) {
        if (!log.has(name)) copy.set(name, gf);
        if (++n % COPIED_PER_STEP === 0) yield;
      }
    } finally {
      this.families.unwatch(log);
    }
    for (const [name, old] of log) {
      if (old === undefined) copy.delete(name);
      else copy.set(name, old);
    }
    return this.view(copy);
  }

  private view(families: Map<string, GroupFamily>): GroupView {
    return {
      id: this.id,
      labels: this.labels,
      families,
      gaugeValue: (name) => gaugeValue(families, name),
      lastPushSuccessful: lastPushSuccessful(families),
    };
  }
}

const COPIED_PER_STEP = 4096;

/** Family name → the family as it was when a snapshot began (undefined: it was not in the group). */
export type SnapshotLog = Map<string, GroupFamily | undefined>;

/**
 * A group's families, recording for the snapshots under way the value each name had before its first
 * change. (The order of the copy's entries may differ from the group's: its readers sort by name.)
 */
export class FamilyMap extends Map<string, GroupFamily> {
  private logs: SnapshotLog[] = [];

  /** Starts recording old values for a snapshot; its steps unwatch at the end. */
  watch(): SnapshotLog {
    const log: SnapshotLog = new Map();
    this.logs.push(log);
    return log;
  }

  unwatch(log: SnapshotLog): void {
    this.logs = this.logs.filter((l) => l !== log);
  }

  override set(name: string, gf: GroupFamily): this {
    if (this.logs.length > 0) this.record(name);
    return super.set(name, gf);
  }

  override delete(name: string): boolean {
    if (this.logs.length > 0) this.record(name);
    return super.delete(name);
  }

  override clear(): void {
    if (this.logs.length > 0) for (const name of this.keys()) this.record(name);
    super.clear();
  }

  private record(name: string): void {
    for (const log of this.logs) if (!log.has(name)) log.set(name, super.get(name));
  }
}

/** What readers of a group need: a Group, or a point-in-time copy of one (Group.snapshot()). */
export interface GroupView {
  readonly id: string;
  readonly labels: GroupingLabels;
  readonly families: ReadonlyMap<string, GroupFamily>;
  gaugeValue(name: string): number;
  readonly lastPushSuccessful: boolean;
}

function gaugeValue(families: ReadonlyMap<string, GroupFamily>, name: string): number {
  return families.get(name)?.family.metrics[0]?.value ?? 0;
}

function lastPushSuccessful(families: ReadonlyMap<string, GroupFamily>): boolean {
  return !(gaugeValue(families, PUSH_FAILURE_TIME) > gaugeValue(families, PUSH_TIME));
}
