/**
 * A group: the metrics last pushed under one grouping key, plus its push_time_seconds and
 * push_failure_time_seconds gauges, stored as ordinary families like the reference does.
 */
import type { LabelPair } from '../model/metric.js';
import type { GroupingLabels } from '../model/grouping-key.js';
import type { GroupFamily } from './family-index.js';
import { renderLabelInner } from '../format/text-write.js';

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
  readonly families = new Map<string, GroupFamily>();

  constructor(id: string, labels: GroupingLabels) {
    this.id = id;
    this.labels = labels;
    this.groupingPairs = Object.keys(labels).map((name) => ({ name, value: labels[name]! }));
    this.emptyInstance = 'instance' in labels ? undefined : { name: 'instance', value: '' };
    const pairs = this.emptyInstance === undefined ? [...this.groupingPairs] : [...this.groupingPairs, this.emptyInstance];
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
    const families = new Map(this.families);
    return {
      id: this.id, labels: this.labels, families,
      gaugeValue: (name) => gaugeValue(families, name),
      lastPushSuccessful: lastPushSuccessful(families),
    };
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
